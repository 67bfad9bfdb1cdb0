"""The audit log: who read or changed which patient data, when, from where, by which channel.

Append-only. The application can add entries and read them, nothing else: `save()` of an
existing entry, `delete()` and queryset `update()`/`delete()` raise `AppendOnly`; on
PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE from anyone, except the
retention purge, which deletes entries past their period (`services.purge_before`).

References are plain ids without foreign-key constraints: deleting a user or an organisation
never cascades into the log, and the log keeps the user's name as it was.
"""

from django.conf import settings
from django.db import models

from accueil.directory.models import Organisation


class AppendOnly(Exception):
    """The audit log cannot be changed or deleted, only added to."""


class Action(models.TextChoices):
    READ = "read", "Consultation"
    CREATE = "create", "Création"
    UPDATE = "update", "Modification"
    DELETE = "delete", "Effacement"
    # Staff accounts (accueil/accounts): object ACCOUNT or SECOND_FACTOR, id the user's.
    LOGIN = "login", "Connexion"
    FAILURE = "failure", "Échec de connexion"
    LOCKOUT = "lockout", "Blocage"
    LOGOUT = "logout", "Déconnexion"


class ObjectType(models.TextChoices):
    PATIENT = "patient", "Dossier patient"
    APPOINTMENT = "appointment", "Rendez-vous"
    AGENDA = "agenda", "Agenda"
    WAITING_ROOM = "waiting_room", "Salle d'attente"
    AUDIT_LOG = "audit_log", "Journal d'accès"
    RETENTION = "retention", "Durées de conservation"
    CONTRACT = "contract", "Contrat de télésecrétariat"
    OPERATOR = "operator", "Opérateur du télésecrétariat"
    ACCOUNT = "account", "Compte"
    SECOND_FACTOR = "second_factor", "Double authentification"


# The channels of booking.models.Channel, and the background jobs.
SYSTEM_CHANNEL = "system"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Le journal d'accès ne peut pas être modifié.")

    def delete(self):
        raise AppendOnly("Le journal d'accès ne peut pas être effacé.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("Le journal d'accès ne peut pas être modifié.")


class AuditEntry(models.Model):
    at = models.DateTimeField()
    organisation = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The user's login when the entry was written; empty for patients and the public.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    object_type = models.CharField(max_length=16, choices=ObjectType.choices)
    object_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What happened, in French, without any patient's name or contact.
    summary = models.CharField(max_length=300, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "at"]),
            models.Index(fields=["organisation", "object_type", "object_id"]),
            models.Index(fields=["at"]),
        ]
        verbose_name = "entrée du journal d'accès"
        verbose_name_plural = "journal d'accès"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_object_type_display()} {self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("Le journal d'accès ne peut pas être modifié.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Le journal d'accès ne peut pas être effacé.")
