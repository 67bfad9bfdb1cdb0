"""The virtual receptionist's services: instruction sheets (versions, YAML), calls and turns.

Every channel (JSON API, Twilio webhook, terminal, desk simulator) calls `start_call` and
`take_turn`. A call lives in its database row: `take_turn` locks that row
(SELECT ... FOR UPDATE on PostgreSQL, the IMMEDIATE write lock on SQLite), so the turns
of one call are serialised whichever process serves them, and nothing stays in memory.

What callers say is health data: it is stored on Turn rows and never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace
from django.utils import timezone

from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel, Status
from accueil.desk.models import StaffMessage
from accueil.desk.services import leave_message
from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.directory.services import Audience, motifs_open_to
from accueil.notify.services import notify_practitioner
from accueil.patients.models import Patient
from accueil.patients.services import PatientIdentity, normalise_phone
from accueil.reception import instructions, policy, signals
from accueil.reception.models import Call, InstructionSheet, Turn
from accueil.reception.sheets import (  # noqa: F401 (part of this module's interface)
    current_sheet,
    default_sheet,
    opening_hours_text,
    organisation_facts,
    patient_texts,
)
from accueil.scheduling import engine
from accueil.scheduling.services import load_agendas, motif_rules

logger = logging.getLogger(__name__)


class CallNotFound(Exception):
    pass


class CallEnded(Exception):
    pass


# Instruction sheets ----------------------------------------------------------------------


def check_sheet(organisation: Organisation, data: Any) -> dict[str, Any]:
    sheet = instructions.check_sheet(data)
    motif_names = list(
        Motif.objects.filter(organisation=organisation).values_list("name", flat=True)
    )
    practitioner_names = list(
        Practitioner.objects.filter(organisation=organisation).values_list("last_name", flat=True)
    )
    instructions.check_references(sheet, motif_names, practitioner_names)
    return sheet


def save_sheet(
    organisation: Organisation,
    data: Any,
    *,
    actor=None,
    note: str = "",
    now: dt.datetime | None = None,
) -> InstructionSheet:
    """A new version of the sheet (validated); it applies from the next call on."""
    sheet = check_sheet(organisation, data)
    with transaction.atomic():
        # Versions of one organisation are numbered one after the other.
        list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values("id"))
        last = (
            InstructionSheet.objects.filter(organisation=organisation)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        return InstructionSheet.objects.create(
            organisation=organisation,
            version=(last or 0) + 1,
            data=sheet,
            created_at=now or timezone.now(),
            created_by=actor,
            note=note[:200],
        )


def follow_motif_rename(sender, *, organisation: Organisation, old: str, new: str, **kwargs):
    """A renamed motif keeps its keywords, instructions and rules: a new version of the sheet
    with the new name (in the rename's transaction)."""
    version, sheet = current_sheet(organisation)
    if version == 0:
        return  # the defaults name no motif
    changed = False
    for item in [*sheet["motifs"], *sheet["new_patients"]]:
        if (item.get("motif") or "").casefold() == old.casefold():
            item["motif"] = new
            changed = True
    if changed:
        save_sheet(organisation, sheet, note=f"Motif renommé : {old} → {new}"[:200])


def import_sheet_yaml(
    organisation: Organisation, text: str, *, actor=None, note: str = ""
) -> InstructionSheet:
    data = instructions.from_yaml(text)
    return save_sheet(organisation, data, actor=actor, note=note or "Import YAML")


def export_sheet_yaml(organisation: Organisation, version: int | None = None) -> str | None:
    """The sheet in force (or the given version; None if there is no such version) as YAML."""
    if version is None:
        return instructions.to_yaml(current_sheet(organisation)[1])
    row = sheet_version(organisation, version)
    return instructions.to_yaml(row.data) if row else None


def sheet_versions(organisation: Organisation) -> list[InstructionSheet]:
    """Every saved version, newest first (without their content)."""
    rows = InstructionSheet.objects.filter(organisation=organisation).defer("data")
    return list(rows.select_related("created_by").order_by("-version"))


def sheet_version(organisation: Organisation, version: int) -> InstructionSheet | None:
    if not 0 < version < 2**31:  # a number typed in a URL, beyond any column
        return None
    rows = InstructionSheet.objects.filter(organisation=organisation, version=version)
    return rows.select_related("created_by").first()


# Organisations by phone ------------------------------------------------------------------


def _digits(field: str):
    expression = field
    for char in (" ", ".", "-", "(", ")"):
        expression = Replace(expression, Value(char), Value(""))
    return expression


def resolve_organisation(to: str) -> Organisation | None:
    """The organisation whose phone, or one of whose sites' phone, is `to`."""
    try:
        e164 = normalise_phone(to)
    except ValidationError:
        return None
    forms = [e164, "0" + e164[3:], e164[1:], "0033" + e164[3:]]
    organisation = (
        Organisation.objects.annotate(digits=_digits("phone"))
        .filter(digits__in=forms)
        .order_by("id")
        .first()
    )
    if organisation is not None:
        return organisation
    site = (
        Site.objects.annotate(digits=_digits("phone"))
        .filter(digits__in=forms)
        .select_related("organisation")
        .order_by("id")
        .first()
    )
    return site.organisation if site else None


def public_organisations() -> list[dict[str, Any]]:
    result = []
    for organisation in Organisation.objects.prefetch_related("sites").order_by("id"):
        result.append(
            {
                "id": organisation.id,
                "name": organisation.name,
                "phone": _e164_or_raw(organisation.phone),
                "sites": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "address": s.full_address,
                        "phone": _e164_or_raw(s.phone),
                    }
                    for s in organisation.sites.all()
                ],
            }
        )
    return result


