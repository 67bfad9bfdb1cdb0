"""The one way to book, cancel and move an appointment, whatever the channel.

Locking protocol (docs/architecture.md has the full version):
1. Every write runs in one transaction. On SQLite the transaction is IMMEDIATE, so it holds
   the database write lock from its first statement: writers queue one behind the other.
2. On PostgreSQL the practitioner rows concerned are locked with SELECT ... FOR UPDATE,
   in id order (no deadlock when a move spans two practitioners). Bookings of one
   practitioner are serialised; bookings of different practitioners run in parallel.
3. Under that lock the requested start is checked against the slot engine with the
   committed agenda, group-session seats included, then the row is written. (book() sends
   the agenda reads in the locking read's round trip, after it: each is run once the lock
   is granted, with its own snapshot. Decision 0012.)
4. The exclusion constraint `appointment_no_overlap` is the last word on PostgreSQL: an
   overlapping insert fails there even if steps 2-3 were skipped, and it becomes SlotTaken.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accueil import sqlbatch
from accueil.audit import services as audit
from accueil.audit.models import Action, ObjectType
from accueil.booking import overlap
from accueil.booking.models import (
    CANCELLED_STATUSES,
    Appointment,
    AppointmentEvent,
    Channel,
    Status,
)
from accueil.directory.models import Motif, Practitioner
from accueil.directory.services import Audience, may_book
from accueil.notify import services as notify
from accueil.patients.models import Patient
from accueil.patients.services import PatientIdentity, check_identity, find_or_create_patient
from accueil.scheduling import engine
from accueil.scheduling.services import AgendaInputs, agenda_reads, load_agendas, motif_rules

User = AbstractBaseUser


class SlotTaken(Exception):
    """The requested slot is not free (any more)."""


class NotChangeable(Exception):
    """The appointment's status or time no longer allows this change."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# Status changes the desk may make (arrived, seen, no-show), from -> allowed targets.
STATUS_TRANSITIONS = {
    Status.BOOKED: {Status.ARRIVED, Status.NO_SHOW},
    Status.ARRIVED: {Status.SEEN, Status.BOOKED},
    Status.SEEN: {Status.ARRIVED},
    Status.NO_SHOW: {Status.BOOKED, Status.ARRIVED},
}


def check_bookable(practitioner: Practitioner, motif: Motif, audience: Audience) -> None:
    """ValidationError unless this audience may book this motif with this practitioner."""
    offered = motif.practitioners.filter(pk=practitioner.pk).exists()
    _check_bookable(practitioner.active, offered, practitioner, motif, audience)


def _check_bookable(
    active: bool, offered: bool, practitioner: Practitioner, motif: Motif, audience: Audience
) -> None:
    if not active:
        raise ValidationError({"practitioner": ["Ce praticien ne prend pas de rendez-vous."]})
    if not offered or motif.organisation_id != practitioner.organisation_id:
        raise ValidationError({"motif": ["Ce motif n'est pas proposé par ce praticien."]})
    if not may_book(motif, audience):
        raise ValidationError({"motif": ["Ce motif ne peut pas être réservé en ligne."]})


