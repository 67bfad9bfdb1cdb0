"""The remote secretariat's services: contracts, the queue, operators' statuses, and what an
operator does on a call (through the same booking and message services as every channel).

Queue protocol (docs/decisions/0008-secretariat-queue-claiming.md):
1. One queue per secretariat across all its client practices, ordered urgent first, then
   callers listed for put-through, then `rank_at` (queued_at minus the contract's head
   start): longest waiting first. Skills: a call needing skills goes only to an operator
   who has them all.
2. `take_next_call` runs in one transaction: the operator's row is locked (a double click
   waits), the first waiting calls the operator may take are read, then one is claimed with
   SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (operators claiming at the same moment
   get different calls, nobody waits) and an UPDATE that still requires `status = waiting`.
   On SQLite the IMMEDIATE transaction serialises the whole claim.
3. Locks are taken operator first, then call, on every path.

Operators see only their own secretariat's calls: every query below filters by it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accueil.audit import services as audit
from accueil.audit.models import Action as AuditAction
from accueil.audit.models import ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel
from accueil.directory.models import Membership, Motif, Organisation, Practitioner
from accueil.directory.services import Audience, may_book
from accueil.patients.models import Patient
from accueil.patients.services import PatientIdentity, normalise_phone
from accueil.reception import instructions
from accueil.reception.models import Call
from accueil.reception.services import current_sheet, resolve_organisation, take_message
from accueil.secretariat import routing
from accueil.secretariat.models import (
    DEFAULT_BILLABLE,
    Contract,
    Operator,
    Outcome,
    QueuedCall,
)

logger = logging.getLogger(__name__)

QUEUE_ORDER = ("-urgent", "-put_through_listed", "rank_at", "id")
# Waiting calls read to find those an operator's skills allow; all go to the locking read,
# so a claim fails only when every one of them is being claimed by someone else.
CANDIDATES = 200
CLAIM_ATTEMPTS = 5
ENGAGED = (QueuedCall.Status.ON_CALL, QueuedCall.Status.WRAP_UP)
SETTABLE = (Operator.Status.AVAILABLE, Operator.Status.PAUSE, Operator.Status.OFFLINE)
MAX_NOTE = 2000
SIP_RE = re.compile(r"^sip:[A-Za-z0-9._~+\-]+@[A-Za-z0-9.\-]+(:\d{1,5})?$", re.IGNORECASE)


class Busy(Exception):
    """The operator is on a call or wrapping one up."""


class NotYourCall(Exception):
    """The call is not this operator's, or is over."""


# Contracts -------------------------------------------------------------------------------


def check_terms(
    *,
    mode: str,
    covered_hours: Any,
    overflow_seconds: int = 20,
    priority: int = 0,
    required_skills: list[str] | None = None,
    price_per_call: Decimal | str = Decimal("0"),
    monthly_fee: Decimal | str = Decimal("0"),
    billable_outcomes: list[str] | None = None,
    bill_unsatisfiable: bool = False,
    active: bool = True,
) -> dict[str, Any]:
    """A contract's terms, checked (French messages by field), as the model stores them."""
    errors: dict[str, list[str]] = {}
    if mode not in routing.MODES:
        errors["mode"] = ["Mode inconnu."]
    try:
        hours = routing.check_hours(covered_hours)
    except ValidationError as exc:
        errors["covered_hours"] = [f"{k} : {' '.join(v)}" for k, v in exc.message_dict.items()]
        hours = []
    if not 5 <= overflow_seconds <= 120:
        errors["overflow_seconds"] = ["Entre 5 et 120 secondes."]
    if not 0 <= priority <= 600:
        errors["priority"] = ["Entre 0 et 600 secondes d'avance."]
    skills = _words(required_skills or [])
    billable = DEFAULT_BILLABLE if billable_outcomes is None else list(billable_outcomes)
    if not set(billable) <= set(Outcome.values):
        errors["billable_outcomes"] = ["Issue d'appel inconnue."]
    prices = {}
    for field, value in (("price_per_call", price_per_call), ("monthly_fee", monthly_fee)):
        try:
            prices[field] = Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            errors[field] = ["Montant invalide."]
            continue
        if prices[field] < 0 or prices[field] >= 10**6:
            errors[field] = ["Montant invalide."]
    if errors:
        raise ValidationError(errors)
    return {
        "mode": mode,
        "covered_hours": hours,
        "overflow_seconds": overflow_seconds,
        "priority": priority,
        "required_skills": skills,
        "billable_outcomes": sorted(set(billable)),
        "bill_unsatisfiable": bill_unsatisfiable,
        "active": active,
        **prices,
    }


