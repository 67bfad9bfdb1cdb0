"""Rate limits shared by every worker and server: counters in the database.

`hit(scope, identifier)` counts one request and raises `RateLimited` past the scope's limit
(`settings.RATE_LIMITS`, "N per period"). Windows are fixed (aligned on the epoch, so a
day is a UTC day); the count and the check are one statement,
`INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count`, atomic on
PostgreSQL and on SQLite (3.35 or later), so parallel requests never slip past a limit.
Identifiers are stored as an HMAC keyed with SECRET_KEY: addresses and phone numbers are
never in the table in clear. Callers count before the expensive work and before any write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from accueil.audit.context import client_ip
from accueil.patients.services import normalise_phone
from accueil.throttle.models import Counter

T = TypeVar("T")

# Scopes, with their setting (RATE_LIMIT_<SCOPE> in the environment, see settings.py).
BOOKING_IP = "booking_ip"  # bookings tried (web form sent, API POST), per address
BOOKING_PHONE = "booking_phone"  # bookings for one phone number
WAITLIST_IP = "waitlist_ip"
WAITLIST_PHONE = "waitlist_phone"
MANAGE_IP = "manage_ip"  # lookups by manage link or token, per address
TOKEN_MISS_IP = "token_miss_ip"  # unknown links and wrong tokens, per address (guessing)
API_IP = "api_ip"  # every API POST and DELETE, per address
CALL_NUMBER = "call_number"  # calls started through the calls API from one number


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


class RateLimited(Exception):
    """Too many requests in this scope; `retry_after` seconds until the window ends."""

    def __init__(self, scope: str, retry_after: int):
        super().__init__(f"rate limited ({scope})")
        self.scope = scope
        self.retry_after = max(1, retry_after)

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def limit_for(scope: str) -> Limit | None:
    """The scope's limit, or None when limits are off or this one is 0 (unlimited)."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    count, seconds = settings.RATE_LIMITS[scope]
    return Limit(count, seconds) if count > 0 else None


def digest(scope: str, identifier: str) -> str:
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"{scope}\0{identifier}".encode(), hashlib.sha256).hexdigest()


def _window(limit: Limit, now: dt.datetime) -> tuple[int, int]:
    instant = int(now.timestamp())
    start = instant - instant % limit.seconds
    return start, start + limit.seconds


def hit(scope: str, identifier: str, *, now: dt.datetime | None = None) -> None:
    """Count one request of `identifier` in `scope`; RateLimited if that is one too many."""
    limit = limit_for(scope)
    if limit is None or not identifier:
        return
    now = now or timezone.now()
    start, end = _window(limit, now)
    table = connection.ops.quote_name(Counter._meta.db_table)
    count_column = connection.ops.quote_name("count")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, key, window_start, {count_column}, expires_at) "
            "VALUES (%s, %s, %s, 1, %s) "
            "ON CONFLICT (scope, key, window_start) "
            f"DO UPDATE SET {count_column} = {table}.{count_column} + 1 "
            f"RETURNING {count_column}",
            [scope, digest(scope, identifier), start, end],
        )
        (count,) = cursor.fetchone()
    if count > limit.count:
        raise RateLimited(scope, end - int(now.timestamp()))


def check(scope: str, identifier: str, *, now: dt.datetime | None = None) -> None:
    """RateLimited if `identifier` has used up `scope` already; counts nothing."""
    limit = limit_for(scope)
    if limit is None or not identifier:
        return
    now = now or timezone.now()
    start, end = _window(limit, now)
    used = (
        Counter.objects.filter(scope=scope, key=digest(scope, identifier), window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    if used is not None and used >= limit.count:
        raise RateLimited(scope, end - int(now.timestamp()))


def address(request: HttpRequest) -> str:
    """The client's address (audit's trusted-proxy rule); IPv6 by /64, what one
    subscriber usually holds."""
    found = client_ip(request)
    if found is None:
        return "unknown"
    parsed = ipaddress.ip_address(found)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return found


def hit_address(scope: str, request: HttpRequest) -> None:
    hit(scope, address(request))


def phone_key(raw: str) -> str:
    """One identifier per phone number however it is typed (E.164 when it parses)."""
    try:
        return normalise_phone(raw)
    except ValidationError:
        return "".join(ch for ch in raw if ch.isalnum())


def token_lookup(request: HttpRequest, find: Callable[[], T | None]) -> T | None:
    """A lookup by secret token (manage link, waitlist link, API token): counted per
    address, refused once the address has missed too often, and a miss counts."""
    where = address(request)
    check(TOKEN_MISS_IP, where)
    hit(MANAGE_IP, where)
    found = find()
    if found is None:
        hit(TOKEN_MISS_IP, where)
    return found


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete the counters of windows that have ended; returns how many."""
    now = now or timezone.now()
    deleted, _ = Counter.objects.filter(expires_at__lt=int(now.timestamp())).delete()
    return deleted
