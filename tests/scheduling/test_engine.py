"""The pure slot engine: examples named after its rules, DST days, and hypothesis properties.

No database: only `accueil.scheduling.engine` is imported. The property tests check the
engine's output against an oracle written here from the documented rules (period
recurrence, spacing rule, weekly absences at the same wall-clock time), not from the
engine's own helpers.
"""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accueil.scheduling.engine import (
    PARIS,
    Absence,
    Booked,
    MotifRules,
    Period,
    Slot,
    first_grid_start,
    free_slots,
    wall_clock,
)

UTC = dt.UTC
MOTIF = 1
OTHER_MOTIF = 2
MONDAY = dt.date(2026, 6, 1)  # an ordinary week, far from DST changes and holidays
SPRING_FORWARD = dt.date(2026, 3, 29)  # Paris: 02:00 CET -> 03:00 CEST
FALL_BACK = dt.date(2026, 10, 25)  # Paris: 03:00 CEST -> 02:00 CET


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def paris(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An unambiguous Paris wall-clock instant (only for ordinary times of ordinary days)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def motif(duration: int = 30, **rules) -> MotifRules:
    return MotifRules(id=rules.pop("id", MOTIF), duration=minutes(duration), **rules)


def opening(
    start: str,
    end: str,
    weekdays=(0,),  # Mondays
    site: int = 1,
    motifs=(MOTIF,),
    **kw,
) -> Period:
    """An opening period, weekly on Mondays unless told otherwise."""
    return Period(
        site_id=site,
        motif_ids=frozenset(motifs),
        start_time=dt.time.fromisoformat(start),
        end_time=dt.time.fromisoformat(end),
        weekdays=frozenset(weekdays),
        **kw,
    )


def search(*, periods, rules=None, now=None, first=MONDAY, last=None, **kw) -> list[Slot]:
    """Free slots of `rules` (default 30 min), searched a week ahead unless `now` is given."""
    if now is None:
        now = dt.datetime.combine(first - days(7), dt.time(0), tzinfo=UTC)
    return free_slots(
        motif=rules or motif(),
        periods=periods,
        now=now,
        first=first,
        last=last or first,
        **kw,
    )


def hours(slots: list[Slot]) -> list[str]:
    """Local wall-clock starts, for readable assertions."""
    return [s.start.astimezone(PARIS).strftime("%H:%M") for s in slots]


def local_days(slots: list[Slot]) -> list[dt.date]:
    return sorted({s.start.astimezone(PARIS).date() for s in slots})


# --- Grid ---------------------------------------------------------------------------------


def test_slots_start_at_period_start_and_step_by_duration():
    slots = search(periods=[opening("09:00", "12:00")])
    assert hours(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert all(s.end - s.start == minutes(30) for s in slots)
    assert all(s.start.utcoffset() == dt.timedelta(0) for s in slots)  # returned in UTC
    assert slots[0].start == paris(MONDAY, 9)
    assert all(s.site_id == 1 and s.remaining == 1 for s in slots)


def test_step_overrides_the_duration():
    slots = search(periods=[opening("09:00", "11:00")], rules=motif(20, step=minutes(30)))
    assert hours(slots) == ["09:00", "09:30", "10:00", "10:30"]
    assert all(s.end - s.start == minutes(20) for s in slots)


def test_default_grid_leaves_room_for_the_guards():
    slots = search(periods=[opening("09:00", "11:00")], rules=motif(20, buffer_after=minutes(10)))
    assert hours(slots) == ["09:00", "09:30", "10:00", "10:30"]


def test_slot_must_fit_before_period_end():
    slots = search(periods=[opening("09:00", "10:45")])
    assert hours(slots) == ["09:00", "09:30", "10:00"]
    assert slots[-1].end == paris(MONDAY, 10, 30)


def test_slot_ending_exactly_at_period_end_is_offered():
    slots = search(periods=[opening("09:00", "10:30")])
    assert hours(slots)[-1] == "10:00"
    assert slots[-1].end == paris(MONDAY, 10, 30)


def test_period_too_short_for_the_motif_gives_nothing():
    assert search(periods=[opening("09:00", "09:25")]) == []


def test_periods_of_other_motifs_are_ignored():
    assert search(periods=[opening("09:00", "12:00", motifs=(OTHER_MOTIF,))]) == []


# --- Notice and horizon ----------------------------------------------------------------------


def test_default_min_notice_is_30_minutes_from_now():
    now = paris(MONDAY, 9, 5)
    slots = search(periods=[opening("09:00", "11:00")], rules=motif(20), now=now)
    assert hours(slots)[0] == "09:40"  # 09:20 < 09:35, 09:40 >= 09:35


def test_slot_exactly_at_the_notice_limit_is_offered():
    slots = search(periods=[opening("09:00", "10:00")], now=paris(MONDAY, 8, 30))
    assert hours(slots) == ["09:00", "09:30"]


def test_custom_min_notice():
    now = paris(MONDAY, 8, 0)
    slots = search(
        periods=[opening("09:00", "12:00")], rules=motif(min_notice=minutes(150)), now=now
    )
    assert hours(slots)[0] == "10:30"


def test_min_notice_reaching_the_next_day():
    period = opening("09:00", "10:00", weekdays=range(7))
    now = paris(MONDAY, 9, 0)
    slots = search(
        periods=[period], rules=motif(min_notice=days(1)), now=now, last=MONDAY + days(1)
    )
    assert [s.start for s in slots] == [paris(MONDAY + days(1), 9), paris(MONDAY + days(1), 9, 30)]


def test_horizon_is_counted_from_now_and_inclusive():
    period = opening("09:00", "10:00", weekdays=range(7))
    now = paris(MONDAY, 9, 0)
    slots = search(
        periods=[period],
        rules=motif(min_notice=dt.timedelta(0), horizon=days(2)),
        now=now,
        last=MONDAY + days(5),
    )
    assert [s.start for s in slots] == [
        paris(MONDAY, 9),
        paris(MONDAY, 9, 30),
        paris(MONDAY + days(1), 9),
        paris(MONDAY + days(1), 9, 30),
        paris(MONDAY + days(2), 9),  # now + 2 days exactly
    ]


def test_window_in_the_past_gives_nothing():
    now = paris(MONDAY + days(7), 9)
    assert search(periods=[opening("09:00", "12:00")], now=now) == []


# --- Recurrence ------------------------------------------------------------------------------


def test_weekly_periods_only_on_their_weekdays():
    period = opening("09:00", "10:00", weekdays=(0, 3))  # Mondays and Thursdays
    slots = search(periods=[period], last=MONDAY + days(13))
    assert local_days(slots) == [MONDAY, MONDAY + days(3), MONDAY + days(7), MONDAY + days(10)]


def test_every_two_weeks_counts_from_valid_from_week():
    wednesday = MONDAY + days(2)
    period = opening(
        "09:00", "10:00", weekdays=(0, 4), every_n_weeks=2, valid_from=wednesday
    )  # Mondays and Fridays, every other week from the week of Wednesday 3 June
    slots = search(periods=[period], last=MONDAY + days(34))
    assert local_days(slots) == [
        MONDAY + days(4),  # Friday of week 0 (its Monday is before valid_from)
        MONDAY + days(14),  # week 2
        MONDAY + days(18),
        MONDAY + days(28),  # week 4
        MONDAY + days(32),
    ]


def test_every_three_weeks_with_valid_from_long_ago():
    period = opening("09:00", "10:00", every_n_weeks=3, valid_from=MONDAY - days(7 * 30))
    slots = search(periods=[period], last=MONDAY + days(7 * 6))
    assert local_days(slots) == [MONDAY, MONDAY + days(21), MONDAY + days(42)]


def test_valid_from_and_valid_until_are_inclusive():
    period = opening(
        "09:00",
        "10:00",
        weekdays=range(7),
        valid_from=MONDAY + days(1),
        valid_until=MONDAY + days(3),
    )
    slots = search(periods=[period], last=MONDAY + days(6))
    assert local_days(slots) == [MONDAY + days(1), MONDAY + days(2), MONDAY + days(3)]


def test_single_date_period_occurs_on_that_date_only():
    saturday = MONDAY + days(5)
    period = opening("14:00", "15:00", weekdays=(), single_date=saturday)
    slots = search(periods=[period], last=MONDAY + days(13))
    assert local_days(slots) == [saturday]
    assert hours(slots) == ["14:00", "14:30"]


def test_single_date_ignores_weekdays():
    period = opening("14:00", "15:00", weekdays=(0,), single_date=MONDAY + days(2))
    slots = search(periods=[period], last=MONDAY + days(6))
    assert local_days(slots) == [MONDAY + days(2)]


def test_closed_days_yield_nothing():
    bastille_day = dt.date(2026, 7, 14)  # a Tuesday
    period = opening("09:00", "10:00", weekdays=range(7))
    slots = search(
        periods=[period],
        closed_days=[bastille_day],
        first=bastille_day - days(1),
        last=bastille_day + days(1),
    )
    assert local_days(slots) == [bastille_day - days(1), bastille_day + days(1)]


# --- Absences --------------------------------------------------------------------------------


def test_one_off_absence_blocks_overlapping_slots_only():
    absence = Absence(paris(MONDAY, 9, 45), paris(MONDAY, 10, 30))
    slots = search(periods=[opening("09:00", "12:00")], absences=[absence])
    # 09:30-10:00 and 10:00-10:30 overlap it; 09:00-09:30 and 10:30-11:00 only touch it.
    assert hours(slots) == ["09:00", "10:30", "11:00", "11:30"]


def test_multi_day_absence_blocks_whole_days():
    period = opening("09:00", "10:00", weekdays=range(7))
    holiday = Absence(paris(MONDAY, 12), paris(MONDAY + days(3), 9, 30))
    slots = search(periods=[period], absences=[holiday], last=MONDAY + days(4))
    assert [s.start for s in slots] == [
        paris(MONDAY, 9),
        paris(MONDAY, 9, 30),
        paris(MONDAY + days(3), 9, 30),
        paris(MONDAY + days(4), 9),
        paris(MONDAY + days(4), 9, 30),
    ]


def test_absence_outside_the_window_is_ignored():
    absence = Absence(paris(MONDAY - days(10), 0), paris(MONDAY - days(9), 0))
    assert len(search(periods=[opening("09:00", "10:00")], absences=[absence])) == 2


def test_weekly_absence_keeps_its_wall_clock_time_across_dst_change():
    before_dst = dt.date(2026, 3, 23)  # Monday before the spring-forward Sunday
    lunch = Absence(paris(before_dst, 12), paris(before_dst, 14), weekly=True)
    period = opening("11:00", "15:00")
    rules = motif(60)
    for monday in (before_dst, before_dst + days(7), before_dst + days(14)):
        slots = search(periods=[period], rules=rules, absences=[lunch], first=monday)
        assert hours(slots) == ["11:00", "14:00"], monday
    # After the change the absence is at 12:00 CEST = 10:00 UTC, not 11:00 UTC.
    slots = search(periods=[period], rules=rules, absences=[lunch], first=before_dst + days(7))
    assert [s.start.astimezone(UTC).hour for s in slots] == [9, 12]


def test_weekly_absence_does_not_apply_before_its_first_occurrence():
    lunch = Absence(paris(MONDAY + days(7), 12), paris(MONDAY + days(7), 14), weekly=True)
    slots = search(periods=[opening("11:00", "15:00")], rules=motif(60), absences=[lunch])
    assert hours(slots) == ["11:00", "12:00", "13:00", "14:00"]


def test_weekly_absence_repeat_until_is_inclusive():
    lunch = Absence(
        paris(MONDAY, 12), paris(MONDAY, 14), weekly=True, repeat_until=MONDAY + days(7)
    )
    period = opening("11:00", "15:00")
    rules = motif(60)
    for monday, expected in [
        (MONDAY, ["11:00", "14:00"]),
        (MONDAY + days(7), ["11:00", "14:00"]),
        (MONDAY + days(14), ["11:00", "12:00", "13:00", "14:00"]),
    ]:
        slots = search(periods=[period], rules=rules, absences=[lunch], first=monday)
        assert hours(slots) == expected, monday


# --- Appointments, buffers, travel -----------------------------------------------------------


def booked(start: dt.datetime, minutes_long: int = 30, motif_id: int = OTHER_MOTIF, **kw):
    return Booked(start=start, end=start + minutes(minutes_long), motif_id=motif_id, **kw)


def test_appointment_blocks_overlapping_slots_but_adjacent_ones_stay_free():
    appointment = booked(paris(MONDAY, 10))
    slots = search(periods=[opening("09:00", "12:00")], booked=[appointment])
    assert hours(slots) == ["09:00", "09:30", "10:30", "11:00", "11:30"]


def test_appointment_off_the_grid_blocks_both_neighbours():
    appointment = booked(paris(MONDAY, 10, 15))
    slots = search(periods=[opening("09:00", "12:00")], booked=[appointment])
    assert hours(slots) == ["09:00", "09:30", "11:00", "11:30"]


def test_motif_buffer_before_keeps_distance_after_an_appointment():
    appointment = booked(paris(MONDAY, 10))
    rules = motif(buffer_before=minutes(15), step=minutes(30))
    slots = search(periods=[opening("09:00", "12:00")], rules=rules, booked=[appointment])
    # 10:30 starts only 0 min after the appointment, 15 are needed; 09:30 and 11:30 are
    # too close to the offered 09:00 and 11:00.
    assert hours(slots) == ["09:00", "11:00"]


def test_motif_buffer_after_keeps_distance_before_an_appointment():
    appointment = booked(paris(MONDAY, 10))
    rules = motif(buffer_after=minutes(15), step=minutes(30))
    slots = search(periods=[opening("09:00", "12:00")], rules=rules, booked=[appointment])
    # The 09:30 slot would end at 10:00, 0 min before the appointment.
    assert hours(slots) == ["09:00", "10:30", "11:30"]


def test_spacing_is_the_larger_of_the_two_guards():
    # A then B needs max(A.guard_after, B.guard_before).
    appointment = booked(paris(MONDAY, 10), guard_after=minutes(20), guard_before=minutes(5))
    rules = motif(20, buffer_before=minutes(10), buffer_after=minutes(10), step=minutes(5))
    slots = search(periods=[opening("09:00", "11:30")], rules=rules, booked=[appointment])
    starts = [s.start for s in slots]
    # Before it: a slot must end by 10:00 - max(10, 5) = 09:50, so start by 09:30.
    assert paris(MONDAY, 9, 30) in starts
    assert not any(paris(MONDAY, 9, 30) < s < paris(MONDAY, 10, 50) for s in starts)
    # After it: start from 10:30 + max(20, 10) = 10:50.
    assert paris(MONDAY, 10, 50) in starts


def test_returned_slots_keep_the_spacing_between_themselves():
    rules = motif(30, buffer_before=minutes(5), buffer_after=minutes(10), step=minutes(15))
    slots = search(periods=[opening("09:00", "12:00")], rules=rules)
    assert hours(slots) == ["09:00", "09:45", "10:30", "11:15"]


def test_home_visit_travel_time_guards_both_sides():
    rules = motif(30, travel_time=minutes(20), buffer_before=minutes(5))
    assert rules.guard_before == rules.guard_after == minutes(20)
    slots = search(periods=[opening("09:00", "12:00")], rules=rules)
    assert hours(slots) == ["09:00", "09:50", "10:40", "11:30"]  # grid: 30 + 20 minutes
    appointment = booked(paris(MONDAY, 10, 30))  # no guards of its own
    slots = search(periods=[opening("09:00", "12:00")], rules=rules, booked=[appointment])
    # 09:50 would end at 10:20, 10 min before it; 11:30 is 30 min after its end.
    assert hours(slots) == ["09:00", "11:30"]


def test_appointment_with_travel_time_guards_against_following_slot():
    visit = booked(paris(MONDAY, 9), 60, guard_before=minutes(30), guard_after=minutes(30))
    slots = search(periods=[opening("08:00", "12:00")], booked=[visit])
    # The 08:00 slot ends 30 min before the visit; after it, 30 min of travel first.
    assert hours(slots) == ["08:00", "10:30", "11:00", "11:30"]


# --- Group sessions --------------------------------------------------------------------------


GROUP = motif(60, capacity=8)


def session(start: dt.datetime, participants: int) -> Booked:
    return booked(start, 60, motif_id=MOTIF, participants=participants)


def test_group_session_with_seats_left_is_offered_at_its_start():
    slots = search(
        periods=[opening("09:00", "12:00")], rules=GROUP, booked=[session(paris(MONDAY, 10), 3)]
    )
    assert [(h, s.remaining) for h, s in zip(hours(slots), slots, strict=True)] == [
        ("09:00", 8),
        ("10:00", 5),
        ("11:00", 8),
    ]


def test_group_session_blocks_other_starts_around_it():
    rules = motif(60, capacity=8, step=minutes(30))
    slots = search(
        periods=[opening("09:00", "12:00")], rules=rules, booked=[session(paris(MONDAY, 10), 3)]
    )
    assert [(h, s.remaining) for h, s in zip(hours(slots), slots, strict=True)] == [
        ("09:00", 8),
        ("10:00", 5),
        ("11:00", 8),
    ]


def test_full_group_session_is_not_offered():
    slots = search(
        periods=[opening("09:00", "12:00")], rules=GROUP, booked=[session(paris(MONDAY, 10), 8)]
    )
    assert hours(slots) == ["09:00", "11:00"]


def test_other_motif_overlapping_a_group_session_blocks_it():
    other = booked(paris(MONDAY, 10, 30), 15)
    slots = search(
        periods=[opening("09:00", "12:00")],
        rules=GROUP,
        booked=[session(paris(MONDAY, 10), 3), other],
    )
    assert hours(slots) == ["09:00", "11:00"]


def test_individual_motif_does_not_join_an_appointment_of_the_same_motif():
    appointment = booked(paris(MONDAY, 10), 30, motif_id=MOTIF)
    slots = search(periods=[opening("09:00", "11:00")], booked=[appointment])
    assert hours(slots) == ["09:00", "09:30", "10:30"]


def test_overlapping_group_session_of_the_same_motif_still_forbids_another_session():
    # Regression: a session with seats left is only exempt at its own start.
    sessions = [session(paris(MONDAY, 10), 3), session(paris(MONDAY, 10, 30), 3)]
    rules = motif(60, capacity=8, step=minutes(30))
    slots = search(periods=[opening("09:00", "13:00")], rules=rules, booked=sessions)
    assert hours(slots) == ["09:00", "11:30"]


# --- Sites, limit ----------------------------------------------------------------------------


def test_overlapping_periods_at_two_sites_never_give_overlapping_slots():
    periods = [opening("09:00", "12:00", site=1), opening("10:10", "13:20", site=2)]
    slots = search(periods=periods, rules=motif(45))
    assert slots == sorted(slots)
    for a, b in zip(slots, slots[1:], strict=False):
        assert a.end <= b.start
    assert [(h, s.site_id) for h, s in zip(hours(slots), slots, strict=True)] == [
        ("09:00", 1),
        ("09:45", 1),
        ("10:30", 1),
        ("11:15", 1),
        ("12:25", 2),  # 10:10 + 3 x 45 min; 11:40 at site 2 overlapped 11:15
    ]


def test_limit_returns_the_first_slots():
    period = opening("09:00", "12:00", weekdays=range(7))
    everything = search(periods=[period], last=MONDAY + days(3))
    assert search(periods=[period], last=MONDAY + days(3), limit=3) == everything[:3]
    assert search(periods=[period], last=MONDAY + days(3), limit=0) == []
    assert len(everything) == 24


# --- Daylight saving time --------------------------------------------------------------------


def night(day: dt.date) -> list[Slot]:
    period = opening("00:00", "05:00", weekdays=(day.weekday(),))
    return search(periods=[period], first=day)


def assert_no_overlap(slots: list[Slot]) -> None:
    assert len({s.start for s in slots}) == len(slots)
    for a, b in zip(slots, slots[1:], strict=False):
        assert a.end <= b.start


def test_spring_forward_no_slot_in_the_missing_hour():
    slots = night(SPRING_FORWARD)
    assert hours(slots) == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]
    assert all(s.start.astimezone(PARIS).hour != 2 for s in slots)
    assert_no_overlap(slots)
    # The 01:30 CET slot lasts 30 real minutes, ending at 03:00 CEST.
    assert slots[3].end.astimezone(PARIS).strftime("%H:%M%z") == "03:00+0200"


def test_fall_back_repeated_hour_gives_distinct_instants():
    slots = night(FALL_BACK)
    assert_no_overlap(slots)
    # 00:00 CEST to 05:00 CET is 6 absolute hours: 12 slots of 30 minutes.
    assert len(slots) == 12
    local = [s.start.astimezone(PARIS).strftime("%H:%M%z") for s in slots]
    assert local[4:8] == ["02:00+0200", "02:30+0200", "02:00+0100", "02:30+0100"]


def test_fall_back_with_a_step_that_does_not_divide_the_hour():
    period = opening("00:00", "05:00", weekdays=(FALL_BACK.weekday(),))
    slots = search(periods=[period], rules=motif(25), first=FALL_BACK)
    assert_no_overlap(slots)
    assert len(slots) == (6 * 60) // 25


def test_ordinary_morning_on_dst_days_keeps_wall_clock_starts():
    period = opening("08:00", "12:00", weekdays=range(7))
    expected = ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    for day, offset in [
        (SPRING_FORWARD - days(1), "+0100"),
        (SPRING_FORWARD, "+0200"),
        (FALL_BACK - days(1), "+0200"),
        (FALL_BACK, "+0100"),
    ]:
        slots = search(periods=[period], first=day)
        assert hours(slots) == expected, day
        assert {s.start.astimezone(PARIS).strftime("%z") for s in slots} == {offset}, day


def test_period_starting_in_the_missing_hour_starts_after_the_gap():
    period = opening("02:30", "04:00", weekdays=(SPRING_FORWARD.weekday(),))
    slots = search(periods=[period], first=SPRING_FORWARD)
    assert hours(slots) == ["03:00", "03:30"]


def test_wall_clock_moves_missing_times_forward_and_takes_first_repeated_time():
    assert wall_clock(SPRING_FORWARD, dt.time(2, 30)) == dt.datetime(2026, 3, 29, 1, tzinfo=UTC)
    first_half_past_two = wall_clock(FALL_BACK, dt.time(2, 30))  # CEST, not CET
    assert first_half_past_two.astimezone(UTC) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert wall_clock(MONDAY, dt.time(9)) == dt.datetime(2026, 6, 1, 7, tzinfo=UTC)


# --- Regressions: instants given in Paris time -----------------------------------------------


def test_now_in_paris_time_on_fall_back_day_is_an_absolute_instant():
    # Regression: `now + min_notice` on a Paris-aware `now` was wall-clock arithmetic, so
    # 02:45 CEST + 30 min became 03:15 CET, 1 h 30 later in absolute time.
    now_paris = dt.datetime(2026, 10, 25, 2, 45, tzinfo=PARIS)  # 00:45 UTC
    period = opening("00:00", "05:00", weekdays=(FALL_BACK.weekday(),))
    from_paris = search(periods=[period], first=FALL_BACK, now=now_paris)
    from_utc = search(periods=[period], first=FALL_BACK, now=now_paris.astimezone(UTC))
    assert from_paris == from_utc
    assert from_paris[0].start == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_absence_in_paris_time_after_spring_forward_blocks_overlapping_slot():
    # Regression: `absence.start - duration` on a Paris-aware start was wall-clock
    # arithmetic: 03:30 CEST - 1 h gave the missing 02:30, read as 03:30 CEST again, so
    # the 03:00-04:00 CEST slot was offered across the absence.
    absence = Absence(
        dt.datetime(2026, 3, 29, 3, 30, tzinfo=PARIS), dt.datetime(2026, 3, 29, 4, tzinfo=PARIS)
    )
    period = opening("00:00", "06:00", weekdays=(SPRING_FORWARD.weekday(),))
    rules = motif(60, step=minutes(30))
    slots = search(periods=[period], rules=rules, absences=[absence], first=SPRING_FORWARD)
    assert all(s.end <= absence.start or s.start >= absence.end for s in slots)


def test_weekly_absence_landing_on_spring_forward_day_blocks_overlapping_slot():
    # Same bug through a weekly absence, whose occurrences are built in Paris time.
    sunday_before = SPRING_FORWARD - days(7)
    absence = Absence(paris(sunday_before, 3, 30), paris(sunday_before, 4), weekly=True)
    period = opening("00:00", "06:00", weekdays=(SPRING_FORWARD.weekday(),))
    rules = motif(60, step=minutes(30))
    slots = search(periods=[period], rules=rules, absences=[absence], first=SPRING_FORWARD)
    blocked_from = dt.datetime(2026, 3, 29, 3, 30, tzinfo=PARIS)
    blocked_to = dt.datetime(2026, 3, 29, 4, tzinfo=PARIS)
    assert all(s.end <= blocked_from or s.start >= blocked_to for s in slots)
    assert "03:00" not in hours(slots)


def test_appointment_in_paris_time_in_the_repeated_hour_blocks_overlapping_slots():
    # Regression: `start - duration` on the second (fold=1) 02:30 dropped the fold, moving
    # the blocked interval an hour early: two free slots were blocked.
    second_half_past_two = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC).astimezone(PARIS)
    assert second_half_past_two.fold == 1  # 02:30 CET, the second 02:30
    appointment = Booked(second_half_past_two, second_half_past_two + minutes(30), OTHER_MOTIF)
    period = opening("00:00", "05:00", weekdays=(FALL_BACK.weekday(),))
    slots = search(periods=[period], booked=[appointment], first=FALL_BACK)
    assert len(slots) == 11
    assert all(s.end <= appointment.start or s.start >= appointment.end for s in slots)


