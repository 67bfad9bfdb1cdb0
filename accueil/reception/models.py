"""The practice's instruction sheets (versioned) and the calls the receptionist answers.

What a caller says is health data: it is stored here (Turn.caller_text), shown to the
practice, and never written to logs.
"""

import uuid

from django.conf import settings
from django.db import models

from accueil.directory.models import Organisation


class InstructionSheet(models.Model):
    """One version of an organisation's instructions; the latest version applies."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="instruction_sheets"
    )
    version = models.PositiveIntegerField()
    data = models.JSONField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "version"], name="one_sheet_version_per_organisation"
            )
        ]
        ordering = ["organisation", "-version"]

    def __str__(self) -> str:
        return f"Consignes v{self.version} – {self.organisation}"


# What a call settled (policy.OUTCOMES), in French for the practice.
OUTCOME_LABELS = {
    "booked": "Rendez-vous pris",
    "cancelled": "Rendez-vous annulé",
    "moved": "Rendez-vous déplacé",
    "informed": "Renseignement donné",
    "message_taken": "Message pris",
    "transferred": "Transféré à un humain",
    "emergency": "Urgence : orienté vers le 15",
    "abandoned": "Sans suite",
}
CHANNEL_LABELS = {
    "api": "API",
    "twilio": "Téléphone",
    "terminal": "Terminal",
    "desk": "Simulateur",
}


class Call(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "En cours"
        TRANSFERRED = "transferred", "Transféré"
        ENDED = "ended", "Terminé"

    # Public id: call URLs must not be guessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="calls")
    from_number = models.CharField(max_length=20, blank=True, help_text="E.164")
    to_number = models.CharField(max_length=20, help_text="E.164")
    channel = models.CharField(max_length=16, default="api")  # api, twilio, terminal, desk
    external_id = models.CharField(max_length=64, blank=True, default="")  # e.g. Twilio CallSid
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    outcomes = models.JSONField(default=list)
    state = models.JSONField(default=dict)
    summary = models.TextField(blank=True)
    transfer_to = models.CharField(max_length=20, blank=True)
    appointment_ids = models.JSONField(default=list)
    message_ids = models.JSONField(default=list)  # StaffMessage rows the call left
    sheet_version = models.PositiveIntegerField(default=0)
    turn_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "started_at"]),
            models.Index(fields=["external_id"]),
        ]

    def __str__(self) -> str:
        return f"Appel {self.id} ({self.get_status_display()})"


class Turn(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    caller_text = models.TextField(blank=True)  # health data: stored, never logged
    say = models.TextField()
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "index"], name="one_turn_per_index")]
        ordering = ["call", "index"]

    def __str__(self) -> str:
        return f"Tour {self.index}"
