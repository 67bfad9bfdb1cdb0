"""Messages left for the practice's staff by any channel (desk, receptionist, operators)."""

from django.conf import settings
from django.db import models

from accueil.booking.models import Channel
from accueil.directory.models import Organisation, Practitioner
from accueil.patients.models import Patient


class StaffMessage(models.Model):
    """A message for a practitioner (or the whole practice): call back, results, request."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="staff_messages"
    )
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    caller_name = models.CharField(max_length=200, blank=True)
    caller_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    body = models.TextField(max_length=2000)
    urgent = models.BooleanField(default=False)
    # The instruction sheet's category (key and label when taken), which chose the routing.
    category = models.CharField(max_length=40, blank=True)
    category_label = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["organisation", "done_at", "created_at"])]

    def __str__(self) -> str:
        return f"Message du {self.created_at:%Y-%m-%d %H:%M}"