def test_group_session_in_paris_time_in_the_repeated_hour_is_offered():
    # Regression: sessions were looked up by their start as given; a fold=1 Paris key never
    # matched the UTC slot start, so the session was neither joinable nor offered.
    second_two = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC).astimezone(PARIS)  # 02:00 CET
    period = opening("00:00", "05:00", weekdays=(FALL_BACK.weekday(),))
    slots = search(periods=[period], rules=GROUP, booked=[session(second_two, 3)], first=FALL_BACK)
    # (A fold=1 Paris datetime never compares equal to a UTC one: compare in UTC.)
    assert [s.remaining for s in slots if s.start == second_two.astimezone(UTC)] == [5]


def test_weekly_absence_starting_in_the_repeated_hour_keeps_its_instant():
    # Regression: occurrences of a weekly absence dropped the fold, so this absence from
    # 02:45 CEST to the second 02:30 (CET), 45 absolute minutes, ended before it started.
    start = dt.datetime(2026, 10, 25, 0, 45, tzinfo=UTC).astimezone(PARIS)
    end = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC).astimezone(PARIS)
    assert (start.fold, end.fold) == (0, 1)
    absence = Absence(start, end, weekly=True)
    period = opening("00:00", "05:00", weekdays=(FALL_BACK.weekday(),))
    slots = search(periods=[period], absences=[absence], first=FALL_BACK)
    assert all(s.end <= start or s.start >= end for s in slots)
    assert len(slots) == 12 - 2


