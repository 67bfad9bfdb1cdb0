"""Sending the outbox: claim, send, mark. Any number of workers may run at once.

Claim (one short transaction): pick due rows with SELECT ... FOR UPDATE SKIP LOCKED (other
workers skip the rows being claimed instead of waiting), then a conditional UPDATE
(`WHERE id IN (...) AND <still due>`) marks them `sending` with a fresh claim token, one more
attempt and a lease: `next_attempt_at = now + NOTIFY_LEASE_SECONDS`. Either guard alone
gives each row to one worker (the conditional UPDATE re-checks the row after waiting for a
concurrent claimer to commit); tests/notify/test_concurrency.py shows both, and that
without them two workers send the same messages. On SQLite the claim transaction is
IMMEDIATE (one writer at a time), which serialises claims.

Send: outside any transaction, with the message's idempotency key. Mark: an UPDATE guarded
by the claim token, so a worker that lost its lease cannot overwrite a newer claim.

The window between "sent" and "marked": a worker killed there leaves the row `sending`;
when its lease expires, another worker claims it again and sends it again with the same
idempotency key. A provider that deduplicates on that key delivers it once; one that does
not may deliver it twice. That is the chosen trade-off, at-least-once: a lost reminder
costs a consultation, the window is a few milliseconds wide, and a worker asked to stop
(SIGTERM) finishes the message in hand and gives back the rest of its batch, so restarts
and deployments do not open it. See docs/architecture.md and docs/decisions/0006.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accueil.booking.models import CANCELLED_STATUSES
from accueil.notify import services
from accueil.notify.ics import appointment_ics
from accueil.notify.models import Channel, Kind, Message, WaitlistOffer
from accueil.notify.sms import sms_refusal
from accueil.notify.transports import (
    Outgoing,
    PermanentError,
    TransientError,
    get_transport,
)
from accueil.scheduling import engine

logger = logging.getLogger(__name__)

Status = Message.Status


def claimable(now: dt.datetime) -> Q:
    """Queued rows whose time has come, and `sending` rows whose lease has expired."""
    return Q(status__in=[Status.QUEUED, Status.SENDING], next_attempt_at__lte=now)


def lock_for_claim(queryset: QuerySet) -> QuerySet:
    """FOR UPDATE SKIP LOCKED (no effect on SQLite). The concurrency tests switch it off."""
    return queryset.select_for_update(skip_locked=True)


def claim_condition(now: dt.datetime) -> Q:
    """The re-check of the claiming UPDATE. The concurrency tests switch it off."""
    return claimable(now)


def claim(
    *, limit: int = 50, ids: list[int] | None = None, now: dt.datetime | None = None
) -> list[Message]:
    """Claim up to `limit` due messages (only among `ids` if given) for this worker."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    token = secrets.token_hex(16)
    lease = dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    with transaction.atomic():
        due = Message.objects.filter(claimable(now))
        if ids is not None:
            due = due.filter(id__in=ids)
        picked = list(
            lock_for_claim(due.order_by("next_attempt_at", "id")).values_list("id", flat=True)[
                :limit
            ]
        )
        if not picked:
            return []
        Message.objects.filter(claim_condition(now), id__in=picked).update(
            status=Status.SENDING,
            claim_token=token,
            attempts=F("attempts") + 1,
            next_attempt_at=now + lease,
        )
    return list(
        Message.objects.filter(claim_token=token, status=Status.SENDING)
        .select_related("appointment", "patient", "offer")
        .order_by("id")
    )


def _mark(message: Message, **fields) -> bool:
    """Update the row if this worker still holds it (same claim token)."""
    fields.setdefault("claim_token", "")
    updated = Message.objects.filter(
        pk=message.pk, claim_token=message.claim_token, status=Status.SENDING
    ).update(**fields)
    return updated == 1