def _check_parties(secretariat: Organisation, client: Organisation) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if secretariat.kind != Organisation.Kind.REMOTE_SECRETARIAT:
        errors["secretariat"] = ["Cet établissement n'est pas un télésecrétariat."]
    if client.kind == Organisation.Kind.REMOTE_SECRETARIAT or client.pk == secretariat.pk:
        errors["client"] = ["Le client doit être un cabinet ou un établissement de soins."]
    return errors


def save_contract(
    secretariat: Organisation, client: Organisation, *, now: dt.datetime | None = None, **terms
) -> Contract:
    """Create or replace the contract between a secretariat and a client practice, as
    signed outside the console (demo, imports): agreed by the practice. The console's pages
    go through `propose_contract`, which waits for the practice's owner."""
    errors = _check_parties(secretariat, client)
    try:
        checked = check_terms(**terms)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    contract, _ = Contract.objects.update_or_create(
        secretariat=secretariat, client=client, defaults=checked
    )
    if contract.accepted_at is None:
        contract.accepted_at = now or timezone.now()
        contract.save(update_fields=["accepted_at"])
    return contract


def _words(values: list[str]) -> list[str]:
    return sorted({" ".join(str(v).split()).lower() for v in values if str(v).strip()})


def terms_of(contract: Contract) -> routing.Terms:
    return routing.Terms(
        mode=contract.mode,
        covered=routing.spans(contract.covered_hours),
        overflow_seconds=contract.overflow_seconds,
    )


def client_contracts(secretariat: Organisation) -> list[Contract]:
    return list(
        Contract.objects.filter(secretariat=secretariat)
        .select_related("client")
        .order_by("client__name")
    )


# Calls arriving --------------------------------------------------------------------------


def active_contracts(client: Organisation) -> list[Contract]:
    """The client's active contracts, highest priority first (routing.choose's order)."""
    return list(
        Contract.objects.filter(client=client, active=True, accepted_at__isnull=False)
        .select_related("secretariat")
        .order_by("-priority", "id")
    )


def route(
    client: Organisation,
    moment: dt.datetime,
    *,
    source: str,
    desk_open: bool,
    desk_missed: bool = False,
) -> tuple[routing.Decision, Contract | None]:
    """The decision of the client's active contracts (highest priority first)."""
    return routing.choose(
        (
            routing.decide(
                terms_of(c), moment, source=source, desk_open=desk_open, desk_missed=desk_missed
            ),
            c,
        )
        for c in active_contracts(client)
    )


def listed_for_put_through(sheet: dict[str, Any], caller_number: str) -> bool:
    """The caller's number is one the practice's sheet puts through (referrer, pharmacy...)."""
    return bool(caller_number) and any(
        caller_number in entry["phones"] for entry in sheet["put_through"]
    )


def enqueue(
    contract: Contract,
    *,
    source: str,
    caller_number: str,
    now: dt.datetime,
    reception_call: Call | None = None,
    urgent: bool = False,
    listed: bool = False,
    twilio_call_sid: str = "",
) -> QueuedCall:
    return QueuedCall.objects.create(
        secretariat_id=contract.secretariat_id,
        contract=contract,
        client_id=contract.client_id,
        reception_call=reception_call,
        source=source,
        caller_number=caller_number,
        urgent=urgent,
        put_through_listed=listed,
        required_skills=list(contract.required_skills),
        queued_at=now,
        rank_at=now - dt.timedelta(seconds=contract.priority),
        twilio_call_sid=twilio_call_sid[:64],
    )


def queue_handover(call: Call, now: dt.datetime) -> QueuedCall | None:
    """The virtual receptionist handed `call` over: queued when a contract covers it."""
    sheet = call.state.get("sheet") or current_sheet(call.organisation)[1]
    decision, contract = route(
        call.organisation,
        now,
        source=routing.HANDOVER,
        desk_open=instructions.desk_answers(sheet, now),
    )
    if decision.action is not routing.Action.QUEUE:
        return None
    queued = enqueue(
        contract,
        source=QueuedCall.Source.HANDOVER,
        caller_number=call.from_number,
        now=now,
        reception_call=call,
        listed=listed_for_put_through(sheet, call.from_number),
        twilio_call_sid=call.external_id if call.channel == "twilio" else "",
    )
    logger.info("call %s handed over to secretariat %s", call.id, contract.secretariat_id)
    return queued