# --- Properties ------------------------------------------------------------------------------
#
# The oracle below is written from the documented rules, independently of the engine.

ONE_MINUTE = dt.timedelta(minutes=1)
DST_DAYS = [SPRING_FORWARD, FALL_BACK]


def to_instant(naive: dt.datetime) -> dt.datetime:
    """A Paris wall-clock time as a UTC instant: an ambiguous time follows `naive.fold`
    (0 = first occurrence), a time in the spring-forward gap moves to the first existing
    minute after it."""
    while True:
        instant = naive.replace(tzinfo=PARIS).astimezone(UTC)
        if instant.astimezone(PARIS).replace(tzinfo=None, fold=0) == naive.replace(fold=0):
            return instant
        naive = naive.replace(fold=0) + ONE_MINUTE


def exists_in_paris(local: dt.datetime) -> bool:
    naive = local.replace(tzinfo=None)
    return to_instant(naive) == local.astimezone(UTC)


def occurs(period: Period, day: dt.date) -> bool:
    """Single date, or weekly on `weekdays`, every n weeks from valid_from's week (week 0),
    between valid_from and valid_until included."""
    if period.single_date:
        return day == period.single_date
    if period.valid_from and not period.valid_from <= day:
        return False
    if period.valid_until and not day <= period.valid_until:
        return False
    if day.isoweekday() - 1 not in period.weekdays:
        return False
    if period.valid_from is None:
        return True
    week0 = period.valid_from - days(period.valid_from.isoweekday() - 1)
    return (day - week0).days // 7 % period.every_n_weeks == 0