def check_slot_free(
    practitioner: Practitioner,
    motif: Motif,
    start: dt.datetime,
    *,
    audience: Audience,
    now: dt.datetime,
    ignore_appointment_id: int | None = None,
    agenda: AgendaInputs | None = None,
) -> engine.Slot:
    """The offered slot starting at `start`.

    ValidationError when `start` can never be booked (past, too soon, too far, not on the
    grid of an opening period); SlotTaken when it is a real slot that is not free.
    `agenda`: the practitioner's agenda of the start's day (`_day_of`) for this motif, when
    the caller read it under the lock (book()); else it is read here.
    """
    if timezone.is_naive(start):
        raise ValidationError({"start": ["L'horaire doit indiquer son fuseau (ex. +01:00)."]})
    # In UTC: Python never finds a Paris instant of the repeated fall-back hour (fold=1)
    # equal to one in another zone, and the engine's slots are in UTC.
    start = start.astimezone(dt.UTC)
    rules = motif_rules(motif, audience)
    if start < now + rules.min_notice:
        raise ValidationError({"start": ["Cet horaire est passé ou trop proche."]})
    if start > now + rules.horizon:
        raise ValidationError({"start": ["Cet horaire est trop loin dans le futur."]})
    day = _day_of(start)
    if agenda is None:
        agenda = load_agendas(
            [practitioner],
            day,
            day,
            motif_ids=[motif.id],
            ignore_appointment_id=ignore_appointment_id,
        )[practitioner.id]
    for slot in engine.iter_free_slots(
        motif=rules,
        periods=agenda.periods,
        absences=agenda.absences,
        booked=agenda.booked,
        closed_days=agenda.closed_days,
        now=now,
        first=day,
        last=day,
    ):
        if slot.start == start:
            return slot
        if slot.start > start:
            break
    if start not in _grid(agenda, rules, day):
        raise ValidationError({"start": ["Cet horaire ne correspond à aucun créneau."]})
    raise SlotTaken()


def _day_of(start: dt.datetime) -> dt.date:
    """The Paris day of an aware start, whose agenda check_slot_free reads."""
    return timezone.localtime(start.astimezone(dt.UTC), engine.PARIS).date()


