"""The outbox of messages to patients and staff, per-organisation settings and texts, and the
waitlist for freed slots.

A `Message` row is written in the same transaction as the change that causes it (a booking,
a move, a cancellation, a waitlist offer), so a rolled-back change leaves no message. Workers
claim due rows, send them and mark them (see `sending.py` and docs/architecture.md).
"""

import secrets

from django.db import models
from django.db.models import Q

from accueil.booking.models import Appointment
from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.patients.models import Patient


class Kind(models.TextChoices):
    CONFIRMATION = "confirmation", "Confirmation"
    MOVED = "moved", "Déplacement"
    CANCELLED = "cancelled", "Annulation"
    REMINDER = "reminder", "Rappel"
    WAITLIST_OFFER = "waitlist_offer", "Créneau libéré (liste d'attente)"
    PRACTITIONER_MESSAGE = "practitioner_message", "Message pour un praticien"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "En attente"
        SENDING = "sending", "En cours d'envoi"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"
        DROPPED = "dropped", "Non envoyé"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="messages"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # The start the message speaks of: a reminder for another start is stale (moved).
    appointment_start = models.DateTimeField(null=True, blank=True)
    # The person whose contact is used (opt-out is checked again at sending time).
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offer = models.ForeignKey(
        "WaitlistOffer", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254, help_text="E.164 ou adresse e-mail")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When it should go out (reminder time, quiet hours applied).
    scheduled_for = models.DateTimeField()
    # When a worker may claim it: scheduled_for, then the retry time; while `sending`, the
    # end of the worker's lease (a row still `sending` after it is reclaimed).
    next_attempt_at = models.DateTimeField()
    claim_token = models.CharField(max_length=32, blank=True)
    # Why it failed or was not sent, shown to staff (no personal data in it).
    last_error = models.CharField(max_length=300, blank=True)
    # Deterministic: the same cause never queues two messages; sent to providers that
    # deduplicate, so a message retried after a crash is not delivered twice there.
    idempotency_key = models.CharField(max_length=100, unique=True)
    transport = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="notify_message_due",
            ),
            models.Index(fields=["organisation", "status", "created_at"]),
            # The daily SMS cap per number (sending.over_daily_cap).
            models.Index(fields=["recipient", "sent_at"], name="notify_message_recipient_day"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.get_channel_display()} ({self.get_status_display()})"
        )


class NotificationSettings(models.Model):
    """What an organisation sends; an organisation without a row gets the defaults."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="notification_settings"
    )
    confirmation_sms = models.BooleanField("Confirmation par SMS", default=True)
    confirmation_email = models.BooleanField("Confirmation par e-mail", default=True)
    # Whole days count in calendar days at the same wall-clock time (48 h before Monday
    # 10:00 is Saturday 10:00, even across a daylight-saving change); see reminder_time().
    reminder_hours = models.PositiveSmallIntegerField(
        "Rappel : heures avant le rendez-vous", default=48
    )
    reminder_sms = models.BooleanField("Rappel par SMS", default=True)
    reminder_email = models.BooleanField("Rappel par e-mail", default=True)
    second_reminder = models.BooleanField("Second rappel par SMS", default=False)
    second_reminder_hours = models.PositiveSmallIntegerField(
        "Second rappel : heures avant", default=2
    )
    waitlist_offers = models.BooleanField("Proposer les créneaux libérés", default=True)
    # Alphanumeric SMS sender shown on phones (11 characters at most); empty: SMS_SENDER.
    sms_sender = models.CharField("Expéditeur des SMS", max_length=11, blank=True)

    class Meta:
        verbose_name = "réglages des notifications"
        verbose_name_plural = "réglages des notifications"

    def __str__(self) -> str:
        return f"Notifications – {self.organisation}"


class MessageTemplate(models.Model):
    """An organisation's own text for one kind and channel, with {placeholders}."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="message_templates"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "channel"], name="one_template_per_kind_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_channel_display()} – {self.organisation}"


def new_token() -> str:
    return secrets.token_urlsafe(18)


class WaitlistEntry(models.Model):
    """A patient waiting for a slot of a motif (optionally one practitioner, dates, times)."""

    class TimeOfDay(models.TextChoices):
        MORNING = "morning", "Matin"
        AFTERNOON = "afternoon", "Après-midi"
        EVENING = "evening", "Soir"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="waitlist"
    )
    motif = models.ForeignKey(Motif, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    earliest = models.DateField(null=True, blank=True)
    latest = models.DateField(null=True, blank=True)
    # Comma-separated TimeOfDay values; empty means any time.
    times_of_day = models.CharField(max_length=40, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    email = models.EmailField(blank=True)
    joined_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    # Lets the patient leave the list from a link.
    token = models.CharField(max_length=32, default=new_token, unique=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["motif", "active", "joined_at"])]
        verbose_name_plural = "waitlist entries"

    def __str__(self) -> str:
        return f"Liste d'attente {self.motif} ({self.joined_at:%Y-%m-%d})"


class WaitlistOffer(models.Model):
    """A freed slot offered to one waiter; the first to book it wins."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Proposé"
        ACCEPTED = "accepted", "Accepté"
        TAKEN = "taken", "Déjà pris"
        EXPIRED = "expired", "Expiré"

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="+")
    motif = models.ForeignKey(Motif, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OFFERED)
    token = models.CharField(max_length=32, default=new_token, unique=True, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["practitioner", "start"])]

    def __str__(self) -> str:
        return f"Offre {self.start:%Y-%m-%d %H:%M} ({self.get_status_display()})"