def openings(periods, motif_id, day):
    """(site, start, end) of the periods open for the motif on `day`, as UTC instants."""
    return [
        (
            p.site_id,
            to_instant(dt.datetime.combine(day, p.start_time)),
            to_instant(dt.datetime.combine(day, p.end_time)),
        )
        for p in periods
        if motif_id in p.motif_ids and occurs(p, day)
    ]


def absence_intervals(absences, until: dt.date):
    """Every occurrence of the absences up to local day `until`, as UTC intervals."""
    found = []
    for a in absences:
        if not a.weekly:
            found.append((a.start.astimezone(UTC), a.end.astimezone(UTC)))
            continue
        local_start = a.start.astimezone(PARIS).replace(tzinfo=None)
        local_end = a.end.astimezone(PARIS).replace(tzinfo=None)
        week = 0
        while True:
            start = (local_start + days(7 * week)).replace(fold=local_start.fold)
            end = (local_end + days(7 * week)).replace(fold=local_end.fold)
            if start.date() > until or (a.repeat_until and start.date() > a.repeat_until):
                break
            found.append((to_instant(start), to_instant(end)))
            week += 1
    return found


def conflicts(slot: Slot, rules: MotifRules, b: Booked) -> bool:
    """Spacing rule: A then B needs max(A.guard_after, B.guard_before) between them."""
    start, end = b.start.astimezone(UTC), b.end.astimezone(UTC)
    if b.motif_id == rules.id and b.participants < rules.capacity and start == slot.start:
        return False  # joining a group session with seats left
    gap_before = max(b.guard_after, rules.guard_before)  # b, then the slot
    gap_after = max(rules.guard_after, b.guard_before)  # the slot, then b
    return slot.start < end + gap_before and start < slot.end + gap_after