def release(messages: list[Message], now: dt.datetime | None = None) -> None:
    """Give claimed messages back untouched (worker stopping): due again at once."""
    now = now or timezone.now()
    for message in messages:
        _mark(
            message,
            status=Status.QUEUED,
            next_attempt_at=now,
            attempts=F("attempts") - 1,
        )


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: base, 2 x base, 4 x base... capped."""
    seconds = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.NOTIFY_RETRY_MAX_SECONDS))


def stale_reason(message: Message, now: dt.datetime) -> str:
    """Why this message must not go out any more (French, shown to staff), or ""."""
    appointment = message.appointment
    if message.kind in services.ABOUT_A_START and appointment is not None:
        if appointment.status in CANCELLED_STATUSES:
            return "Rendez-vous annulé."
        if message.appointment_start and appointment.start != message.appointment_start:
            return "Rendez-vous déplacé."
        if appointment.start <= now:
            return "Rendez-vous passé."
    if message.kind == Kind.WAITLIST_OFFER and message.offer is not None:
        offer = message.offer
        if offer.status == WaitlistOffer.Status.EXPIRED or offer.expires_at <= now:
            return "Proposition expirée."
        if offer.status != WaitlistOffer.Status.OFFERED or not services.slot_still_free(offer):
            return "Créneau déjà pris."
    return ""


def over_daily_cap(recipient: str) -> str:
    """Why an SMS to this number must not go out today (SMS pumping), or "".

    Counts the SMS sent to the number since midnight (Paris), by every practice and of every
    kind: a real patient gets a few a day (confirmations, reminders, for a whole family on
    one phone), never SMS_DAILY_CAP_PER_NUMBER; past it the message is dropped with this
    reason, reminders included, and staff see it in "Envois non remis". Counted on the real
    clock, as `sent_at` is. Workers sending to the same number at the same instant may each
    pass the last check: at worst one SMS over the cap per worker."""
    cap = settings.SMS_DAILY_CAP_PER_NUMBER
    if cap <= 0:
        return ""
    today = timezone.localtime(timezone.now(), engine.PARIS).date()
    sent = Message.objects.filter(
        channel=Channel.SMS,
        recipient=recipient,
        status=Status.SENT,
        sent_at__gte=engine.wall_clock(today, dt.time(0)),
    ).count()
    if sent >= cap:
        return f"Plafond de {cap} SMS par jour atteint pour ce numéro (protection anti-abus)."
    return ""


def _deadline(message: Message) -> dt.datetime | None:
    if message.kind == Kind.WAITLIST_OFFER and message.offer is not None:
        return message.offer.expires_at
    return message.appointment_start


def deliver(
    message: Message, *, now: dt.datetime | None = None, senders: dict | None = None
) -> str:
    """Send one claimed message and mark it; returns its new status."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    reason = stale_reason(message, now)
    if not reason and message.channel == Channel.SMS:
        reason = sms_refusal(message.recipient)
        if not reason and message.patient is not None and message.patient.sms_opt_out:
            reason = "Le patient a refusé les SMS."
        if not reason and services.in_quiet_hours(now):
            later = services.sms_deliverable_at(now)
            deadline = _deadline(message)
            if deadline is None or later < deadline:
                # Not an attempt: back in the queue for the end of the quiet hours.
                _mark(
                    message, status=Status.QUEUED, next_attempt_at=later, attempts=F("attempts") - 1
                )
                return Status.QUEUED
            reason = "Heures de silence : le SMS arriverait trop tard."
        if not reason:
            reason = over_daily_cap(message.recipient)
    if reason:
        _mark(message, status=Status.DROPPED, last_error=reason)
        return Status.DROPPED
    transport = get_transport(message.channel)
    try:
        provider_id = transport.send(outgoing(message, senders))
    except PermanentError as exc:
        _mark(message, status=Status.FAILED, last_error=str(exc)[:300], transport=transport.name)
        logger.warning("Message %s failed: %s", message.pk, exc)
        return Status.FAILED
    except Exception as exc:  # TransientError, and anything unexpected: try again later
        if not isinstance(exc, TransientError):
            logger.exception("Message %s: unexpected error while sending", message.pk)
            exc = TransientError("Erreur interne pendant l'envoi.")
        if message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            error = f"{exc} Abandon après {message.attempts} essais."
            _mark(message, status=Status.FAILED, last_error=error[:300], transport=transport.name)
            logger.warning("Message %s failed after %d attempts", message.pk, message.attempts)
            return Status.FAILED
        _mark(
            message,
            status=Status.QUEUED,
            next_attempt_at=now + retry_delay(message.attempts),
            last_error=str(exc)[:300],
            transport=transport.name,
        )
        return Status.QUEUED
    _mark(
        message,
        status=Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=provider_id[:100],
        last_error="",
        transport=transport.name,
    )
    return Status.SENT


def outgoing(message: Message, senders: dict | None = None) -> Outgoing:
    """What the transport needs: text, sender name, calendar file for confirmations."""
    sender = ""
    if message.channel == Channel.SMS:
        senders = {} if senders is None else senders
        if message.organisation_id not in senders:
            own = services.settings_for(message.organisation_id).sms_sender
            senders[message.organisation_id] = own or settings.SMS_SENDER
        sender = senders[message.organisation_id]
    attachments: tuple = ()
    appointment = message.appointment
    if (
        message.channel == Channel.EMAIL
        and message.kind in (Kind.CONFIRMATION, Kind.MOVED)
        and appointment is not None
    ):
        moves = appointment.events.filter(kind="moved").count()
        place, _ = services._places(appointment.motif, appointment.site)
        ics = appointment_ics(appointment, place=place, sequence=moves)
        attachments = (("rendez-vous.ics", ics, "text/calendar"),)
    return Outgoing(
        channel=message.channel,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        idempotency_key=message.idempotency_key,
        kind=message.kind,
        sender=sender,
        attachments=attachments,
    )


def send_due(
    *,
    limit: int = 50,
    ids: list[int] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    now: dt.datetime | None = None,
) -> int:
    """Claim one batch of due messages and send it; returns how many were claimed.
    `now` is for tests (a fixed clock); workers use the real time."""
    messages = claim(limit=limit, ids=ids, now=now)
    senders: dict = {}
    for i, message in enumerate(messages):
        if should_stop():
            release(messages[i:], now=now)
            break
        deliver(message, now=now, senders=senders)
    return len(messages)