def _e164_or_raw(phone: str) -> str:
    if not phone:
        return ""
    try:
        return normalise_phone(phone)
    except ValidationError:
        return phone


# The agenda as the policy sees it --------------------------------------------------------


class DjangoAgenda:
    """`policy.Agenda` over the database, scoped to one organisation, booking through
    `booking.services` with Channel.PHONE_AGENT and Audience.PUBLIC."""

    def __init__(self, organisation: Organisation, sheet: dict[str, Any] | None = None):
        self.organisation = organisation
        self.sheet = sheet if sheet is not None else current_sheet(organisation)[1]
        self.message_ids: list[int] = []  # messages left during this turn
        self._practitioners = {
            p.id: p
            for p in Practitioner.objects.filter(organisation=organisation, active=True).order_by(
                "id"
            )
        }
        for p in self._practitioners.values():
            p.organisation = organisation
        motif_rows = list(
            Motif.objects.filter(organisation=organisation)
            .filter(motifs_open_to(Audience.PUBLIC))
            .order_by("id")
        )
        links = defaultdict(list)
        for motif_id, pid in Motif.practitioners.through.objects.filter(
            motif__in=motif_rows, practitioner_id__in=self._practitioners
        ).values_list("motif_id", "practitioner_id"):
            links[motif_id].append(pid)
        self._motifs = {m.id: m for m in motif_rows}
        self.practitioners = [
            policy.Practitioner(p.id, p.first_name, p.last_name, p.title, p.profession)
            for p in self._practitioners.values()
        ]
        texts = instructions.public_texts(self.sheet)
        self.motifs = [
            policy.Motif(m.id, m.name, tuple(sorted(links[m.id])), texts.for_motif(m.name))
            for m in motif_rows
            if links[m.id]
        ]

    @staticmethod
    def _patient(p: Patient) -> policy.Patient:
        return policy.Patient(
            p.id, p.first_name, p.last_name, p.birth_date, p.phone, p.managed_by_id
        )

    def patients_born(self, birth_date: dt.date) -> list[policy.Patient]:
        rows = Patient.objects.filter(organisation=self.organisation, birth_date=birth_date)
        return [self._patient(p) for p in rows.order_by("id")[:50]]

    def patient(self, patient_id: int) -> policy.Patient | None:
        p = Patient.objects.filter(organisation=self.organisation, pk=patient_id).first()
        return self._patient(p) if p else None

    @staticmethod
    def _booked(a: Appointment) -> policy.Booked:
        return policy.Booked(a.id, a.start, a.practitioner_id, a.motif_id, a.patient_id)

    def upcoming(self, patient_ids: list[int], now: dt.datetime) -> list[policy.Booked]:
        rows = Appointment.objects.filter(
            organisation=self.organisation,
            patient_id__in=patient_ids,
            status=Status.BOOKED,
            start__gt=now,
        ).order_by("start", "id")[:5]
        return [self._booked(a) for a in rows]

    def offers(
        self,
        pairs: list[tuple[int, int]],
        first: dt.date,
        last: dt.date,
        now: dt.datetime,
        *,
        ignore_appointment_id: int | None = None,
    ) -> list[policy.Offer]:
        practitioners = [self._practitioners[p] for p, _ in pairs if p in self._practitioners]
        if not practitioners:
            return []
        agendas = load_agendas(
            {p.id: p for p in practitioners}.values(),
            first,
            last,
            ignore_appointment_id=ignore_appointment_id,
        )
        offers = []
        for pid, mid in pairs:
            motif = self._motifs.get(mid)
            if motif is None or pid not in agendas:
                continue
            agenda = agendas[pid]
            for slot in engine.free_slots(
                motif=motif_rules(motif, Audience.PUBLIC),
                periods=agenda.periods,
                absences=agenda.absences,
                booked=agenda.booked,
                closed_days=agenda.closed_days,
                now=now,
                first=first,
                last=last,
                limit=300,
            ):
                offers.append(policy.Offer(pid, mid, slot.start))
        return sorted(offers, key=lambda o: (o.start, o.practitioner_id))

    def book(
        self,
        offer: policy.Offer,
        patient: policy.Patient | policy.NewPatient,
        guardian: policy.Patient | None,
        now: dt.datetime,
    ) -> policy.Booked:
        practitioner = self._practitioners.get(offer.practitioner_id)
        motif = self._motifs.get(offer.motif_id)
        if practitioner is None or motif is None:
            raise policy.Refused("praticien ou motif inconnu")
        guardian_identity = None
        if isinstance(patient, policy.Patient):
            record = Patient.objects.get(organisation=self.organisation, pk=patient.id)
            target: Patient | PatientIdentity = record
        else:
            target = PatientIdentity(
                patient.first_name, patient.last_name, patient.birth_date, patient.phone
            )
            if guardian is not None:
                g = Patient.objects.get(organisation=self.organisation, pk=guardian.id)
                guardian_identity = PatientIdentity(
                    g.first_name, g.last_name, g.birth_date, g.phone or patient.phone, g.email
                )
        try:
            appointment = booking.book(
                practitioner=practitioner,
                motif=motif,
                start=offer.start,
                patient=target,
                channel=Channel.PHONE_AGENT,
                audience=Audience.PUBLIC,
                guardian=guardian_identity,
                now=now,
            )
        except booking.SlotTaken as exc:
            raise policy.SlotGone() from exc
        except ValidationError as exc:
            raise policy.Refused("; ".join(exc.messages)) from exc
        return self._booked(appointment)

    def _appointment(self, appointment_id: int) -> Appointment:
        appointment = Appointment.objects.filter(
            organisation=self.organisation, pk=appointment_id
        ).first()
        if appointment is None:
            raise policy.Refused("rendez-vous introuvable")
        return appointment

    def cancel(self, appointment_id: int, now: dt.datetime) -> policy.Booked:
        try:
            appointment = booking.cancel(
                self._appointment(appointment_id),
                by_patient=True,
                channel=Channel.PHONE_AGENT,
                reason="Annulé par téléphone (standardiste virtuelle)",
                now=now,
            )
        except booking.NotChangeable as exc:
            raise policy.Refused(str(exc)) from exc
        return self._booked(appointment)

    def move(self, appointment_id: int, start: dt.datetime, now: dt.datetime) -> policy.Booked:
        try:
            appointment = booking.move(
                self._appointment(appointment_id),
                start=start,
                channel=Channel.PHONE_AGENT,
                audience=Audience.PUBLIC,
                now=now,
            )
        except booking.SlotTaken as exc:
            raise policy.SlotGone() from exc
        except (booking.NotChangeable, ValidationError) as exc:
            raise policy.Refused(str(exc)) from exc
        return self._booked(appointment)

    def leave_message(
        self,
        *,
        body: str,
        urgent: bool,
        practitioner_id: int | None,
        patient_id: int | None,
        caller_name: str,
        caller_phone: str,
        now: dt.datetime,
        category: str | None = None,
    ) -> None:
        practitioner = self._practitioners.get(practitioner_id) if practitioner_id else None
        patient = (
            Patient.objects.filter(organisation=self.organisation, pk=patient_id).first()
            if patient_id
            else None
        )
        common = {
            "channel": Channel.PHONE_AGENT,
            "now": now,
            "category": category,
            "urgent": urgent,
            "practitioner": practitioner,
            "patient": patient,
            "caller_name": caller_name,
            "sheet": self.sheet,
        }
        try:
            message = take_message(
                self.organisation, body=body[:2000], caller_phone=caller_phone, **common
            )
        except ValidationError:
            # An unusable callback number must not lose the message.
            message = take_message(
                self.organisation,
                body=(body[:1900] + f"\n(Rappel : {caller_phone})") if caller_phone else body,
                **common,
            )
        self.message_ids.append(message.id)


# Messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Routing:
    """Where a message goes, read from the sheet: always the desk inbox (the record that
    SMS and e-mails link to), and by SMS and/or e-mail to a practitioner."""

    category: str  # the sheet's key, "" for a message outside the categories
    label: str
    practitioner: Practitioner | None
    urgent: bool
    sms: bool
    email: bool


def message_routing(
    organisation: Organisation,
    sheet: dict[str, Any],
    category: str | None,
    practitioner: Practitioner | None,
    urgent: bool = False,
) -> Routing:
    """The routing of a message of `category` (a key of the sheet; an unknown one is
    "autre"; None: no category, the desk inbox only). The practitioner is the one the
    caller named, else the category's; SMS and e-mail need one."""
    if category is None:
        return Routing("", "", practitioner, urgent, sms=False, email=False)
    categories = {c["key"]: c for c in sheet["messages"]["categories"]}
    chosen = categories.get(category) or categories.get("autre")
    if chosen is None:
        return Routing("", "", practitioner, urgent, sms=False, email=False)
    if practitioner is None and chosen.get("practitioner"):
        practitioner = (
            Practitioner.objects.filter(
                organisation=organisation,
                active=True,
                last_name__iexact=chosen["practitioner"],
            )
            .order_by("id")
            .first()
        )
    routes = instructions.routes(chosen)
    return Routing(
        category=chosen["key"],
        label=chosen["label"],
        practitioner=practitioner,
        urgent=urgent or bool(chosen.get("urgent")),
        sms="sms" in routes and practitioner is not None,
        email="email" in routes and practitioner is not None,
    )


