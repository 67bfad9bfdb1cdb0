"""django-axes' handler with two thresholds (settings.AXES_LOCKOUT_PARAMETERS):

- a login from one address: AXES_FAILURE_LIMIT (10) failures lock that pair. Someone
  elsewhere guessing a colleague's password locks only themselves out, never the practice;
- one address across logins: AXES_IP_FAILURE_LIMIT (50), so that credential stuffing over
  many logins from one address stops too, while a practice whose staff share one public
  address does not lock itself out over a few typos.

django-axes compares one number with one limit: the per-address count is scaled so that
reaching AXES_IP_FAILURE_LIMIT reaches AXES_FAILURE_LIMIT.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_login, per_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        ip_limit = max(1, settings.AXES_IP_FAILURE_LIMIT)
        scaled = per_address * settings.AXES_FAILURE_LIMIT // ip_limit
        return max(per_login, scaled)