@dataclass
class Arrival:
    """Where a direct call went (`routing.arrive`), and what the telephony must do."""

    route: routing.Arrival
    client: Organisation
    queued: QueuedCall | None = None
    position: int | None = None  # 1 for the next call an operator takes
    desk_number: str = ""  # the number to ring for RING_DESK

    @property
    def step(self) -> routing.Step:
        return self.route.step


def answering_of(sheet: dict[str, Any]) -> routing.Answering:
    answering = sheet["answering"]
    return routing.Answering(
        mode=answering["mode"],
        desk_hours=routing.spans(answering["desk_hours"]),
        seconds=answering["overflow_seconds"],
        desk_line=bool(sheet["fallback"]["number"]),
    )


def arrive(
    to: str,
    from_: str = "",
    *,
    now: dt.datetime | None = None,
    desk_missed: bool = False,
    urgent: bool = False,
    twilio_call_sid: str = "",
) -> Arrival:
    """A call dialled to a practice's number, for the Twilio webhook and the calls API:
    queued when a contract takes it now, else the desk rings first or the receptionist
    answers (routing.arrive). RING_DESK: come back with `desk_missed=True` when nobody
    picked up after `route.seconds`."""
    now = now or timezone.now()
    client = resolve_organisation(to)
    if client is None:
        raise ValidationError({"to": ["Aucun établissement ne répond à ce numéro."]})
    try:
        caller = normalise_phone(from_) if from_ else ""
    except ValidationError:
        caller = ""
    sheet = current_sheet(client)[1]
    route = routing.arrive(
        [(terms_of(c), c) for c in active_contracts(client)],
        answering_of(sheet),
        now,
        desk_missed=desk_missed,
    )
    arrival = Arrival(route, client, desk_number=sheet["fallback"]["number"])
    if route.step is not routing.Step.QUEUE:
        return arrival
    if twilio_call_sid:
        queued = QueuedCall.objects.filter(
            twilio_call_sid=twilio_call_sid, status=QueuedCall.Status.WAITING
        ).first()
        if queued is not None:  # Twilio asked again for the same waiting call
            arrival.queued, arrival.position = queued, queue_position(queued)
            return arrival
    arrival.queued = enqueue(
        route.contract,
        source=QueuedCall.Source.DIRECT,
        caller_number=caller,
        now=now,
        urgent=urgent,
        listed=listed_for_put_through(sheet, caller),
        twilio_call_sid=twilio_call_sid,
    )
    arrival.position = queue_position(arrival.queued)
    logger.info("direct call queued for secretariat %s", route.contract.secretariat_id)
    return arrival


def queue_position(queued: QueuedCall) -> int | None:
    """1 + the waiting calls of the secretariat ahead of this one (QUEUE_ORDER)."""
    if queued.status != QueuedCall.Status.WAITING:
        return None
    same = Q(urgent=queued.urgent, put_through_listed=queued.put_through_listed)
    ahead = same & (Q(rank_at__lt=queued.rank_at) | Q(rank_at=queued.rank_at, id__lt=queued.id))
    if not queued.urgent:
        ahead |= Q(urgent=True)
    if not queued.put_through_listed:
        ahead |= Q(urgent=queued.urgent, put_through_listed=True)
    waiting = QueuedCall.objects.filter(
        secretariat_id=queued.secretariat_id, status=QueuedCall.Status.WAITING
    )
    return 1 + waiting.filter(ahead).exclude(pk=queued.pk).count()


def caller_hung_up(queued_id: int, *, now: dt.datetime | None = None) -> QueuedCall | None:
    """The caller left: a waiting call is abandoned, a conversation goes to wrap-up."""
    now = now or timezone.now()
    with transaction.atomic():
        for _ in range(2):  # the call may be taken between the first read and the locks
            taker = (
                QueuedCall.objects.filter(pk=queued_id)
                .values_list("taken_by_id", flat=True)
                .first()
            )
            operator = _lock_operator(taker) if taker else None
            call = QueuedCall.objects.select_for_update().filter(pk=queued_id).first()
            if call is None or call.taken_by_id == taker:
                break
        if call is None:
            return None
        if call.status == QueuedCall.Status.WAITING:
            call.status = QueuedCall.Status.ABANDONED
            call.abandoned_at = now
            call.outcome = Outcome.ABANDONED
            call.save(update_fields=["status", "abandoned_at", "outcome"])
        elif call.status == QueuedCall.Status.ON_CALL and operator is not None:
            _end_conversation(operator, call, now)
    return call


# The receptionist's announcements (reception.signals), connected in apps.py -------------


