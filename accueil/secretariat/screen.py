"""The screen pop: everything an operator needs the moment a call is taken, read from the
calling practice only (every query filters by the call's client organisation).

    the practice   instruction sheet (structured, in French), practitioners, motifs staff may
                   book, consultation and walk-in hours, addresses and access, today's agenda
    the caller     patients of that practice with the caller's number (and the relatives
                   they manage), their appointments, previous calls from that number
    the agent      what the virtual receptionist already did: summary and transcript
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accueil.booking.models import Appointment, Status
from accueil.desk import services as desk
from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.directory.services import Audience, motifs_open_to
from accueil.patients.models import Patient
from accueil.reception import services as reception
from accueil.reception.instructions import public_texts
from accueil.reception.models import OUTCOME_LABELS, Call, Turn
from accueil.reception.sheet_view import describe
from accueil.scheduling import engine
from accueil.secretariat import routing, services
from accueil.secretariat.models import QueuedCall

MAX_CANDIDATES = 8
UPCOMING = 5
PAST = 3
HISTORY = 10


@dataclass
class PracticeCard:
    organisation: Organisation
    sites: list[Site]
    hours: str
    practitioners: list[Practitioner]
    motifs: list[Motif]
    sheet: dict[str, Any]
    sheet_version: int
    agenda: list[tuple[Practitioner, list[Appointment]]]
    covered_hours: list[str]


@dataclass
class Candidate:
    patient: Patient
    upcoming: list[Appointment] = field(default_factory=list)
    past: list[Appointment] = field(default_factory=list)


@dataclass
class PastCall:
    at: dt.datetime
    who: str  # "Standardiste virtuelle", "Télésecrétariat (Alice)"
    outcome: str
    note: str


@dataclass
class ScreenPop:
    call: QueuedCall
    card: PracticeCard
    candidates: list[Candidate]
    history: list[PastCall]
    summary: str
    transcript: list[Turn]
    put_through: list[dict[str, Any]]


def practice_card(client: Organisation, today: dt.date, covered: list[str]) -> PracticeCard:
    version, sheet = reception.current_sheet(client)
    texts = public_texts(sheet)
    motifs = list(
        Motif.objects.filter(organisation=client, active=True)
        .filter(motifs_open_to(Audience.STAFF))
        .prefetch_related("practitioners")
    )
    for motif in motifs:
        motif.instructions = texts.for_motif(motif.name)  # the sheet's, as the patient reads
    practitioners = list(Practitioner.objects.filter(organisation=client, active=True))
    columns = desk.agenda(client, practitioners, [today]) if practitioners else []
    return PracticeCard(
        organisation=client,
        sites=list(client.sites.order_by("id")),
        hours=reception.opening_hours_text(client),
        practitioners=practitioners,
        motifs=motifs,
        sheet=describe(sheet),
        sheet_version=version,
        agenda=[(c.practitioner, c.appointments) for c in columns],
        covered_hours=covered,
    )


def caller_candidates(client: Organisation, number: str, now: dt.datetime) -> list[Candidate]:
    """Patients of this practice reachable at the caller's number, and their relatives."""
    if not number:
        return []
    holders = Patient.objects.filter(organisation=client, phone=number)
    patients = list(
        Patient.objects.filter(organisation=client)
        .filter(Q(phone=number) | Q(managed_by__in=holders))
        .order_by("last_name", "first_name", "id")[:MAX_CANDIDATES]
    )
    candidates = []
    for patient in patients:
        appointments = Appointment.objects.filter(
            organisation=client, patient=patient
        ).select_related("practitioner", "motif")
        candidates.append(
            Candidate(
                patient=patient,
                upcoming=list(
                    appointments.filter(status=Status.BOOKED, start__gte=now).order_by("start")[
                        :UPCOMING
                    ]
                ),
                past=list(appointments.filter(start__lt=now).order_by("-start")[:PAST]),
            )
        )
    return candidates


def call_history(call: QueuedCall) -> list[PastCall]:
    """Earlier calls from this number to this practice, by either channel, newest first."""
    if not call.caller_number:
        return []
    items = []
    for queued in (
        QueuedCall.objects.filter(client=call.client_id, caller_number=call.caller_number)
        .exclude(pk=call.pk)
        .select_related("taken_by__user")
        .order_by("-queued_at")[:HISTORY]
    ):
        who = f"Télésecrétariat ({queued.taken_by})" if queued.taken_by else "Télésecrétariat"
        items.append(
            PastCall(queued.queued_at, who, queued.get_outcome_display(), queued.wrap_up_note)
        )
    for agent_call in (
        Call.objects.filter(organisation=call.client_id, from_number=call.caller_number)
        .exclude(pk=call.reception_call_id)
        .order_by("-started_at")[:HISTORY]
    ):
        outcomes = ", ".join(OUTCOME_LABELS.get(o, o) for o in agent_call.outcomes)
        items.append(
            PastCall(agent_call.started_at, "Standardiste virtuelle", outcomes, agent_call.summary)
        )
    return sorted(items, key=lambda item: item.at, reverse=True)[:HISTORY]


def screen_pop(call: QueuedCall, now: dt.datetime | None = None) -> ScreenPop:
    now = now or timezone.now()
    today = timezone.localtime(now, engine.PARIS).date()
    agent = call.reception_call
    return ScreenPop(
        call=call,
        card=practice_card(call.client, today, routing.describe_hours(call.contract.covered_hours)),
        candidates=caller_candidates(call.client, call.caller_number, now),
        history=call_history(call),
        summary=agent.summary if agent else "",
        transcript=list(Turn.objects.filter(call=agent).order_by("index")) if agent else [],
        put_through=services.put_through_entries(call),
    )
