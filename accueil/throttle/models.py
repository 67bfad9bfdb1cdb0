"""Rate-limit counters, shared by every process and server through the database.

One row per scope, hashed identifier and fixed window. Identifiers (addresses, phone
numbers) are stored as an HMAC keyed with SECRET_KEY, never in clear.
"""

from django.db import models


class Counter(models.Model):
    scope = models.CharField(max_length=40)
    # HMAC-SHA256 of the scope and the identifier (hex).
    key = models.CharField(max_length=64)
    # Start of the fixed window, in seconds since the epoch (UTC).
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    # When the window ends, in seconds since the epoch: the row may be purged after it.
    expires_at = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="throttle_one_counter_per_window"
            )
        ]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]}… {self.count}"