def waiting_handover(call: Call) -> QueuedCall | None:
    """The queued call a hand-over became, while it waits."""
    return QueuedCall.objects.filter(reception_call=call, status=QueuedCall.Status.WAITING).first()


def on_handed_over(sender, *, call: Call, now: dt.datetime, **kwargs) -> None:
    with transaction.atomic():  # a savepoint: a failure here never breaks the call
        queue_handover(call, now)


def on_caller_hung_up(sender, *, call: Call, now: dt.datetime, **kwargs) -> None:
    with transaction.atomic():
        queued = QueuedCall.objects.filter(reception_call=call).values_list("id", flat=True)
        queued_id = queued.first()
        if queued_id is not None:
            caller_hung_up(queued_id, now=now)


# Operators -------------------------------------------------------------------------------


def operator_of(user: AbstractBaseUser) -> Operator | None:
    if not user.is_authenticated:
        return None
    return (
        Operator.objects.select_related("secretariat", "user")
        .filter(user=user, active=True)
        .first()
    )


def _lock_operator(operator_id: int) -> Operator:
    """The operator's row only (`of`): the joined secretariat row stays free, or every
    operator of the secretariat would wait for each other."""
    return (
        Operator.objects.select_for_update(of=("self",))
        .select_related("secretariat", "user")
        .get(pk=operator_id)
    )


def _set_status(operator: Operator, status: str, now: dt.datetime) -> None:
    if operator.status != status:
        operator.status = status
        operator.status_since = now
        operator.save(update_fields=["status", "status_since"])


def set_status(operator: Operator, status: str, *, now: dt.datetime | None = None) -> Operator:
    """Available, pause or offline; not while a call is in hand."""
    now = now or timezone.now()
    if status not in SETTABLE:
        raise ValidationError({"status": ["Statut inconnu."]})
    with transaction.atomic():
        operator = _lock_operator(operator.pk)
        if operator.status in (Operator.Status.ON_CALL, Operator.Status.WRAP_UP):
            raise Busy()
        _set_status(operator, status, now)
    return operator


def waiting_calls(secretariat: Organisation) -> list[QueuedCall]:
    """The secretariat's queue, in the order operators take it."""
    return list(
        QueuedCall.objects.filter(secretariat=secretariat, status=QueuedCall.Status.WAITING)
        .select_related("client")
        .order_by(*QUEUE_ORDER)
    )


def may_take(operator: Operator, call: QueuedCall) -> bool:
    return set(call.required_skills) <= set(operator.skills)


def claim_lock(calls: QuerySet[QueuedCall]) -> QuerySet[QueuedCall]:
    """Step 2 of the queue protocol: lock the chosen row, skipping rows another operator is
    claiming (PostgreSQL; nothing on SQLite). The concurrency tests switch it off."""
    return calls.select_for_update(skip_locked=True)


def still_waiting() -> Q:
    """The claiming UPDATE's guard, re-checked after any lock wait. Tests switch it off."""
    return Q(status=QueuedCall.Status.WAITING)


def take_next_call(operator: Operator, *, now: dt.datetime | None = None) -> QueuedCall | None:
    """Claim the first call of the queue this operator may take (None when there is none)."""
    now = now or timezone.now()
    with transaction.atomic():
        operator = _lock_operator(operator.pk)
        if operator.status in (Operator.Status.ON_CALL, Operator.Status.WRAP_UP):
            raise Busy()
        skills = set(operator.skills)
        for _ in range(CLAIM_ATTEMPTS):
            rows = QueuedCall.objects.filter(
                secretariat_id=operator.secretariat_id,
                status=QueuedCall.Status.WAITING,
                # A practice that withdrew its agreement opens none of its data.
                contract__accepted_at__isnull=False,
            ).order_by(*QUEUE_ORDER)
            ids = [
                pk
                for pk, required in rows.values_list("id", "required_skills")[:CANDIDATES]
                if set(required) <= skills
            ]
            if not ids:
                return None
            chosen = (
                claim_lock(QueuedCall.objects.filter(pk__in=ids, status=QueuedCall.Status.WAITING))
                .order_by(*QUEUE_ORDER)
                .first()
            )
            if chosen is None:
                continue  # all of them claimed meanwhile: read the queue again
            claimed = QueuedCall.objects.filter(still_waiting(), pk=chosen.pk).update(
                status=QueuedCall.Status.ON_CALL, taken_by=operator, taken_at=now
            )
            if claimed:
                _set_status(operator, Operator.Status.ON_CALL, now)
                chosen.status, chosen.taken_by, chosen.taken_at = (
                    QueuedCall.Status.ON_CALL,
                    operator,
                    now,
                )
                break
        else:
            return None
    logger.info("queued call %s taken by operator %s", chosen.id, operator.id)
    return chosen


