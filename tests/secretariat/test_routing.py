"""Which calls a contract gives the secretariat: covered hours and modes (pure)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accueil.secretariat import routing
from accueil.secretariat.routing import DIRECT, HANDOVER, Action, Decision, Terms

MONDAY = dt.date(2027, 1, 4)
PARIS = routing.PARIS
WEEKDAYS_7_19 = routing.spans([{"days": [0, 1, 2, 3, 4, 5], "start": "07:00", "end": "19:00"}])


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def decide(mode, moment, source=DIRECT, desk_open=False, desk_missed=False) -> Decision:
    terms = Terms(mode=mode, covered=WEEKDAYS_7_19, overflow_seconds=25)
    return routing.decide(
        terms, moment, source=source, desk_open=desk_open, desk_missed=desk_missed
    )


@pytest.mark.parametrize(
    ("moment", "covered"),
    [
        (at(MONDAY, 6, 59), False),
        (at(MONDAY, 7, 0), True),
        (at(MONDAY, 18, 59), True),
        (at(MONDAY, 19, 0), False),
        (at(MONDAY + dt.timedelta(days=5), 9), True),  # Saturday
        (at(MONDAY + dt.timedelta(days=6), 9), False),  # Sunday
    ],
)
def test_covered_hours_are_paris_wall_clock_half_open(moment, covered):
    terms = Terms(mode=routing.ALL_CALLS, covered=WEEKDAYS_7_19)
    assert routing.covers(terms, moment) is covered
    # The same instant given in UTC is the same answer.
    assert routing.covers(terms, moment.astimezone(dt.UTC)) is covered


def test_summer_time_keeps_wall_clock_hours():
    july_monday = dt.date(2027, 7, 5)
    terms = Terms(mode=routing.ALL_CALLS, covered=WEEKDAYS_7_19)
    assert routing.covers(terms, dt.datetime(2027, 7, 5, 5, 0, tzinfo=dt.UTC))  # 7:00 in Paris
    assert not routing.covers(terms, dt.datetime(2027, 7, 5, 4, 59, tzinfo=dt.UTC))
    assert routing.covers(terms, at(july_monday, 18, 30))


def test_outside_covered_hours_nothing_comes_whatever_the_mode():
    for mode in routing.MODES:
        for source in (DIRECT, HANDOVER):
            assert decide(mode, at(MONDAY, 20), source).action is Action.NOT_OURS


def test_all_calls_mode_takes_direct_calls_and_handovers():
    assert decide(routing.ALL_CALLS, at(MONDAY, 9)).action is Action.QUEUE
    assert decide(routing.ALL_CALLS, at(MONDAY, 9), desk_open=True).action is Action.QUEUE
    assert decide(routing.ALL_CALLS, at(MONDAY, 9), HANDOVER).action is Action.QUEUE


def test_handovers_mode_takes_only_what_the_virtual_receptionist_hands_over():
    assert decide(routing.HANDOVERS, at(MONDAY, 9), HANDOVER).action is Action.QUEUE
    assert decide(routing.HANDOVERS, at(MONDAY, 9), DIRECT).action is Action.NOT_OURS


def test_outside_desk_hours_mode_follows_the_practice_desk():
    mode = routing.OUTSIDE_DESK_HOURS
    assert decide(mode, at(MONDAY, 9), desk_open=True).action is Action.NOT_OURS
    assert decide(mode, at(MONDAY, 9), HANDOVER, desk_open=True).action is Action.NOT_OURS
    assert decide(mode, at(MONDAY, 12, 30), desk_open=False).action is Action.QUEUE
    assert decide(mode, at(MONDAY, 12, 30), HANDOVER).action is Action.QUEUE


def test_overflow_mode_rings_the_desk_first_then_queues():
    first = decide(routing.OVERFLOW, at(MONDAY, 9))
    assert (first.action, first.ring_seconds) == (Action.RING_DESK, 25)
    assert decide(routing.OVERFLOW, at(MONDAY, 9), desk_missed=True).action is Action.QUEUE
    # The receptionist answered a hand-over: the desk already had its chance.
    assert decide(routing.OVERFLOW, at(MONDAY, 9), HANDOVER).action is Action.QUEUE


def test_choose_prefers_a_queueing_contract_then_a_ringing_one():
    queue = Decision(Action.QUEUE, "q")
    ring = Decision(Action.RING_DESK, "r", 20)
    no = Decision(Action.NOT_OURS, "n")
    assert routing.choose([(no, "a"), (ring, "b"), (queue, "c")]) == (queue, "c")
    assert routing.choose([(no, "a"), (ring, "b")]) == (ring, "b")
    decision, contract = routing.choose([(no, "a")])
    assert (decision.action, contract) == (Action.NOT_OURS, None)


def test_check_hours_names_each_mistake_in_french():
    with pytest.raises(ValidationError) as error:
        routing.check_hours(
            [
                {"days": [0, 7], "start": "07:00", "end": "19:00"},
                {"days": [1], "start": "7h", "end": "19:00"},
                {"days": [2], "start": "19:00", "end": "07:00"},
                "lundi",
            ]
        )
    errors = error.value.message_dict
    assert set(errors) == {"0.days", "1.start", "2.end", "3"}
    assert errors["2.end"] == ["La fin doit être après le début."]
    with pytest.raises(ValidationError):
        routing.check_hours({"days": [0]})


def test_check_hours_normalises_days():
    assert routing.check_hours([{"days": [4, 0, 0], "start": "08:00", "end": "12:00"}]) == [
        {"days": [0, 4], "start": "08:00", "end": "12:00"}
    ]
    assert routing.describe_hours([{"days": [0, 4], "start": "08:00", "end": "12:00"}]) == [
        "lundi, vendredi de 08:00 à 12:00"
    ]


# Call arrival: contracts and the sheet's "when the agent answers" together (routing.arrive)

UTC = dt.UTC
ALL, OVER, HAND = routing.ALL_CALLS, routing.OVERFLOW, routing.HANDOVERS
OUTSIDE = routing.OUTSIDE_DESK_HOURS
SIX_DAYS = [{"days": [0, 1, 2, 3, 4, 5], "start": "07:00", "end": "19:00"}]
EVERY_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "07:00", "end": "19:00"}]
NIGHT = [{"days": [6], "start": "02:00", "end": "03:00"}]  # Sundays, the hour DST moves
DESK = [{"days": [0, 1, 2, 3, 4], "start": "08:30", "end": "12:00"}]
Q, RING, AGENT = routing.Step.QUEUE, routing.Step.RING_DESK, routing.Step.RECEPTIONIST


def arrival_case(mode, hours, sheet_mode, moment, *, desk_line=True, missed=False, seconds=25):
    contracts = []
    if mode is not None:
        terms = Terms(mode=mode, covered=routing.spans(hours), overflow_seconds=seconds)
        contracts.append((terms, "contract"))
    answering = routing.Answering(
        mode=sheet_mode, desk_hours=routing.spans(DESK), seconds=15, desk_line=desk_line
    )
    return routing.arrive(contracts, answering, moment, desk_missed=missed)


MON = dt.date(2027, 1, 4)


@pytest.mark.parametrize(
    ("mode", "hours", "sheet", "moment", "extra", "expected"),
    [
        # No contract: the sheet alone, as before the secretariat existed.
        (None, [], "always", at(MON, 9), {}, (AGENT, 0)),
        (None, [], "overflow", at(MON, 9), {}, (RING, 15)),
        (None, [], "overflow", at(MON, 9), {"missed": True}, (AGENT, 0)),
        (None, [], "overflow", at(MON, 9), {"desk_line": False}, (AGENT, 0)),
        (None, [], "outside_hours", at(MON, 9), {}, (RING, 15)),  # desk open
        (None, [], "outside_hours", at(MON, 12), {}, (AGENT, 0)),  # desk closed at noon
        # ALL_CALLS: people answer every call in covered hours, before the receptionist.
        (ALL, SIX_DAYS, "always", at(MON, 9), {}, (Q, 0)),
        (ALL, SIX_DAYS, "overflow", at(MON, 9), {}, (Q, 0)),
        (ALL, SIX_DAYS, "always", at(MON, 19), {}, (AGENT, 0)),  # end is excluded
        (ALL, SIX_DAYS, "overflow", at(MON, 6, 59), {}, (RING, 15)),  # the sheet again
        (ALL, SIX_DAYS, "always", at(MON + dt.timedelta(days=6), 9), {}, (AGENT, 0)),  # Sunday
        # OVERFLOW: the desk rings for the contract's seconds, then the queue.
        (OVER, SIX_DAYS, "always", at(MON, 9), {}, (RING, 25)),
        (OVER, SIX_DAYS, "always", at(MON, 9), {"missed": True}, (Q, 0)),
        (OVER, SIX_DAYS, "overflow", at(MON, 9), {"seconds": 40}, (RING, 40)),
        (OVER, SIX_DAYS, "always", at(MON, 9), {"desk_line": False}, (Q, 0)),
        # OUTSIDE_DESK_HOURS: the sheet's desk hours decide, in Paris time.
        (OUTSIDE, SIX_DAYS, "always", at(MON, 9), {}, (AGENT, 0)),
        (OUTSIDE, SIX_DAYS, "outside_hours", at(MON, 9), {}, (RING, 15)),
        (OUTSIDE, SIX_DAYS, "outside_hours", at(MON, 9), {"missed": True}, (AGENT, 0)),
        (OUTSIDE, SIX_DAYS, "always", at(MON, 12), {}, (Q, 0)),
        (OUTSIDE, SIX_DAYS, "always", at(MON + dt.timedelta(days=5), 9), {}, (Q, 0)),  # Sat.
        # HANDOVERS: the receptionist answers; only its hand-overs are queued.
        (HAND, SIX_DAYS, "always", at(MON, 9), {}, (AGENT, 0)),
        (HAND, SIX_DAYS, "overflow", at(MON, 9), {}, (RING, 15)),
        # Daylight saving days, given as UTC instants: the hours stay Paris wall-clock.
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 3, 28, 5, 30, tzinfo=UTC), {}, (Q, 0)),
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 3, 27, 5, 30, tzinfo=UTC), {}, (AGENT, 0)),
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 3, 28, 16, 59, tzinfo=UTC), {}, (Q, 0)),
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 3, 28, 17, 0, tzinfo=UTC), {}, (AGENT, 0)),
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 10, 31, 17, 30, tzinfo=UTC), {}, (Q, 0)),
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 10, 31, 18, 0, tzinfo=UTC), {}, (AGENT, 0)),
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 10, 31, 6, 0, tzinfo=UTC), {}, (Q, 0)),
        (ALL, EVERY_DAY, "always", dt.datetime(2027, 10, 31, 5, 59, tzinfo=UTC), {}, (AGENT, 0)),
        # 02:30 happens twice on the autumn night (CEST, then CET), never in spring.
        (ALL, NIGHT, "always", dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC), {}, (Q, 0)),
        (ALL, NIGHT, "always", dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC), {}, (Q, 0)),
        (ALL, NIGHT, "always", dt.datetime(2027, 10, 31, 2, 0, tzinfo=UTC), {}, (AGENT, 0)),
        (ALL, NIGHT, "always", dt.datetime(2027, 3, 28, 1, 0, tzinfo=UTC), {}, (AGENT, 0)),
        (ALL, NIGHT, "always", dt.datetime(2027, 3, 28, 0, 59, tzinfo=UTC), {}, (AGENT, 0)),
    ],
)
def test_arrival_table(mode, hours, sheet, moment, extra, expected):
    found = arrival_case(mode, hours, sheet, moment, **extra)
    assert (found.step, found.seconds) == expected
    if found.step is Q:
        assert found.contract == "contract"
    if found.step is AGENT:
        assert found.contract is None


def test_arrival_prefers_a_queueing_contract_over_one_ringing_the_desk():
    answering = routing.Answering(mode="always", desk_line=True)
    overflow = Terms(mode=OVER, covered=WEEKDAYS_7_19, overflow_seconds=30)
    everything = Terms(mode=ALL, covered=WEEKDAYS_7_19)
    found = routing.arrive([(overflow, "a"), (everything, "b")], answering, at(MONDAY, 9))
    assert (found.step, found.contract) == (Q, "b")
