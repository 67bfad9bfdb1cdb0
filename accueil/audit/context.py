"""The client address of the request being served, for audit entries written by services.

`middleware.RequestContext` sets it for the duration of each request; services called
outside a request (workers, commands) see None.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

current_ip: ContextVar[str | None] = ContextVar("audit_current_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; behind a trusted proxy (TRUSTED_PROXIES), the right-most address of
    X-Forwarded-For that is not itself a trusted proxy. A client cannot forge its address
    by sending X-Forwarded-For: the header is ignored unless REMOTE_ADDR is a trusted proxy.
    """
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None or not _trusted(remote):
        return str(remote) if remote is not None else None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        address = _parse(hop)
        if address is None:
            break  # a malformed hop: trust nothing beyond it
        if not _trusted(address):
            return str(address)
    return str(remote)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)