def take_message(
    organisation: Organisation,
    *,
    body: str,
    channel: str,
    now: dt.datetime,
    category: str | None = None,
    urgent: bool = False,
    practitioner: Practitioner | None = None,
    patient: Patient | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    actor=None,
    sheet: dict[str, Any] | None = None,
) -> StaffMessage:
    """A caller's message, taken by the receptionist or an operator and routed by the
    instruction sheet (`sheet`: the one the call started with, else the one in force):
    the desk inbox, and the practitioner by SMS and/or e-mail. The inbox row and the outbox
    rows are written in one transaction: both or neither."""
    sheet = sheet if sheet is not None else current_sheet(organisation)[1]
    routing = message_routing(organisation, sheet, category, practitioner, urgent)
    with transaction.atomic():
        message = leave_message(
            organisation,
            body=body,
            channel=channel,
            now=now,
            practitioner=routing.practitioner,
            patient=patient,
            caller_name=caller_name,
            caller_phone=caller_phone,
            urgent=routing.urgent,
            actor=actor,
            category=routing.category,
            category_label=routing.label,
            notify=False,
        )
        if routing.practitioner is not None and (routing.sms or routing.email):
            notify_practitioner(
                organisation,
                routing.practitioner,
                reference=f"m{message.id}",
                urgent=routing.urgent,
                category=routing.label,
                sms=routing.sms,
                email=routing.email,
                now=now,
            )
    logger.info(
        "message %s routed (category %s, sms %s, email %s)",
        message.id,
        routing.category or "-",
        routing.sms,
        routing.email,
    )
    return message


