"""Writing, searching and purging the audit log.

`record()` is called by the services that change patient data, inside their transaction
(a rolled-back change leaves no entry), and by the views that show it (`record_read`).
Summaries never carry a patient's name, phone or e-mail: ids and dates only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accueil.audit.context import client_ip, current_ip
from accueil.audit.models import SYSTEM_CHANNEL, Action, AuditEntry, ObjectType
from accueil.booking.models import Channel
from accueil.directory import roles
from accueil.directory.models import Membership, Organisation

CHANNEL_LABELS = {**dict(Channel.choices), SYSTEM_CHANNEL: "Tâche automatique"}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def record(
    *,
    organisation_id: int,
    action: Action,
    object_type: ObjectType,
    object_id: str | int,
    channel: str,
    actor: AbstractBaseUser | None = None,
    summary: str = "",
    ip: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """One entry; the client address defaults to the current request's."""
    entry = new_entry(
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        channel=channel,
        actor=actor,
        summary=summary,
        ip=ip,
        at=at,
    )
    entry.save(force_insert=True)
    return entry


def new_entry(
    *,
    organisation_id: int,
    action: Action,
    object_type: ObjectType,
    object_id: str | int,
    channel: str,
    actor: AbstractBaseUser | None = None,
    summary: str = "",
    ip: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """The entry `record()` writes, not saved: for a caller that inserts it with other rows
    of its transaction (booking.services.book)."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry(
        at=at or timezone.now(),
        organisation_id=organisation_id,
        actor=user,
        actor_label=user.get_username() if user is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        channel=channel,
        ip=ip if ip is not None else current_ip.get(),
        summary=summary[:300],
    )


def record_read(
    request: HttpRequest,
    *,
    organisation_id: int,
    object_type: ObjectType,
    object_id: str | int,
    channel: str,
    summary: str = "",
) -> AuditEntry:
    """A page or an API answer showed patient data to whoever made this request."""
    return record(
        organisation_id=organisation_id,
        action=Action.READ,
        object_type=object_type,
        object_id=object_id,
        channel=channel,
        actor=getattr(request, "user", None),
        summary=summary,
        ip=client_ip(request),
    )


def record_reads(
    request: HttpRequest,
    *,
    organisation_id: int,
    object_type: ObjectType,
    object_ids: list[str | int],
    channel: str,
    summary: str = "",
) -> list[AuditEntry]:
    """One read entry per object a page listed (search results): the log answers "who saw
    this patient" by the patient's id, whatever page showed them. One INSERT."""
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    at, ip = timezone.now(), client_ip(request)
    return AuditEntry.objects.bulk_create(
        AuditEntry(
            at=at,
            organisation_id=organisation_id,
            actor=user,
            actor_label=user.get_username() if user is not None else "",
            action=Action.READ,
            object_type=object_type,
            object_id=str(object_id)[:64],
            channel=channel,
            ip=ip,
            summary=summary[:300],
        )
        for object_id in object_ids
    )


@dataclass(frozen=True)
class Filters:
    """What an owner searches the log by; every field optional."""

    since: dt.date | None = None
    until: dt.date | None = None
    actor_id: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""


def search(organisation: Organisation, filters: Filters) -> QuerySet[AuditEntry]:
    """The organisation's entries matching `filters`, newest first (dates are Paris days)."""
    entries = AuditEntry.objects.filter(organisation=organisation)
    if filters.since is not None:
        entries = entries.filter(at__gte=_midnight(filters.since))
    if filters.until is not None:
        entries = entries.filter(at__lt=_midnight(filters.until + dt.timedelta(days=1)))
    if filters.actor_id is not None:
        entries = entries.filter(actor_id=filters.actor_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
    if filters.object_id:
        entries = entries.filter(object_id=filters.object_id.strip())
    return entries.order_by("-at", "-id")


def purge_before(cutoff: dt.datetime) -> dict[int, int]:
    """Delete the entries older than `cutoff` (retention); entries deleted per organisation.

    The only DELETE the PostgreSQL trigger lets through: it checks the transaction-local
    setting `accueil.purging`, set here and reset before the transaction ends."""
    counts = dict(
        AuditEntry.objects.filter(at__lt=cutoff)
        .values("organisation_id")
        .annotate(n=Count("id"))
        .values_list("organisation_id", "n")
    )
    if not counts:
        return {}
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('accueil.purging', 'on', true)")
        cursor.execute(
            f"DELETE FROM {table} WHERE at < %s",
            [connection.ops.adapt_datetimefield_value(cutoff)],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('accueil.purging', 'off', true)")
    return counts


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0)))


def may_read_log(membership: Membership) -> bool:
    """The log shows every member's accesses: for the practice's owners only."""
    return roles.may(membership, roles.Capability.PRIVACY)
