"""Scripted calls (tests/reception/scenarios/*.yaml) and the runner shared by the tests and
bench/receptionist.py.

Each scenario:

    - id: book-known-thursday            # unique
      category: booking                  # booking | cancel_move | information | message |
                                         # other | emergency
      from: "+33612345678"               # caller ID ("" for a hidden number)
      sheet: {new_patients: [...]}       # sheet keys replacing the default ones
      setup:
        appointments: [{patient: dupont, day: 2, time: "09:00", practitioner: lemoine,
                        motif: consultation}]
        absent: [{practitioner: lemoine, from: 0, to: 40}]   # days from today
      turns:
        - caller: "je voudrais un rendez-vous jeudi matin"
          agent: ["nom de famille"]      # words the answer must contain (accents ignored)
      outcomes: [booked]                 # the call's outcomes, in order
      status: ended                      # open | transferred | ended (default: any)
      db: {booked: 1, cancelled: 0, moved: 0, messages: 0, urgent: 0, new_patients: 0,
           practitioner_sms: 0, practitioner_email: 0}   # the last two: routed by the sheet
      booked: {patient: dupont, practitioner: lemoine, weekday: 3, after: "09:00", before: "12:00"}

The agenda is tests/reception/agenda.py; the clock is its NOW.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from accueil.booking.models import Appointment, AppointmentEvent, Channel
from accueil.desk.models import StaffMessage
from accueil.notify.models import Channel as Via
from accueil.notify.models import Kind, Message
from accueil.patients.models import Patient
from accueil.reception import services
from accueil.reception.models import Call
from accueil.reception.understanding import fold
from tests.reception.agenda import NOW, PHONE, TODAY, at, book_for, build_practice, fill

DIRECTORY = Path(__file__).parent / "scenarios"
CATEGORIES = ("booking", "cancel_move", "information", "message", "other", "emergency")
SETTLED = {"booked", "cancelled", "moved", "informed", "message_taken", "emergency"}


def load() -> list[dict[str, Any]]:
    scenarios = []
    for path in sorted(DIRECTORY.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            item["file"] = path.name
            scenarios.append(item)
    ids = [s["id"] for s in scenarios]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate scenario ids: {duplicates}"
    return scenarios


@dataclass
class Result:
    scenario: dict[str, Any]
    outcomes: list[str] = field(default_factory=list)
    status: str = ""
    failures: list[str] = field(default_factory=list)
    wrong_actions: list[str] = field(default_factory=list)
    turn_seconds: list[float] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.wrong_actions

    @property
    def settled(self) -> bool:
        """Settled without a human: something done or said, nobody else needed."""
        state_put_through = "put_through" in self.scenario.get("tags", [])
        return (
            bool(self.outcomes)
            and "transferred" not in self.outcomes
            and "abandoned" not in self.outcomes
        ) or (state_put_through and self.outcomes == ["transferred"])

    @property
    def emergency_missed(self) -> bool:
        return "emergency" in self.scenario.get("outcomes", []) and "emergency" not in self.outcomes


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _time(text: str) -> tuple[int, int]:
    hour, minute = str(text).split(":")
    return int(hour), int(minute)


def _counts(organisation) -> dict[str, int]:
    events = AppointmentEvent.objects.filter(
        appointment__organisation=organisation, channel=Channel.PHONE_AGENT
    )
    routed = Message.objects.filter(organisation=organisation, kind=Kind.PRACTITIONER_MESSAGE)
    return {
        "booked": events.filter(kind=AppointmentEvent.Kind.BOOKED).count(),
        "cancelled": events.filter(kind=AppointmentEvent.Kind.CANCELLED).count(),
        "moved": events.filter(kind=AppointmentEvent.Kind.MOVED).count(),
        "messages": StaffMessage.objects.filter(organisation=organisation).count(),
        "urgent": StaffMessage.objects.filter(organisation=organisation, urgent=True).count(),
        "practitioner_sms": routed.filter(channel=Via.SMS).count(),
        "practitioner_email": routed.filter(channel=Via.EMAIL).count(),
        "patients": Patient.objects.filter(organisation=organisation).count(),
    }


def run(scenario: dict[str, Any], *, check_words: bool = True) -> Result:
    """Play one scenario on a fresh practice (the caller provides the database)."""
    practice = build_practice()
    organisation = practice.organisation
    setup = scenario.get("setup") or {}
    for item in setup.get("absent", []):
        fill(
            practice,
            item["practitioner"],
            TODAY + dt.timedelta(days=item.get("from", 0)),
            TODAY + dt.timedelta(days=item.get("to", 120)),
        )
    for item in setup.get("appointments", []):
        day = TODAY + dt.timedelta(days=item["day"])
        book_for(
            practice,
            item["patient"],
            at(day, *_time(item["time"])),
            practitioner=item.get("practitioner", "lemoine"),
            motif=item.get("motif", "consultation"),
        )
    if scenario.get("sheet"):
        base = services.current_sheet(organisation)[1]
        services.save_sheet(organisation, _merge(base, scenario["sheet"]), now=NOW)
    before = _counts(organisation)
    result = Result(scenario)
    started = services.start_call(
        to=scenario.get("to", PHONE), from_=scenario.get("from", ""), now=NOW
    )
    result.transcript.append(("", started.say))
    call_id = started.call.id
    status = started.status
    for i, turn in enumerate(scenario.get("turns", [])):
        if status != Call.Status.OPEN:
            result.failures.append(f"turn {i + 1}: the call is already {status}")
            break
        begin = time.perf_counter()
        answer = services.take_turn(call_id, turn["caller"], now=NOW)
        result.turn_seconds.append(time.perf_counter() - begin)
        status = answer.status
        result.transcript.append((turn["caller"], answer.say))
        if not answer.say.strip():
            result.failures.append(f"turn {i + 1}: empty answer")
        if check_words:
            said = fold(answer.say)
            for word in turn.get("agent", []):
                if fold(word) not in said:
                    result.failures.append(f"turn {i + 1}: « {word} » not in « {answer.say} »")
            for word in turn.get("not_agent", []):
                if fold(word) in said:
                    result.failures.append(f"turn {i + 1}: « {word} » in « {answer.say} »")
    call = Call.objects.get(pk=call_id)
    result.outcomes = list(call.outcomes)
    result.status = call.status
    expected_outcomes = scenario.get("outcomes")
    if expected_outcomes is not None and result.outcomes != expected_outcomes:
        result.failures.append(f"outcomes {result.outcomes} != {expected_outcomes}")
    if scenario.get("status") and call.status != scenario["status"]:
        result.failures.append(f"status {call.status} != {scenario['status']}")
    after = _counts(organisation)
    effects = {key: after[key] - before[key] for key in after}
    expected = {
        "booked": 0,
        "cancelled": 0,
        "moved": 0,
        "messages": 0,
        "urgent": 0,
        "practitioner_sms": 0,
        "practitioner_email": 0,
    }
    expected.update(scenario.get("db") or {})
    for key, value in expected.items():
        actual = effects["patients"] if key == "new_patients" else effects[key]
        if actual != value:
            wrong = key in {"booked", "cancelled", "moved"} and actual > value
            (result.wrong_actions if wrong else result.failures).append(
                f"db {key}: {actual} != {value}"
            )
    if scenario.get("booked"):
        _check_booked(scenario["booked"], practice, call, result)
    return result


def _check_booked(expected: dict, practice, call: Call, result: Result) -> None:
    appointments = list(
        Appointment.objects.filter(pk__in=call.appointment_ids).select_related("patient")
    )
    if not appointments:
        result.failures.append("no appointment touched")
        return
    appointment = appointments[-1]
    local = appointment.start.astimezone(NOW.tzinfo)
    if "patient" in expected:
        key = expected["patient"]
        if key in practice.patients:
            if appointment.patient_id != practice.patients[key].id:
                result.wrong_actions.append(f"appointment for patient {appointment.patient}")
        elif fold(appointment.patient.last_name) != fold(key):
            result.wrong_actions.append(f"appointment for {appointment.patient}, not {key}")
    if "first_name" in expected and fold(appointment.patient.first_name) != fold(
        expected["first_name"]
    ):
        result.wrong_actions.append(f"first name {appointment.patient.first_name}")
    wanted = expected.get("practitioner")
    if wanted and appointment.practitioner_id != practice.practitioner(wanted).id:
        result.wrong_actions.append(f"practitioner {appointment.practitioner}")
    if "motif" in expected and appointment.motif_id != practice.motifs[expected["motif"]].id:
        result.wrong_actions.append(f"motif {appointment.motif}")
    if "weekday" in expected and local.weekday() != expected["weekday"]:
        result.wrong_actions.append(f"weekday {local:%A}")
    if "date" in expected and local.date() != TODAY + dt.timedelta(days=expected["date"]):
        result.wrong_actions.append(f"date {local.date()}")
    if "after" in expected and (local.hour, local.minute) < _time(expected["after"]):
        result.wrong_actions.append(f"time {local:%H:%M} before {expected['after']}")
    if "before" in expected and (local.hour, local.minute) >= _time(expected["before"]):
        result.wrong_actions.append(f"time {local:%H:%M} not before {expected['before']}")
    if "not_weekday" in expected and local.weekday() == expected["not_weekday"]:
        result.wrong_actions.append(f"weekday {local:%A} excluded")
    if "guardian" in expected:
        guardian = appointment.patient.managed_by
        if guardian is None or guardian.id != practice.patients[expected["guardian"]].id:
            result.wrong_actions.append("relative not linked to the caller")