def window_days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + days(i) for i in range((last - first).days + 1)]


def five(lo: int = 0, hi: int = 287):
    """Wall-clock times on a 5-minute grid, between the lo-th and hi-th of the day."""
    return st.integers(lo, hi).map(lambda i: dt.time(i // 12, i % 12 * 5))


FIVE = five()
# Opening hours around the night of a DST change, from before 02:00 to after 03:00.
NIGHT = st.tuples(five(0, 23), five(36, 71))
GUARDS = st.sampled_from([0, 0, 0, 5, 10, 15, 30]).map(minutes)


@st.composite
def windows(draw, dst=False):
    if dst:  # the night of a DST change, with a day on each side or not
        day, wide = draw(st.sampled_from(DST_DAYS)), draw(st.booleans())
        return day - days(wide), day + days(wide)
    base = draw(
        st.one_of(
            st.sampled_from(DST_DAYS),
            st.dates(dt.date(2026, 1, 5), dt.date(2026, 12, 20)),
        )
    )
    first = base - days(draw(st.integers(0, 3)))
    return first, first + days(draw(st.integers(0, 6)))


@st.composite
def motif_rules(draw, simple=False):
    duration = minutes(5 * draw(st.integers(1, 18)))
    if simple:
        step = draw(st.none() | st.integers(0, 4).map(lambda k: duration + minutes(5 * k)))
        guards = {}
    else:
        step = draw(st.none() | st.integers(1, 24).map(lambda k: minutes(5 * k)))
        guards = {
            "buffer_before": draw(GUARDS),
            "buffer_after": draw(GUARDS),
            "travel_time": draw(st.sampled_from([0, 0, 0, 20, 45]).map(minutes)),
        }
    return MotifRules(
        id=MOTIF,
        duration=duration,
        step=step,
        min_notice=minutes(draw(st.sampled_from([0, 30, 30, 60, 24 * 60]) | st.integers(0, 2000))),
        horizon=draw(
            st.just(days(91))
            | st.sampled_from([days(91), days(2), dt.timedelta(hours=30)])
            | st.integers(0, 7 * 24 * 60).map(minutes)
        ),
        capacity=draw(st.sampled_from([1, 1, 8]) | st.integers(1, 8)),
        **guards,
    )


@st.composite
def periods_in(draw, first, last, times=None, night=False):
    any_hours = st.lists(FIVE, min_size=2, max_size=2, unique=True).map(sorted)
    start_time, end_time = times or draw(NIGHT if night else NIGHT | any_hours)
    kw = {}
    if draw(st.integers(0, 5)) == 0:
        kw["single_date"] = draw(st.dates(first - days(1), last + days(1)))
    else:
        kw["weekdays"] = draw(st.frozensets(st.integers(0, 6), min_size=1))
        if night:
            kw["weekdays"] |= {SPRING_FORWARD.weekday()}  # both DST changes are on Sundays
        kw["every_n_weeks"] = draw(st.integers(1, 3))
        kw["valid_from"] = draw(st.none() | st.dates(first - days(70), last + days(2)))
        if kw["valid_from"] is None:
            kw["every_n_weeks"] = 1
        kw["valid_until"] = draw(st.none() | st.dates(first - days(3), last + days(3)))
    return Period(
        site_id=draw(st.integers(1, 2)),
        motif_ids=frozenset(draw(st.sampled_from([{MOTIF}, {MOTIF, OTHER_MOTIF}, {OTHER_MOTIF}]))),
        start_time=start_time,
        end_time=end_time,
        **kw,
    )


TRANSITIONS = [dt.datetime(2026, 3, 29, 1, tzinfo=UTC), dt.datetime(2026, 10, 25, 1, tzinfo=UTC)]


def as_given(instant: dt.datetime, in_paris: bool) -> dt.datetime:
    """Callers may pass aware datetimes in any zone: UTC, or Paris (fold set when repeated)."""
    return instant.astimezone(PARIS) if in_paris else instant


def instants_near(first: dt.date, last: dt.date, before=2, after=2):
    """UTC instants on a 5-minute grid around the window, often close to a DST change."""
    origin = dt.datetime.combine(first - days(before), dt.time(0), tzinfo=UTC)
    end = dt.datetime.combine(last + days(after), dt.time(0), tzinfo=UTC)
    instants = st.integers(0, (end - origin) // minutes(5)).map(lambda k: origin + minutes(5 * k))
    near = [t for t in TRANSITIONS if origin <= t <= end]
    if near:
        instants |= st.builds(
            lambda t, k: t + minutes(5 * k), st.sampled_from(near), st.integers(-24, 24)
        )
    return instants


@st.composite
def now_for(draw, rules, first, last):
    """Mostly up to 3 days before the window; or so that the notice or the horizon ends
    close to a DST change in the window."""
    near = [t for t in TRANSITIONS if first - days(1) <= t.date() <= last + days(1)]
    if near and draw(st.booleans()):
        reach = draw(st.sampled_from([rules.min_notice, rules.horizon]))
        now = draw(st.sampled_from(near)) - reach + minutes(5 * draw(st.integers(-24, 24)))
    else:
        midnight = dt.datetime.combine(first, dt.time(0), tzinfo=UTC)
        now = midnight - minutes(5 * draw(st.integers(-12, 3 * 24 * 12)))
    now += dt.timedelta(seconds=draw(st.sampled_from([0, 0, 1, 59])))
    return as_given(now, draw(st.booleans()))


@st.composite
def absences_in(draw, first, last):
    start = draw(instants_near(first, last))
    weekly = draw(st.booleans())
    if weekly:
        # Started some weeks earlier at the same wall-clock time.
        local = start.astimezone(PARIS).replace(tzinfo=None)
        start = to_instant(local - days(7 * draw(st.integers(0, 5))))
        length = minutes(5 * draw(st.integers(1, 72)))
    else:
        length = draw(
            st.integers(1, 48).map(lambda k: minutes(5 * k))
            | st.integers(1, 30).map(lambda h: dt.timedelta(hours=h))
        )
    in_paris = draw(st.booleans())
    return Absence(
        as_given(start, in_paris),
        as_given(start + length, in_paris),
        weekly=weekly,
        repeat_until=draw(st.none() | st.dates(first - days(3), last + days(3)))
        if weekly
        else None,
    )


@st.composite
def booked_in(draw, first, last, rules, periods):
    if periods and draw(st.booleans()):
        # On the motif's grid, so that group sessions meet the offered starts.
        period = draw(st.sampled_from(periods))
        day = draw(st.sampled_from(window_days(first, last)))
        start = to_instant(dt.datetime.combine(day, period.start_time))
        start += rules.grid_step * draw(st.integers(0, 6))
    else:
        start = draw(instants_near(first, last, before=1, after=1))
    same = draw(st.booleans())
    length = (
        rules.duration if same and draw(st.booleans()) else minutes(5 * draw(st.integers(1, 24)))
    )
    in_paris = draw(st.booleans())
    return Booked(
        start=as_given(start, in_paris),
        end=as_given(start + length, in_paris),
        motif_id=MOTIF if same else draw(st.sampled_from([OTHER_MOTIF, 3])),
        guard_before=draw(GUARDS),
        guard_after=draw(GUARDS),
        participants=draw(st.integers(1, max(1, rules.capacity))),
    )


def closed_days_in(first: dt.date, last: dt.date):
    return st.just([]) | st.lists(st.sampled_from(window_days(first, last)), max_size=2)


@st.composite
def scenarios(draw, dst=False):
    first, last = draw(windows(dst))
    rules = draw(motif_rules())
    periods = draw(st.lists(periods_in(first, last, night=dst), min_size=1, max_size=5))
    return {
        "motif": rules,
        "periods": periods,
        "absences": draw(st.lists(absences_in(first, last), max_size=3)),
        "booked": draw(st.lists(booked_in(first, last, rules, periods), max_size=6)),
        "closed_days": draw(closed_days_in(first, last)),
        "now": draw(now_for(rules, first, last)),
        "first": first,
        "last": last,
    }


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios(), st.integers(0, 5))
def test_every_returned_slot_obeys_every_rule(case, limit):
    check_every_rule(case, limit)


@settings(PROPERTY, max_examples=150)
@given(scenarios(dst=True), st.integers(0, 5))
def test_every_returned_slot_obeys_every_rule_around_dst_changes(case, limit):
    check_every_rule(case, limit)


def check_every_rule(case: dict, limit: int) -> None:
    slots = free_slots(**case)
    assert free_slots(**case, limit=limit) == slots[:limit]
    rules: MotifRules = case["motif"]
    now = case["now"].astimezone(UTC)
    blocked = absence_intervals(case["absences"], case["last"] + days(1))
    spacing = max(rules.guard_before, rules.guard_after)
    step = rules.grid_step

    assert slots == sorted(slots)
    for slot in slots:
        local = slot.start.astimezone(PARIS)
        assert slot.start.utcoffset() == dt.timedelta(0)
        assert exists_in_paris(local)
        assert slot.end - slot.start == rules.duration
        assert case["first"] <= local.date() <= case["last"]
        assert local.date() not in case["closed_days"]
        assert now + rules.min_notice <= slot.start <= now + rules.horizon
        assert any(
            site == slot.site_id
            and start <= slot.start
            and slot.end <= end
            and (slot.start - start) % step == dt.timedelta(0)
            for site, start, end in openings(case["periods"], rules.id, local.date())
        ), "outside every opening period of the motif"
        for start, end in blocked:
            assert not (slot.start < end and start < slot.end), "overlaps an absence"
        for b in case["booked"]:
            assert not conflicts(slot, rules, b), f"conflicts with {b}"
        sessions = [
            rules.capacity - b.participants
            for b in case["booked"]
            if b.motif_id == rules.id
            and b.participants < rules.capacity
            and b.start.astimezone(UTC) == slot.start  # a fold=1 Paris time never == UTC
        ]
        assert 1 <= slot.remaining <= rules.capacity
        if len(sessions) == 1:
            assert slot.remaining == sessions[0]
        elif not sessions:
            assert slot.remaining == rules.capacity
    for a, b in zip(slots, slots[1:], strict=False):
        assert a.end + spacing <= b.start, "returned slots too close"


@st.composite
def simple_scenarios(draw):
    """No bookings, no absences, no guards, step >= duration, periods disjoint in time."""
    first, last = draw(windows())
    rules = draw(motif_rules(simple=True))
    bounds = sorted(draw(st.lists(FIVE, min_size=2, max_size=8, unique=True)))
    pairs = list(zip(bounds[::2], bounds[1::2], strict=False))
    periods = [draw(periods_in(first, last, times=pair)) for pair in pairs]
    return {
        "motif": rules,
        "periods": periods,
        "closed_days": draw(closed_days_in(first, last)),
        "now": draw(now_for(rules, first, last)),
        "first": first,
        "last": last,
    }


@PROPERTY
@given(simple_scenarios())
def test_no_valid_grid_start_is_dropped(case):
    rules: MotifRules = case["motif"]
    now = case["now"].astimezone(UTC)
    step = rules.step or rules.duration
    expected = []
    for day in window_days(case["first"], case["last"]):
        if day in case["closed_days"]:
            continue
        for site, start, end in openings(case["periods"], rules.id, day):
            while start + rules.duration <= end:
                if now + rules.min_notice <= start <= now + rules.horizon:
                    expected.append((start, site))
                start += step
    found = [(s.start, s.site_id) for s in free_slots(**case)]
    assert found == sorted(expected)
    assert all(s.remaining == rules.capacity for s in free_slots(**case))


# --- first_grid_start: the lower bound `first_available` ranks practitioners by -----------


def without_agenda(case: dict) -> dict:
    """The scenario's grid alone: no booking, no absence."""
    return {k: v for k, v in case.items() if k not in ("absences", "booked")}


@PROPERTY
@given(scenarios())
def test_first_grid_start_is_the_first_slot_of_an_empty_agenda(case):
    empty = without_agenda(case)
    slots = free_slots(**empty, limit=1)
    assert first_grid_start(**empty) == (slots[0].start if slots else None)


@settings(PROPERTY, max_examples=150)
@given(scenarios(dst=True))
def test_first_grid_start_is_the_first_slot_of_an_empty_agenda_around_dst_changes(case):
    empty = without_agenda(case)
    slots = free_slots(**empty, limit=1)
    assert first_grid_start(**empty) == (slots[0].start if slots else None)


@PROPERTY
@given(scenarios())
def test_first_grid_start_is_never_after_the_first_free_slot(case):
    slots = free_slots(**case, limit=1)
    bound = first_grid_start(**without_agenda(case))
    if slots:
        assert bound is not None and bound <= slots[0].start


def test_first_grid_start_steps_to_the_first_grid_start_after_the_notice():
    now = paris(MONDAY, 9, 50)  # + 30 min notice: 10:20, between 10:00 and 10:30
    bound = first_grid_start(
        motif=motif(), periods=[opening("09:00", "12:00")], now=now, first=MONDAY, last=MONDAY
    )
    assert bound == paris(MONDAY, 10, 30)


def test_first_grid_start_skips_closed_days_and_full_periods():
    now = paris(MONDAY, 11, 45)  # the Monday morning is over once the notice is counted
    tuesday = MONDAY + days(1)
    periods = [opening("09:00", "12:00", weekdays=(0, 1, 2))]
    bound = first_grid_start(
        motif=motif(),
        periods=periods,
        closed_days=[tuesday],
        now=now,
        first=MONDAY,
        last=MONDAY + days(6),
    )
    assert bound == paris(MONDAY + days(2), 9)
