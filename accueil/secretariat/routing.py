"""Whether a call goes to the remote secretariat: covered hours and the contract's mode.

Pure functions: no ORM, no clock; `services` reads the contracts and the practice's sheet.

    covered hours   the contract's spans per weekday (Paris wall-clock time); outside them
                    the secretariat never answers, whatever the mode
    ALL_CALLS       every call in covered hours
    HANDOVERS       only calls the virtual receptionist hands over
    OUTSIDE_DESK    only while the practice's own desk is closed (its sheet's desk hours)
    OVERFLOW        the practice's desk rings first; after `overflow_seconds` unanswered,
                    the call comes to the queue

A hand-over comes after the receptionist answered, so the desk already had its chance:
for OVERFLOW it counts as missed.

`arrive` decides a new direct call for the Twilio webhook and the calls API alike
(docs/decisions/0013-call-arrival-routing.md). Precedence:
1. a contract that claims the call now takes it (QUEUE), or has the desk ring first
   (OVERFLOW: RING_DESK, then QUEUE when the desk did not pick up);
2. otherwise the practice's sheet ("when the agent answers"): the desk rings first in
   `overflow` mode, and in `outside_hours` mode while the desk is open; then, or at once,
   the virtual receptionist answers (RECEPTIONIST), whose hand-overs come back through
   `decide(source=HANDOVER)`.
So a practice that wants its virtual receptionist first signs a HANDOVERS contract; ALL_CALLS
means people answer every call in covered hours. With no desk number on the sheet nothing can
ring: the desk counts as missed.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

PARIS = ZoneInfo("Europe/Paris")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

ALL_CALLS = "all"
OVERFLOW = "overflow"
OUTSIDE_DESK_HOURS = "outside_desk_hours"
HANDOVERS = "handovers"
MODES = (ALL_CALLS, OVERFLOW, OUTSIDE_DESK_HOURS, HANDOVERS)

HANDOVER = "handover"
DIRECT = "direct"


class Step(enum.Enum):
    """Where a new direct call goes first (the calls API's `status`)."""

    QUEUE = "queued"  # the secretariat's queue
    RING_DESK = "ring_desk"  # the practice's desk for `seconds`, then arrive(desk_missed=True)
    RECEPTIONIST = "receptionist"  # the virtual receptionist


class Action(enum.Enum):
    QUEUE = "queue"  # the secretariat answers now
    RING_DESK = "ring_desk"  # the practice's desk first, the queue if it does not pick up
    NOT_OURS = "not_ours"  # the practice (or its virtual receptionist) answers


@dataclass(frozen=True)
class Span:
    days: frozenset[int]
    start: dt.time
    end: dt.time

    def contains(self, local: dt.datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.time() < self.end


@dataclass(frozen=True)
class Terms:
    mode: str
    covered: tuple[Span, ...]
    overflow_seconds: int = 20


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    ring_seconds: int = 0


@dataclass(frozen=True)
class Answering:
    """The practice sheet's "when the agent answers": always, outside_hours or overflow."""

    mode: str
    desk_hours: tuple[Span, ...] = ()
    seconds: int = 20
    desk_line: bool = False  # the sheet has a desk number (fallback.number) to ring

    def desk_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(PARIS)
        return any(span.contains(local) for span in self.desk_hours)


@dataclass(frozen=True)
class Arrival:
    step: Step
    reason: str
    seconds: int = 0  # how long the desk rings (RING_DESK)
    contract: Any = None  # the contract that queues the call or rings the desk for it


def check_hours(data: Any) -> list[dict[str, Any]]:
    """Covered hours as stored: [{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}], checked,
    with French messages by position ("0.end")."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, list):
        raise ValidationError({"covered_hours": ["Liste de plages attendue."]})
    spans = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            errors[str(i)] = ["Plage attendue."]
            continue
        days = item.get("days")
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)
        ):
            errors[f"{i}.days"] = ["Jours de 0 (lundi) à 6 (dimanche) attendus."]
            days = []
        times = []
        for key in ("start", "end"):
            value = item.get(key)
            if not isinstance(value, str) or not TIME_RE.match(value):
                errors[f"{i}.{key}"] = ["Heure HH:MM attendue."]
            times.append(value)
        if f"{i}.start" not in errors and f"{i}.end" not in errors and times[0] >= times[1]:
            errors[f"{i}.end"] = ["La fin doit être après le début."]
        spans.append({"days": sorted(set(days)), "start": times[0], "end": times[1]})
    if errors:
        raise ValidationError(errors)
    return spans


def spans(hours: Iterable[dict[str, Any]]) -> tuple[Span, ...]:
    return tuple(
        Span(
            frozenset(h["days"]), dt.time.fromisoformat(h["start"]), dt.time.fromisoformat(h["end"])
        )
        for h in hours
    )


def describe_hours(hours: Iterable[dict[str, Any]]) -> list[str]:
    """["lundi, mardi de 07:00 à 19:00"] for people."""
    return [
        f"{', '.join(WEEKDAYS[d] for d in h['days'])} de {h['start']} à {h['end']}" for h in hours
    ]


def covers(terms: Terms, moment: dt.datetime) -> bool:
    local = moment.astimezone(PARIS)
    return any(span.contains(local) for span in terms.covered)


def decide(
    terms: Terms, moment: dt.datetime, *, source: str, desk_open: bool, desk_missed: bool
) -> Decision:
    """What happens to a call at `moment` under these terms.

    `desk_open`: the practice's desk is in its hours; `desk_missed`: the desk was rung and did
    not pick up (always true for a hand-over, which the receptionist answered first)."""
    if not covers(terms, moment):
        return Decision(Action.NOT_OURS, "hors des heures couvertes")
    if source == HANDOVER:
        desk_missed = True
    if terms.mode == HANDOVERS:
        if source == HANDOVER:
            return Decision(Action.QUEUE, "transmis par la standardiste virtuelle")
        return Decision(Action.NOT_OURS, "seuls les appels transmis sont pris")
    if terms.mode == ALL_CALLS:
        return Decision(Action.QUEUE, "tous les appels")
    if terms.mode == OUTSIDE_DESK_HOURS:
        if desk_open:
            return Decision(Action.NOT_OURS, "le secrétariat du cabinet est ouvert")
        return Decision(Action.QUEUE, "secrétariat du cabinet fermé")
    if terms.mode == OVERFLOW:
        if desk_missed:
            return Decision(Action.QUEUE, "le cabinet n'a pas décroché")
        return Decision(Action.RING_DESK, "le cabinet d'abord", terms.overflow_seconds)
    raise ValueError(f"unknown mode {terms.mode!r}")


def choose(decisions: Iterable[tuple[Decision, Any]]) -> tuple[Decision, Any]:
    """Among a practice's contracts (in priority order), the first that queues the call,
    else the first that rings the desk first, else (NOT_OURS, None)."""
    decisions = list(decisions)
    for action in (Action.QUEUE, Action.RING_DESK):
        for decision, contract in decisions:
            if decision.action is action:
                return decision, contract
    return Decision(Action.NOT_OURS, "aucun contrat ne couvre cet appel"), None


def arrive(
    contracts: Iterable[tuple[Terms, Any]],
    answering: Answering,
    moment: dt.datetime,
    *,
    desk_missed: bool = False,
) -> Arrival:
    """Where a direct call to the practice goes at `moment` (precedence in the module
    docstring). `contracts`: the practice's active contracts, highest priority first;
    `desk_missed`: the desk was rung for this call and nobody picked up."""
    rung = desk_missed
    desk_missed = desk_missed or not answering.desk_line
    desk_open = answering.desk_open(moment)
    decision, contract = choose(
        (decide(terms, moment, source=DIRECT, desk_open=desk_open, desk_missed=desk_missed), c)
        for terms, c in contracts
    )
    if decision.action is Action.QUEUE:
        return Arrival(Step.QUEUE, decision.reason, contract=contract)
    if decision.action is Action.RING_DESK:
        return Arrival(Step.RING_DESK, decision.reason, decision.ring_seconds, contract)
    desk_first = answering.mode == "overflow" or (answering.mode == "outside_hours" and desk_open)
    if desk_first and not desk_missed:
        return Arrival(Step.RING_DESK, "le cabinet d'abord", answering.seconds)
    if rung and desk_first:
        return Arrival(Step.RECEPTIONIST, "le cabinet n'a pas décroché")
    return Arrival(Step.RECEPTIONIST, "la standardiste virtuelle répond")