def current_call(operator: Operator) -> QueuedCall | None:
    return (
        QueuedCall.objects.filter(taken_by=operator, status__in=ENGAGED)
        .select_related("client")
        .first()
    )


def operator_call(operator: Operator, public_id: uuid.UUID) -> QueuedCall | None:
    """A call of the operator's own secretariat (None for another's or an unknown id)."""
    return (
        QueuedCall.objects.filter(secretariat_id=operator.secretariat_id, public_id=public_id)
        .select_related("client", "taken_by__user", "reception_call", "contract")
        .first()
    )


def _lock_engaged(operator: Operator, call: QueuedCall) -> tuple[Operator, QueuedCall]:
    """Both rows locked (operator first); the call must be this operator's, not yet over."""
    operator = _lock_operator(operator.pk)
    locked = (
        QueuedCall.objects.select_for_update()
        .filter(pk=call.pk, taken_by=operator, status__in=ENGAGED)
        .first()
    )
    if locked is None:
        raise NotYourCall()
    locked.client = call.client
    return operator, locked


def _end_conversation(operator: Operator, call: QueuedCall, now: dt.datetime) -> None:
    call.status = QueuedCall.Status.WRAP_UP
    call.ended_at = now
    call.save(update_fields=["status", "ended_at"])
    _set_status(operator, Operator.Status.WRAP_UP, now)


def hang_up(operator: Operator, call: QueuedCall, *, now: dt.datetime | None = None) -> QueuedCall:
    """The conversation is over; the operator writes the wrap-up next."""
    now = now or timezone.now()
    with transaction.atomic():
        operator, locked = _lock_engaged(operator, call)
        if locked.status == QueuedCall.Status.ON_CALL:
            _end_conversation(operator, locked, now)
    return locked


