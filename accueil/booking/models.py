"""Appointments (rendez-vous) and their history of changes."""

import secrets
import uuid

from django.conf import settings
from django.db import models

from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.patients.models import Patient


class Status(models.TextChoices):
    BOOKED = "booked", "Réservé"
    ARRIVED = "arrived", "Arrivé"
    SEEN = "seen", "Vu"
    NO_SHOW = "no_show", "Non honoré"
    CANCELLED_BY_PATIENT = "cancelled_by_patient", "Annulé par le patient"
    CANCELLED_BY_PRACTICE = "cancelled_by_practice", "Annulé par le cabinet"


# Statuses that hold the practitioner's time; the exclusion constraint uses the same list.
ACTIVE_STATUSES = (Status.BOOKED, Status.ARRIVED, Status.SEEN, Status.NO_SHOW)
CANCELLED_STATUSES = (Status.CANCELLED_BY_PATIENT, Status.CANCELLED_BY_PRACTICE)


class Channel(models.TextChoices):
    WEB = "web", "Site de réservation"
    DESK = "desk", "Secrétariat"
    PHONE_AGENT = "phone_agent", "Standardiste virtuelle"
    OPERATOR = "operator", "Télésecrétariat"
    API = "api", "API"
    REFERRER = "referrer", "Correspondant"


def new_manage_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


class Appointment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="appointments"
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="appointments"
    )
    motif = models.ForeignKey(Motif, on_delete=models.PROTECT, related_name="appointments")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # Participants of one group session share a key; any other appointment has its own.
    # PostgreSQL forbids overlapping active appointments of one practitioner with
    # different keys (exclusion constraint, migration 0002).
    session_key = models.CharField(max_length=80)
    manage_token = models.CharField(max_length=64, default=new_manage_token, editable=False)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["practitioner", "start"]),
            models.Index(fields=["organisation", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="appointment_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.start:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentEvent(models.Model):
    """One entry per change of an appointment: its status history and the feed that
    notifications and webhooks read. Written in the same transaction as the change."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Réservé"
        MOVED = "moved", "Déplacé"
        CANCELLED = "cancelled", "Annulé"
        STATUS_CHANGED = "status_changed", "Statut modifié"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices)
    previous_start = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