def book(
    *,
    practitioner: Practitioner,
    motif: Motif,
    start: dt.datetime,
    patient: Patient | PatientIdentity,
    channel: Channel,
    audience: Audience,
    guardian: PatientIdentity | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book `start` for the patient (an existing record, or an identity found or created).

    `guardian` is the parent or carer booking for a new or known relative (a child):
    both are found or created, the patient managed by the guardian.
    """
    now = now or timezone.now()
    today = timezone.localtime(now, engine.PARIS).date()
    if isinstance(patient, PatientIdentity):
        identity, guardian = _check_identities(patient, guardian, today)
    elif guardian is not None:
        raise ValueError("A guardian comes with the identity of a new or known relative.")
    elif patient.organisation_id != practitioner.organisation_id:
        raise ValidationError({"patient": ["Patient inconnu de cet établissement."]})
    with _slot_taken_on_overlap(), transaction.atomic():
        # Sent in the locking read's round trip, after it: what the messages need (not
        # guarded by the lock) and the agenda of the day, each statement with its own
        # snapshot, taken once the lock is granted (step 3 of the protocol).
        context_reads, context = notify.appointment_context(practitioner.organisation_id)
        day_reads, agendas = [], None
        if not timezone.is_naive(start):  # else check_slot_free refuses it
            day = _day_of(start)
            # As check_slot_free reads it.
            day_reads, agendas = agenda_reads([practitioner], day, day, motif_ids=[motif.id])
        reserved, rows = lock_bookable(
            practitioner, motif, audience, then=[*context_reads, *day_reads]
        )
        context_rows, agenda_rows = rows[: len(context_reads)], rows[len(context_reads) :]
        slot = check_slot_free(
            practitioner,
            motif,
            start,
            audience=audience,
            now=now,
            agenda=agendas(*agenda_rows)[practitioner.id] if agendas else None,
        )
        if isinstance(patient, PatientIdentity):
            organisation = practitioner.organisation
            carer = guardian and find_or_create_patient(
                organisation, guardian, channel=channel, actor=actor
            )
            patient = find_or_create_patient(
                organisation, identity, channel=channel, actor=actor, managed_by=carer
            )
        public_id = uuid.uuid4()
        appointment = Appointment(
            public_id=public_id,
            organisation_id=practitioner.organisation_id,
            practitioner=practitioner,
            motif=motif,
            site_id=slot.site_id,
            patient=patient,
            start=slot.start,
            end=slot.end,
            channel=channel,
            session_key=_session_key(motif, slot.start, public_id),
            created_by=actor,
        )
        _write_booking(appointment, channel, actor, now, reserved, context(*context_rows))
    return appointment


def _write_booking(
    appointment: Appointment,
    channel: Channel,
    actor: User | None,
    now: dt.datetime,
    reserved: tuple[int, int] | None,
    context: notify.AppointmentContext,
) -> None:
    """The appointment, its history event, its audit entry and its outbox messages: what
    `save()` and `_record` would write, in one round trip on PostgreSQL, where the ids the
    messages name were reserved by the locking read (decision 0012). Elsewhere the ids come
    back from the first statements, then the messages are written."""
    event = _event(appointment, AppointmentEvent.Kind.BOOKED, channel, actor, now, from_status="")
    entry = _audit_entry(event, appointment, channel, actor, now)
    if reserved is not None:
        appointment.id, event.id = reserved
        event.appointment = appointment
        messages = notify.booking_messages(event, context)
        statements = [sqlbatch.insert([appointment]), sqlbatch.insert([event])]
        statements.append(sqlbatch.insert([entry]))
        if messages:
            statements.append(sqlbatch.insert(messages))
        appointment_ids, event_ids, _, *message_ids = sqlbatch.run(statements)
        sqlbatch.saved([appointment], appointment_ids)
        sqlbatch.saved([event], event_ids)
    else:
        # The event names the appointment by its public id: its id is not known yet.
        new_id = (
            f"(SELECT id FROM {APPOINTMENT} WHERE public_id = %s)",
            [PUBLIC_ID.get_db_prep_save(appointment.public_id, connection)],
        )
        appointment_ids, event_ids, _ = sqlbatch.run(
            [
                sqlbatch.insert([appointment]),
                sqlbatch.insert([event], expressions={"appointment_id": new_id}),
                sqlbatch.insert([entry]),
            ]
        )
        sqlbatch.saved([appointment], appointment_ids)
        event.appointment = appointment
        sqlbatch.saved([event], event_ids)
        messages = notify.booking_messages(event, context)
        message_ids = sqlbatch.run([sqlbatch.insert(messages)]) if messages else []
    if messages:
        sqlbatch.saved(messages, message_ids[0])
        notify.queued(messages, now)


def _check_identities(
    patient: PatientIdentity, guardian: PatientIdentity | None, today: dt.date
) -> tuple[PatientIdentity, PatientIdentity | None]:
    """Both identities validated; the guardian's errors under `guardian.<field>`."""
    errors: dict[str, list[str]] = {}
    checked: list[PatientIdentity | None] = [None, None]
    for i, (prefix, identity) in enumerate((("", patient), ("guardian.", guardian))):
        if identity is None:
            continue
        try:
            checked[i] = check_identity(identity, today)
        except ValidationError as exc:
            errors.update({prefix + field: msgs for field, msgs in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return checked[0], checked[1]


def cancel(
    appointment: Appointment,
    *,
    by_patient: bool,
    channel: Channel,
    reason: str = "",
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Cancel; cancelling a cancelled appointment again changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status in CANCELLED_STATUSES:
            return appointment
        if appointment.status != Status.BOOKED:
            raise NotChangeable("not_cancellable", "Ce rendez-vous ne peut plus être annulé.")
        if by_patient and appointment.start <= now:
            raise NotChangeable("too_late", "Ce rendez-vous est passé.")
        previous = appointment.status
        appointment.status = (
            Status.CANCELLED_BY_PATIENT if by_patient else Status.CANCELLED_BY_PRACTICE
        )
        appointment.cancel_reason = reason.strip()[:300]
        appointment.save(update_fields=["status", "cancel_reason"])
        _record(
            appointment,
            AppointmentEvent.Kind.CANCELLED,
            channel,
            actor,
            now,
            from_status=previous,
            note=appointment.cancel_reason,
        )
    return appointment


def move(
    appointment: Appointment,
    *,
    start: dt.datetime,
    channel: Channel,
    audience: Audience,
    practitioner: Practitioner | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move to another free slot (same motif), atomically: the old time is given up only
    if the new one is taken, in one transaction on one row."""
    now = now or timezone.now()
    target = practitioner or appointment.practitioner
    with _slot_taken_on_overlap(), transaction.atomic():
        lock_practitioners(appointment.practitioner_id, target.id)
        appointment = (
            Appointment.objects.select_for_update().select_related("motif").get(pk=appointment.pk)
        )
        if appointment.status != Status.BOOKED:
            raise NotChangeable("not_movable", "Ce rendez-vous ne peut plus être déplacé.")
        if audience is not Audience.STAFF and appointment.start <= now:
            raise NotChangeable("too_late", "Ce rendez-vous est passé.")
        motif = appointment.motif
        check_bookable(target, motif, audience)
        slot = check_slot_free(
            target, motif, start, audience=audience, now=now, ignore_appointment_id=appointment.id
        )
        previous_start = appointment.start
        appointment.practitioner = target
        appointment.site_id = slot.site_id
        appointment.start = slot.start
        appointment.end = slot.end
        appointment.session_key = _session_key(motif, slot.start, appointment.public_id)
        appointment.save()
        _record(
            appointment,
            AppointmentEvent.Kind.MOVED,
            channel,
            actor,
            now,
            from_status=appointment.status,
            previous_start=previous_start,
        )
    return appointment


def change_status(
    appointment: Appointment,
    status: Status,
    *,
    channel: Channel,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Arrived, seen, no-show and their corrections, as marked by the desk."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if status not in STATUS_TRANSITIONS.get(appointment.status, set()):
            raise NotChangeable("bad_transition", "Ce changement de statut n'est pas possible.")
        previous = appointment.status
        appointment.status = status
        appointment.save(update_fields=["status"])
        _record(
            appointment,
            AppointmentEvent.Kind.STATUS_CHANGED,
            channel,
            actor,
            now,
            from_status=previous,
        )
    return appointment


def row_lock() -> str:
    """Step 2 of the locking protocol: the FOR UPDATE clause of the locking reads (none on
    SQLite, where step 1 already serialises). The concurrency tests switch it off for
    their negative control."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


PRACTITIONER = connection.ops.quote_name(Practitioner._meta.db_table)
APPOINTMENT = connection.ops.quote_name(Appointment._meta.db_table)
PUBLIC_ID = Appointment._meta.get_field("public_id")
MOTIF_PRACTITIONERS = connection.ops.quote_name(Motif.practitioners.through._meta.db_table)


def lock_practitioners(*practitioner_ids: int) -> None:
    ids = sorted(set(practitioner_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {PRACTITIONER} WHERE id IN ({', '.join(['%s'] * len(ids))})"
            f" ORDER BY id{row_lock()}",
            ids,
        )


def lock_bookable(
    practitioner: Practitioner,
    motif: Motif,
    audience: Audience,
    *,
    then: Sequence[sqlbatch.Statement] = (),
) -> tuple[tuple[int, int] | None, list[list[tuple]]]:
    """Lock the practitioner's row and check, in the same statement, that the practitioner
    is still active and still offers the motif (check_bookable under the lock).

    On PostgreSQL the statement also reserves the ids of the appointment and of its
    history event (returned, else None), and the reads `then` go in the same round trip,
    after it: their rows are returned. Plain SQL: this statement is on every booking's
    path (see scheduling/queries.py)."""
    reserve, params = "", [motif.id, practitioner.id]
    if connection.vendor == "postgresql":
        reserve = ", nextval(pg_get_serial_sequence(%s, 'id'))" * 2
        params = [motif.id, Appointment._meta.db_table, AppointmentEvent._meta.db_table]
        params.append(practitioner.id)
    lock, *rows = sqlbatch.run(
        [
            (
                f"""SELECT p.active, EXISTS (SELECT 1 FROM {MOTIF_PRACTITIONERS} mp
                                   WHERE mp.motif_id = %s AND mp.practitioner_id = p.id){reserve}
                      FROM {PRACTITIONER} p WHERE p.id = %s{row_lock()}""",
                params,
            ),
            *then,
        ]
    )
    active, offered, *ids = lock[0] if lock else (False, False)
    _check_bookable(bool(active), bool(offered), practitioner, motif, audience)
    return (ids[0], ids[1]) if ids else None, rows


def _grid(agenda: AgendaInputs, rules: engine.MotifRules, day: dt.date) -> set[dt.datetime]:
    if day in agenda.closed_days:
        return set()
    return set(engine.grid_starts(rules, agenda.periods, day))


def _session_key(motif: Motif, start: dt.datetime, public_id: uuid.UUID) -> str:
    if motif.is_group_session:
        return f"session:{motif.id}:{start.astimezone(dt.UTC):%Y%m%dT%H%M%S}"
    return f"appointment:{public_id.hex}"


@contextlib.contextmanager
def _slot_taken_on_overlap() -> Iterator[None]:
    """Step 4: the exclusion constraint refused the row. Caught outside the transaction,
    which has rolled back, so no savepoint is needed around the INSERT.

    Two transactions inserting overlapping rows at once may each wait for the other while
    checking the constraint (PostgreSQL's documentation warns of it for exclusion
    constraints, unlike unique indexes): the server aborts one with "deadlock detected".
    That one lost the race for the slot, so it gets the same answer."""
    try:
        yield
    except IntegrityError as exc:
        if overlap.CONSTRAINT_NAME in str(exc):
            raise SlotTaken() from exc
        raise
    except OperationalError as exc:
        if overlap.is_deadlock_on_the_constraint(exc):
            raise SlotTaken() from exc
        raise


def _record(
    appointment: Appointment,
    kind: AppointmentEvent.Kind,
    channel: Channel,
    actor: User | None,
    now: dt.datetime,
    *,
    from_status: str,
    previous_start: dt.datetime | None = None,
    note: str = "",
) -> None:
    event = _event(
        appointment,
        kind,
        channel,
        actor,
        now,
        from_status=from_status,
        previous_start=previous_start,
        note=note,
    )
    event.save(force_insert=True)
    # The outbox: messages caused by this change, written in the same transaction.
    notify.on_appointment_event(event)
    _audit_entry(event, appointment, channel, actor, now).save(force_insert=True)


def _event(
    appointment: Appointment,
    kind: AppointmentEvent.Kind,
    channel: Channel,
    actor: User | None,
    now: dt.datetime,
    *,
    from_status: str,
    previous_start: dt.datetime | None = None,
    note: str = "",
) -> AppointmentEvent:
    return AppointmentEvent(
        appointment=appointment,
        kind=kind,
        at=now,
        channel=channel,
        actor=actor,
        from_status=from_status,
        to_status=appointment.status,
        previous_start=previous_start,
        note=note,
    )


def _audit_entry(
    event: AppointmentEvent,
    appointment: Appointment,
    channel: Channel,
    actor: User | None,
    now: dt.datetime,
):
    return audit.new_entry(
        organisation_id=appointment.organisation_id,
        action=Action.CREATE if event.kind == AppointmentEvent.Kind.BOOKED else Action.UPDATE,
        object_type=ObjectType.APPOINTMENT,
        object_id=appointment.public_id,
        channel=channel,
        actor=actor,
        summary=_audit_summary(event, appointment),
        at=now,
    )


def _audit_summary(event: AppointmentEvent, appointment: Appointment) -> str:
    """What changed, without the patient: kind, statuses, times (Paris)."""
    start = timezone.localtime(appointment.start, engine.PARIS)
    summary = f"{event.get_kind_display()} : {start:%d/%m/%Y %H:%M}"
    if event.previous_start is not None:
        summary += (
            f" (avant : {timezone.localtime(event.previous_start, engine.PARIS):%d/%m/%Y %H:%M})"
        )
    if event.from_status and event.from_status != event.to_status:
        summary += f", {event.get_from_status_display()} → {event.get_to_status_display()}"
    return summary