def finish(
    operator: Operator,
    call: QueuedCall,
    *,
    outcome: str,
    note: str,
    now: dt.datetime | None = None,
) -> QueuedCall:
    """Every call ends with an outcome code and a wrap-up note; the operator is available."""
    now = now or timezone.now()
    note = note.strip()
    errors = {}
    if outcome not in Outcome.values or outcome == Outcome.ABANDONED:
        errors["outcome"] = ["Choisissez l'issue de l'appel."]
    if len(note) > MAX_NOTE:
        errors["note"] = ["Note trop longue (2 000 caractères au plus)."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        operator, locked = _lock_engaged(operator, call)
        locked.ended_at = locked.ended_at or now
        locked.wrapped_at = now
        locked.outcome = outcome
        locked.wrap_up_note = note
        locked.status = QueuedCall.Status.DONE
        locked.save(update_fields=["ended_at", "wrapped_at", "outcome", "wrap_up_note", "status"])
        _set_status(operator, Operator.Status.AVAILABLE, now)
    return locked


# What an operator does on a call ---------------------------------------------------------


def _own(model, client: Organisation, pk: Any, field: str, message: str, **extra):
    found = model.objects.filter(organisation=client, pk=pk, **extra).first() if pk else None
    if found is None:
        raise ValidationError({field: [message]})
    return found


def _appointment(client: Organisation, public_id: uuid.UUID) -> Appointment:
    appointment = Appointment.objects.filter(organisation=client, public_id=public_id).first()
    if appointment is None:
        raise ValidationError({"appointment": ["Rendez-vous introuvable pour ce cabinet."]})
    return appointment


def _remember(call: QueuedCall, *, appointment: int | None = None, message: int | None = None):
    if appointment is not None:
        call.appointment_ids = list(dict.fromkeys([*call.appointment_ids, appointment]))
    if message is not None:
        call.message_ids = [*call.message_ids, message]
    call.save(update_fields=["appointment_ids", "message_ids"])


def book_for_caller(
    operator: Operator,
    call: QueuedCall,
    *,
    practitioner_id: int,
    motif_id: int,
    start: dt.datetime,
    patient_id: int | None = None,
    identity: PatientIdentity | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book in the calling practice's agenda, as its staff would (Channel.OPERATOR)."""
    client = call.client
    practitioner = _own(
        Practitioner, client, practitioner_id, "practitioner", "Praticien inconnu.", active=True
    )
    practitioner.organisation = client
    motif = _own(Motif, client, motif_id, "motif", "Motif inconnu.", active=True)
    if not may_book(motif, Audience.STAFF):
        raise ValidationError({"motif": ["Motif inconnu."]})
    if patient_id:
        patient: Patient | PatientIdentity = _own(
            Patient, client, patient_id, "patient", "Patient inconnu de ce cabinet."
        )
    elif identity is not None:
        patient = identity
    else:
        raise ValidationError({"patient": ["Choisissez un patient ou saisissez son identité."]})
    with transaction.atomic():
        operator, locked = _lock_engaged(operator, call)
        appointment = booking.book(
            practitioner=practitioner,
            motif=motif,
            start=start,
            patient=patient,
            channel=Channel.OPERATOR,
            audience=Audience.STAFF,
            actor=operator.user,
            now=now,
        )
        _remember(locked, appointment=appointment.id)
    return appointment


def cancel_for_caller(
    operator: Operator,
    call: QueuedCall,
    appointment_id: uuid.UUID,
    *,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    appointment = _appointment(call.client, appointment_id)
    with transaction.atomic():
        operator, locked = _lock_engaged(operator, call)
        appointment = booking.cancel(
            appointment,
            by_patient=True,
            channel=Channel.OPERATOR,
            reason=reason.strip() or "Annulé par téléphone (télésecrétariat)",
            actor=operator.user,
            now=now,
        )
        _remember(locked, appointment=appointment.id)
    return appointment


def move_for_caller(
    operator: Operator,
    call: QueuedCall,
    appointment_id: uuid.UUID,
    *,
    start: dt.datetime,
    now: dt.datetime | None = None,
) -> Appointment:
    appointment = _appointment(call.client, appointment_id)
    with transaction.atomic():
        operator, locked = _lock_engaged(operator, call)
        appointment = booking.move(
            appointment,
            start=start,
            channel=Channel.OPERATOR,
            audience=Audience.STAFF,
            actor=operator.user,
            now=now,
        )
        _remember(locked, appointment=appointment.id)
    return appointment


def message_for_caller(
    operator: Operator,
    call: QueuedCall,
    *,
    body: str,
    urgent: bool = False,
    practitioner_id: int | None = None,
    patient_id: int | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    category: str | None = None,
    now: dt.datetime | None = None,
):
    """A message for the practice, routed by its instruction sheet as the receptionist's
    are (`reception.services.take_message`): inbox, SMS and/or e-mail to the practitioner."""
    client = call.client
    practitioner = (
        _own(Practitioner, client, practitioner_id, "practitioner", "Praticien inconnu.")
        if practitioner_id
        else None
    )
    patient = (
        _own(Patient, client, patient_id, "patient", "Patient inconnu de ce cabinet.")
        if patient_id
        else None
    )
    now = now or timezone.now()
    with transaction.atomic():
        operator, locked = _lock_engaged(operator, call)
        message = take_message(
            client,
            body=body,
            channel=Channel.OPERATOR,
            now=now,
            category=category,
            practitioner=practitioner,
            patient=patient,
            caller_name=caller_name,
            caller_phone=caller_phone or call.caller_number,
            urgent=urgent,
            actor=operator.user,
        )
        _remember(locked, message=message.id)
    return message


def message_categories(call: QueuedCall) -> list[dict[str, Any]]:
    """The message categories of the calling practice's sheet (they route a message)."""
    return current_sheet(call.client)[1]["messages"]["categories"]


def put_through_entries(call: QueuedCall) -> list[dict[str, Any]]:
    """The sheet's put-through entries, each saying whether the caller's number is listed."""
    entries = current_sheet(call.client)[1]["put_through"]
    return [
        {
            **entry,
            "index": i,
            "listed": bool(call.caller_number) and call.caller_number in entry["phones"],
        }
        for i, entry in enumerate(entries)
    ]


def put_through(
    operator: Operator,
    call: QueuedCall,
    *,
    entry_index: int,
    role: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Put the caller through to a number of the sheet, when the sheet allows it: the
    caller's number is listed, or the caller's role is one the entry accepts. The
    conversation ends there; the operator writes the wrap-up."""
    now = now or timezone.now()
    entries = put_through_entries(call)
    entry = entries[entry_index] if 0 <= entry_index < len(entries) else None
    if entry is None:
        raise ValidationError({"entry": ["Consigne de mise en relation inconnue."]})
    if not entry["listed"] and role not in entry["roles"]:
        raise ValidationError({"role": ["Les consignes ne permettent pas de passer cet appelant."]})
    with transaction.atomic():
        operator, locked = _lock_engaged(operator, call)
        if locked.status == QueuedCall.Status.ON_CALL:
            _end_conversation(operator, locked, now)
        locked.outcome = Outcome.PUT_THROUGH
        locked.save(update_fields=["outcome"])
    return entry


# Who may see what ------------------------------------------------------------------------


def supervised_secretariat(user: AbstractBaseUser) -> Organisation | None:
    """The secretariat whose wallboard the user may read: their own as an operator, or the
    one they are a member of."""
    operator = operator_of(user)
    return operator.secretariat if operator is not None else managed_secretariat(user)


def managed_secretariat(user: AbstractBaseUser) -> Organisation | None:
    """The secretariat whose billing the user manages (a member, not a mere operator)."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(
            user=user, organisation__kind=Organisation.Kind.REMOTE_SECRETARIAT
        )
        .select_related("organisation")
        .order_by("id")
        .first()
    )
    return membership.organisation if membership else None


def readable_contract(user: AbstractBaseUser, contract_id: int) -> Contract | None:
    """A contract whose statements the user may read: a member of the secretariat, or the
    client practice's owner; None for anyone else (another practice included)."""
    if not user.is_authenticated:
        return None
    return (
        Contract.objects.filter(pk=contract_id)
        .filter(
            Q(secretariat__memberships__user=user)
            | Q(
                client__memberships__user=user,
                client__memberships__role=Membership.Role.OWNER,
            )
        )
        .select_related("secretariat", "client")
        .distinct()
        .first()
    )


def contracts_of_client(user: AbstractBaseUser) -> list[Contract]:
    """Contracts of the practices the user owns (their statements)."""
    if not user.is_authenticated:
        return []
    return list(
        Contract.objects.filter(
            client__memberships__user=user, client__memberships__role=Membership.Role.OWNER
        )
        .select_related("secretariat", "client")
        .order_by("client__name")
    )


# Settings: contracts and operators, by the secretariat's owner ---------------------------


def owned_secretariat(user: AbstractBaseUser) -> Organisation | None:
    """The remote secretariat the user owns (Membership OWNER): its settings pages."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(
            user=user,
            role=Membership.Role.OWNER,
            organisation__kind=Organisation.Kind.REMOTE_SECRETARIAT,
        )
        .select_related("organisation")
        .order_by("id")
        .first()
    )
    return membership.organisation if membership else None


def candidate_clients(secretariat: Organisation) -> QuerySet[Organisation]:
    """Practices a contract may be proposed to: care organisations without one yet."""
    return (
        Organisation.objects.exclude(kind=Organisation.Kind.REMOTE_SECRETARIAT)
        .exclude(secretariat_contracts__secretariat=secretariat)
        .order_by("name")
    )


def _terms_summary(contract: Contract) -> str:
    return (
        f"{contract.get_mode_display()} ; {contract.price_per_call} € par appel, "
        f"{contract.monthly_fee} € par mois ; {'actif' if contract.active else 'suspendu'}"
    )


def _audit_contract(contract: Contract, action: str, actor, summary: str) -> None:
    """Both sides' logs: the practice sees who changed what its secretariat may do."""
    for organisation_id in (contract.secretariat_id, contract.client_id):
        audit.record(
            organisation_id=organisation_id,
            action=action,
            object_type=ObjectType.CONTRACT,
            object_id=contract.id,
            channel=Channel.OPERATOR,
            actor=actor,
            summary=summary,
        )


def propose_contract(
    secretariat: Organisation, client: Organisation, *, actor: AbstractBaseUser, **terms
) -> Contract:
    """A new contract from the console: it routes no call until the practice's owner
    accepts it (`accept_contract`)."""
    errors = _check_parties(secretariat, client)
    if Contract.objects.filter(secretariat=secretariat, client=client).exists():
        errors["client"] = ["Un contrat existe déjà avec ce cabinet."]
    try:
        checked = check_terms(**terms)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contract = Contract.objects.create(secretariat=secretariat, client=client, **checked)
        summary = f"Contrat proposé à {client.name} : {_terms_summary(contract)}"
        _audit_contract(contract, AuditAction.CREATE, actor, summary)
    return contract


def update_contract(contract: Contract, *, actor: AbstractBaseUser, **terms) -> Contract:
    checked = check_terms(**terms)
    with transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(**checked)
        contract.refresh_from_db()
        summary = f"Contrat avec {contract.client.name} modifié : {_terms_summary(contract)}"
        _audit_contract(contract, AuditAction.UPDATE, actor, summary)
    return contract


def pending_contracts(user: AbstractBaseUser) -> list[Contract]:
    """Contracts proposed to practices the user owns, awaiting their agreement."""
    return [c for c in contracts_of_client(user) if c.accepted_at is None]


def accept_contract(
    user: AbstractBaseUser, contract_id: int, *, now: dt.datetime | None = None
) -> Contract | None:
    """The client practice's owner agrees; None when the user may not (or nothing waits)."""
    contract = next((c for c in pending_contracts(user) if c.pk == contract_id), None)
    if contract is None:
        return None
    with transaction.atomic():
        contract.accepted_at = now or timezone.now()
        contract.accepted_by = user
        contract.save(update_fields=["accepted_at", "accepted_by"])
        summary = f"Contrat avec {contract.secretariat.name} accepté par le cabinet"
        _audit_contract(contract, AuditAction.UPDATE, user, summary)
    return contract


class CallsUnderway(Exception):
    """The practice withdraws its agreement while calls of the contract wait or go on."""


def withdraw_contract(
    user: AbstractBaseUser, contract_id: int, *, now: dt.datetime | None = None
) -> Contract | None:
    """The client practice's owner takes back their agreement: from then on the contract
    routes no call and opens none of the practice's data, as before they accepted it, until
    they accept it again. Refused (CallsUnderway) while one of its calls waits or is being
    answered: nobody is cut off mid-call. None when the user may not."""
    contract = next(
        (c for c in contracts_of_client(user) if c.pk == contract_id and c.accepted_at),
        None,
    )
    if contract is None:
        return None
    secretariat = contract.secretariat
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        underway = QueuedCall.objects.filter(
            contract=contract,
            status__in=[QueuedCall.Status.WAITING, *ENGAGED],
        )
        if underway.exists():
            raise CallsUnderway()
        contract.accepted_at, contract.accepted_by = None, None
        contract.save(update_fields=["accepted_at", "accepted_by"])
        summary = f"Accord du cabinet retiré : {secretariat.name} ne reçoit plus ses appels"
        _audit_contract(contract, AuditAction.UPDATE, user, summary)
    contract.secretariat = secretariat
    return contract


def secretariat_operators(secretariat: Organisation) -> list[Operator]:
    return list(
        Operator.objects.filter(secretariat=secretariat)
        .select_related("user")
        .order_by("-active", "user__last_name", "user__first_name")
    )


def check_operator_phone(value: str) -> str:
    """E.164 (French forms accepted) or a SIP address: where the bridge rings."""
    value = value.strip()
    if not value:
        return ""
    if value.lower().startswith("sip:"):
        if not SIP_RE.match(value):
            raise ValidationError({"phone": ["Adresse SIP invalide (sip:nom@domaine)."]})
        return value
    try:
        return normalise_phone(value)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc


def save_operator(
    secretariat: Organisation,
    *,
    actor: AbstractBaseUser,
    operator: Operator | None = None,
    username: str = "",
    password: str = "",
    first_name: str,
    last_name: str,
    email: str = "",
    skills: list[str],
    phone: str,
    active: bool,
    now: dt.datetime | None = None,
) -> Operator:
    """Create an operator (with their login) or change one of this secretariat's."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    try:
        phone = check_operator_phone(phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if operator is None:
        username = username.strip()
        if not username:
            errors["username"] = ["Indiquez un identifiant de connexion."]
        elif User.objects.filter(username__iexact=username).exists():
            errors["username"] = ["Cet identifiant est déjà pris."]
        try:
            validate_password(password, User(username=username, first_name=first_name))
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if operator is None:
            user = User.objects.create_user(
                username=username,
                password=password,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                email=email.strip(),
            )
            operator = Operator.objects.create(
                user=user,
                secretariat=secretariat,
                skills=_words(skills),
                phone=phone,
                active=active,
                status=Operator.Status.OFFLINE,
                status_since=now,
            )
            action, verb = AuditAction.CREATE, "ajouté"
        else:
            user = operator.user
            user.first_name, user.last_name = first_name.strip(), last_name.strip()
            user.email = email.strip()
            user.save(update_fields=["first_name", "last_name", "email"])
            operator.skills, operator.phone, operator.active = _words(skills), phone, active
            if not active and operator.status not in (
                Operator.Status.ON_CALL,
                Operator.Status.WRAP_UP,
            ):
                operator.status, operator.status_since = Operator.Status.OFFLINE, now
            operator.save()
            action, verb = AuditAction.UPDATE, "modifié"
        audit.record(
            organisation_id=secretariat.id,
            action=action,
            object_type=ObjectType.OPERATOR,
            object_id=operator.id,
            channel=Channel.OPERATOR,
            actor=actor,
            summary=f"Opérateur {user.get_username()} {verb} ({'actif' if active else 'inactif'})",
        )
    return operator