# Calls -----------------------------------------------------------------------------------


@dataclass
class TurnResult:
    call: Call
    say: str
    status: str
    outcome: str | None
    transfer_to: str = ""


def _caller_number(raw: str) -> str:
    try:
        return normalise_phone(raw) if raw else ""
    except ValidationError:
        return ""


def _context(call: Call, organisation: Organisation, sheet: dict, now: dt.datetime):
    return policy.Context(
        sheet=sheet,
        agenda=DjangoAgenda(organisation, sheet),
        now=now,
        caller=call.from_number,
        organisation_name=organisation.name,
    )


def check_call_numbers(to: str, from_: str) -> tuple[Organisation, str, str]:
    errors: dict[str, list[str]] = {}
    organisation = resolve_organisation(to)
    if organisation is None:
        errors["to"] = ["Aucun établissement ne répond à ce numéro."]
    if errors:
        raise ValidationError(errors)
    return organisation, normalise_phone(to), _caller_number(from_)


def start_call(
    *,
    to: str,
    from_: str = "",
    channel: str = "api",
    external_id: str = "",
    now: dt.datetime | None = None,
) -> TurnResult:
    """A new call to the organisation answering at `to`; the answer is the greeting."""
    now = now or timezone.now()
    organisation, to_number, from_number = check_call_numbers(to, from_)
    version, sheet = current_sheet(organisation)
    call = Call(
        id=uuid.uuid4(),
        organisation=organisation,
        from_number=from_number,
        to_number=to_number,
        channel=channel,
        external_id=external_id[:64],
        sheet_version=version,
        started_at=now,
    )
    reply = policy.greet(_context(call, organisation, sheet, now))
    call.state = reply.state
    call.state["sheet"] = sheet  # the sheet in force when the call started applies to it
    with transaction.atomic():
        call.save(force_insert=True)
        Turn.objects.create(call=call, index=0, caller_text="", say=reply.say, at=now)
    logger.info("call %s started (organisation %s, channel %s)", call.id, organisation.id, channel)
    return TurnResult(call, reply.say, call.status, None)


