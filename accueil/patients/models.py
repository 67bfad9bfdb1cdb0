"""Patients of an organisation. Health data stays with the practice that holds it."""

from django.db import models

from accueil.directory.models import Organisation


class Patient(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="patients"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)
    # A parent or carer who books for this person (a child, a dependent relative).
    managed_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="relatives"
    )
    # The patient asked not to receive SMS (reminders, confirmations): e-mail only.
    sms_opt_out = models.BooleanField("Refuse les SMS", default=False)
    # Identity replaced on request (erasure) or after the retention period; the row stays
    # so that the appointments' statistics do.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "last_name", "first_name"]),
            models.Index(fields=["organisation", "phone"]),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"
