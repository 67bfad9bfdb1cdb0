"""The sessions a user logged in with, so that "log out everywhere" can end them all.

Django's session store cannot be searched by user (sessions are opaque, and may live in a
cache); each completed login records its session key here, and `services.end_sessions`
deletes those keys from the store.
"""

from django.conf import settings
from django.db import models


class LoginSession(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "session ouverte"
        verbose_name_plural = "sessions ouvertes"

    def __str__(self) -> str:
        return f"{self.user} ({self.started_at:%d/%m/%Y %H:%M})"