def take_turn(call_id: uuid.UUID | str, text: str, *, now: dt.datetime | None = None) -> TurnResult:
    """One caller utterance on an open call, serialised with the call's other turns."""
    started = time.perf_counter()
    # Speech recognisers may send anything: no control characters (PostgreSQL refuses NUL).
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))[:2000]
    failed = False
    with transaction.atomic():
        call = (
            Call.objects.select_for_update()
            .select_related("organisation")
            .filter(pk=call_id)
            .first()
        )
        if call is None:
            raise CallNotFound()
        if call.status != Call.Status.OPEN:
            raise CallEnded()
        now = now or timezone.now()
        state = dict(call.state)
        sheet = state.pop("sheet", None) or current_sheet(call.organisation)[1]
        ctx = _context(call, call.organisation, sheet, now)
        try:
            reply = policy.respond(state, text, ctx)
        except policy.CallOver as exc:
            raise CallEnded() from exc
        except Exception:
            # Never silence, never a 500: the caller goes to a human or is told to call back.
            logger.exception("call %s: the policy failed on turn %s", call.id, call.turn_count + 1)
            transaction.set_rollback(True)
            failed = True
        else:
            call.message_ids = [*call.message_ids, *ctx.agenda.message_ids]
            _save_turn(call, reply, sheet, text, now, started)
    if failed:
        return _failure(call.id, text, now, started)
    if call.status != Call.Status.OPEN:
        logger.info("call %s %s (outcomes %s)", call.id, call.status, ",".join(call.outcomes))
    return TurnResult(call, reply.say, call.status, reply.outcome, reply.transfer_to)


