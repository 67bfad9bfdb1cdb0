"""Idempotency records for POST requests carrying an Idempotency-Key header."""

from django.db import models


class IdempotencyRecord(models.Model):
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "path"], name="idempotency_key_per_path")
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.key}"