def _save_turn(call, reply, sheet, text, now, started) -> None:
    call.state = {**reply.state, "sheet": sheet}
    call.status = reply.status
    call.outcomes = list(reply.state.get("outcomes", []))
    call.summary = reply.summary
    call.appointment_ids = list(dict.fromkeys(reply.appointment_ids))
    call.turn_count += 1
    if reply.transfer_to:
        call.transfer_to = reply.transfer_to
    if call.status != Call.Status.OPEN:
        call.ended_at = now
    call.save()
    Turn.objects.create(
        call=call,
        index=call.turn_count,
        caller_text=text[:2000],
        say=reply.say,
        at=now,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
    if call.status == Call.Status.TRANSFERRED and not call.state.get("put_through"):
        signals.handed_over.send_robust(sender=Call, call=call, now=now)


def _failure(call_id, text: str, now: dt.datetime, started: float) -> TurnResult:
    """The policy raised: hand the call over (fallback number) or end it politely."""
    with transaction.atomic():
        call = Call.objects.select_for_update().select_related("organisation").get(pk=call_id)
        sheet = call.state.get("sheet") or current_sheet(call.organisation)[1]
        number = sheet["fallback"]["number"]
        state = dict(call.state)
        notes = [*state.get("notes", []), "Erreur technique de l'assistante."]
        if number:
            say = "Je vous passe une personne du cabinet. Ne quittez pas."
            status, outcome = Call.Status.TRANSFERRED, "transferred"
        else:
            say = (
                "Je rencontre un problème technique. En cas d'urgence, appelez le 15. "
                "Merci de rappeler le cabinet un peu plus tard. Au revoir."
            )
            status, outcome = Call.Status.ENDED, "abandoned"
        state.update(notes=notes, status=status, outcomes=[*state.get("outcomes", []), outcome])
        reply = policy.Reply(
            say, status, outcome, state, transfer_to=number if number else "",
            summary="\n".join(notes), appointment_ids=state.get("appointments", []),
        )  # fmt: skip
        _save_turn(call, reply, sheet, text, now, started)
    return TurnResult(call, say, status, outcome, reply.transfer_to)


def hang_up(call_id: uuid.UUID | str, *, now: dt.datetime | None = None) -> Call | None:
    """The caller hung up: an open call ends (abandoned when nothing was settled); after a
    hand-over, the listeners (the secretariat's queue) are told."""
    now = now or timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is not None and call.status == Call.Status.TRANSFERRED:
            signals.caller_hung_up.send_robust(sender=Call, call=call, now=now)
        if call is None or call.status != Call.Status.OPEN:
            return call
        call.status = Call.Status.ENDED
        call.ended_at = now
        if not call.outcomes:
            call.outcomes = ["abandoned"]
        notes = [*call.state.get("notes", []), "L'appelant a raccroché."]
        call.state = {**call.state, "notes": notes, "status": "ended", "outcomes": call.outcomes}
        call.summary = "\n".join(notes)
        call.save()
    return call


def call_by_external_id(external_id: str) -> Call | None:
    if not external_id:
        return None
    return Call.objects.filter(external_id=external_id).order_by("-started_at").first()


def call_detail(call: Call) -> dict[str, Any]:
    turns = list(call.turns.order_by("index"))
    return {
        "id": str(call.id),
        "organisation": {"id": call.organisation_id, "name": call.organisation.name},
        "from": call.from_number,
        "to": call.to_number,
        "status": call.status,
        "outcome": call.outcomes[-1] if call.outcomes else None,
        "outcomes": list(call.outcomes),
        "summary": call.summary,
        "transfer_to": call.transfer_to,
        "appointment_ids": list(call.appointment_ids),
        "started_at": timezone.localtime(call.started_at).isoformat(),
        "ended_at": timezone.localtime(call.ended_at).isoformat() if call.ended_at else None,
        "duration_seconds": (
            int((call.ended_at - call.started_at).total_seconds()) if call.ended_at else None
        ),
        "transcript": [
            {
                "index": t.index,
                "caller": t.caller_text,
                "agent": t.say,
                "at": timezone.localtime(t.at).isoformat(),
            }
            for t in turns
        ],
    }


def recent_calls(
    organisation: Organisation,
    *,
    outcome: str = "",
    day: dt.date | None = None,
    limit: int = 100,
) -> list[Call]:
    """The organisation's latest calls, optionally with one outcome or on one (Paris) day."""
    calls = Call.objects.filter(organisation=organisation)
    if outcome:
        # outcomes is a JSON list of plain words: the quoted word is found in its text.
        calls = calls.filter(outcomes__icontains=f'"{outcome}"')
    if day is not None:
        calls = calls.filter(
            started_at__gte=engine.wall_clock(day, dt.time(0)),
            started_at__lt=engine.wall_clock(day + dt.timedelta(days=1), dt.time(0)),
        )
    return list(calls.order_by("-started_at")[:limit])


@dataclass
class CallRecord:
    """One call as the practice reads it: transcript, appointments and messages it left."""

    call: Call
    turns: list[Turn]
    appointments: list[Appointment]
    messages: list[StaffMessage]


def call_record(organisation: Organisation, call_id: uuid.UUID | str) -> CallRecord | None:
    """A call of this organisation (None for another's or an unknown id)."""
    call = Call.objects.filter(organisation=organisation, pk=call_id).first()
    if call is None:
        return None
    appointments = Appointment.objects.filter(
        organisation=organisation, pk__in=call.appointment_ids
    )
    messages = StaffMessage.objects.filter(organisation=organisation, pk__in=call.message_ids)
    return CallRecord(
        call=call,
        turns=list(call.turns.order_by("index")),
        appointments=list(
            appointments.select_related("patient", "practitioner", "motif").order_by("start")
        ),
        messages=list(messages.select_related("practitioner").order_by("created_at", "id")),
    )


def desk_number(organisation: Organisation) -> str | None:
    """A number of the organisation (its own, else a site's) that reaches its receptionist."""
    numbers = [
        organisation.phone,
        *organisation.sites.order_by("id").values_list("phone", flat=True),
    ]
    for number in numbers:
        found = resolve_organisation(number) if number else None
        if found is not None and found.id == organisation.id:
            return normalise_phone(number)
    return None


def start_desk_call(
    organisation: Organisation, caller: str, *, now: dt.datetime | None = None
) -> TurnResult:
    """A call from the desk's simulator to the organisation, as if `caller` dialled it."""
    errors: dict[str, list[str]] = {}
    to = desk_number(organisation)
    if to is None:
        errors["to"] = [
            "Aucun numéro de l'établissement ne mène à la standardiste : indiquez le téléphone "
            "de l'établissement ou d'un lieu dans les réglages."
        ]
    if caller.strip():
        try:
            normalise_phone(caller)
        except ValidationError as exc:
            errors["caller"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return start_call(to=to, from_=caller, channel="desk", now=now)
