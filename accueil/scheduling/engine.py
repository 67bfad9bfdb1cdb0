"""The slot engine: pure functions, no ORM, no clock.

Inputs are plain frozen dataclasses built by `scheduling.services` from the database;
`now` is an argument. Opening hours are wall-clock times in Europe/Paris; every
computation on instants is done on aware datetimes, so daylight-saving days come out right:
on the spring-forward day no slot starts in the missing hour (slots step in absolute time
from the period start), on the fall-back day the repeated hour yields distinct instants.

Spacing rule: between two appointments A then B of one practitioner there must be at least
max(A.guard_after, B.guard_before), where a guard is the motif's buffer, or its travel time
for home visits when larger. Returned slots obey the same rule among themselves, so any
combination of offered slots can be booked together.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
ZERO = dt.timedelta(0)
ONE_MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Period:
    """A recurring opening period (see `scheduling.models.OpeningPeriod`)."""

    site_id: int
    motif_ids: frozenset[int]
    start_time: dt.time
    end_time: dt.time
    weekdays: frozenset[int] = frozenset()
    every_n_weeks: int = 1
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    single_date: dt.date | None = None

    def occurs_on(self, day: dt.date) -> bool:
        if self.single_date is not None:
            return day == self.single_date
        if day.weekday() not in self.weekdays:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_until is not None and day > self.valid_until:
            return False
        if self.every_n_weeks > 1 and self.valid_from is not None:
            weeks = (_monday(day) - _monday(self.valid_from)).days // 7
            return weeks % self.every_n_weeks == 0
        return True


@dataclass(frozen=True, slots=True)
class Absence:
    """Blocked time [start, end); `weekly` repeats it at the same wall-clock time."""

    start: dt.datetime
    end: dt.datetime
    weekly: bool = False
    repeat_until: dt.date | None = None


@dataclass(frozen=True, slots=True)
class MotifRules:
    id: int
    duration: dt.timedelta
    step: dt.timedelta | None = None
    buffer_before: dt.timedelta = ZERO
    buffer_after: dt.timedelta = ZERO
    travel_time: dt.timedelta = ZERO
    min_notice: dt.timedelta = dt.timedelta(minutes=30)
    horizon: dt.timedelta = dt.timedelta(days=91)
    capacity: int = 1

    @property
    def guard_before(self) -> dt.timedelta:
        return max(self.buffer_before, self.travel_time)

    @property
    def guard_after(self) -> dt.timedelta:
        return max(self.buffer_after, self.travel_time)

    @property
    def grid_step(self) -> dt.timedelta:
        return self.step or self.duration + max(self.guard_before, self.guard_after)


@dataclass(frozen=True, slots=True)
class Booked:
    """An active appointment (or a group session with `participants`) of the practitioner."""

    start: dt.datetime
    end: dt.datetime
    motif_id: int
    guard_before: dt.timedelta = ZERO
    guard_after: dt.timedelta = ZERO
    participants: int = 1


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    site_id: int = field(compare=False)
    remaining: int = field(default=1, compare=False)


def wall_clock(day: dt.date, time: dt.time, tz: ZoneInfo = PARIS) -> dt.datetime:
    """The aware instant of a wall-clock time; a time in the spring-forward gap moves to the
    first instant after the gap, an ambiguous fall-back time is its first occurrence."""
    naive = dt.datetime.combine(day, time)
    while not _exists(naive, tz):
        naive += ONE_MINUTE
    return naive.replace(tzinfo=tz, fold=0)


def closed_days_between(
    first: dt.date, last: dt.date, holidays: Iterable[dt.date]
) -> frozenset[dt.date]:
    return frozenset(d for d in holidays if first <= d <= last)


def expand_absences(
    absences: Iterable[Absence], first: dt.date, last: dt.date, tz: ZoneInfo = PARIS
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Absences as [start, end) intervals that can touch the local days first..last."""
    window_start = wall_clock(first, dt.time(0), tz) - dt.timedelta(days=1)
    window_end = wall_clock(last + dt.timedelta(days=1), dt.time(0), tz) + dt.timedelta(days=1)
    intervals = []
    for absence in absences:
        if not absence.weekly:
            if absence.start < window_end and absence.end > window_start:
                intervals.append((absence.start, absence.end))
            continue
        local_start = absence.start.astimezone(tz).replace(tzinfo=None)
        local_end = absence.end.astimezone(tz).replace(tzinfo=None)
        weeks_before = max(
            0, (window_start.astimezone(tz).replace(tzinfo=None) - local_end).days // 7
        )
        week = dt.timedelta(weeks=weeks_before)
        while True:
            occ_start = local_start + week
            if absence.repeat_until is not None and occ_start.date() > absence.repeat_until:
                break
            # The fold is kept: an absence in the repeated fall-back hour stays in it.
            start = wall_clock(occ_start.date(), occ_start.time(), tz)
            start = start.replace(fold=local_start.fold)
            if start >= window_end:
                break
            occ_end = local_end + week
            end = wall_clock(occ_end.date(), occ_end.time(), tz)
            end = end.replace(fold=local_end.fold)
            if end > window_start:
                intervals.append((start, end))
            week += dt.timedelta(weeks=1)
    return intervals


def free_slots(
    *,
    motif: MotifRules,
    periods: Iterable[Period],
    absences: Iterable[Absence] = (),
    booked: Iterable[Booked] = (),
    closed_days: Iterable[dt.date] = (),
    now: dt.datetime,
    first: dt.date,
    last: dt.date,
    limit: int | None = None,
    tz: ZoneInfo = PARIS,
) -> list[Slot]:
    """Free slots of one practitioner for `motif` on the local days first..last, sorted."""
    slots = iter_free_slots(
        motif=motif,
        periods=periods,
        absences=absences,
        booked=booked,
        closed_days=closed_days,
        now=now,
        first=first,
        last=last,
        tz=tz,
    )
    return list(islice(slots, limit))


def iter_free_slots(
    *,
    motif: MotifRules,
    periods: Iterable[Period],
    absences: Iterable[Absence] = (),
    booked: Iterable[Booked] = (),
    closed_days: Iterable[dt.date] = (),
    now: dt.datetime,
    first: dt.date,
    last: dt.date,
    tz: ZoneInfo = PARIS,
) -> Iterator[Slot]:
    """Lazy form of `free_slots`: days are computed in order, only as far as consumed."""
    now = now.astimezone(dt.UTC)  # adding to a Paris-aware `now` would add wall-clock time
    earliest = now + motif.min_notice
    latest = now + motif.horizon
    first = max(first, earliest.astimezone(tz).date())
    last = min(last, latest.astimezone(tz).date())
    if first > last:
        return
    periods = [p for p in periods if motif.id in p.motif_ids]
    if not periods:
        return
    closed = frozenset(closed_days)
    blocked = _Blocked(motif, expand_absences(absences, first, last, tz), booked)
    spacing = max(motif.guard_before, motif.guard_after)
    free_from = earliest  # greedy: the next slot may not start before this instant
    day = first
    while day <= last:
        if day not in closed:
            for start, site_id in _candidates(motif, periods, day, tz):
                if start < free_from or start > latest:
                    continue
                remaining = blocked.remaining_at(start)
                if remaining:
                    end = start + motif.duration
                    yield Slot(start, end, site_id, remaining)
                    free_from = end + spacing
        day += dt.timedelta(days=1)


def first_grid_start(
    *,
    motif: MotifRules,
    periods: Iterable[Period],
    closed_days: Collection[dt.date] = (),
    now: dt.datetime,
    first: dt.date,
    last: dt.date,
    tz: ZoneInfo = PARIS,
) -> dt.datetime | None:
    """Start (UTC) of the first slot `free_slots` would give with no booking and no absence.

    Bookings and absences only remove grid starts, so this is a lower bound of the real
    first slot: `first_available` ranks practitioners by it before loading any agenda. The
    first grid start at or after the notice is computed per period instead of enumerating
    the day's grid, and wall-clock conversions are cached, which makes it a few microseconds
    per practitioner instead of tens.
    """
    now = now.astimezone(dt.UTC)  # as in `iter_free_slots`: absolute, not wall-clock, arithmetic
    earliest = now + motif.min_notice
    latest = now + motif.horizon
    day = max(first, earliest.astimezone(tz).date())
    last = min(last, latest.astimezone(tz).date())
    periods = [p for p in periods if motif.id in p.motif_ids]
    step = motif.grid_step
    while periods and day <= last:
        if day not in closed_days:
            best = None
            for period in periods:
                if not period.occurs_on(day):
                    continue
                start = _utc_wall_clock(day, period.start_time, tz)
                if start < earliest:
                    start -= (start - earliest) // step * step  # ceiling: next grid start
                if (
                    start + motif.duration <= _utc_wall_clock(day, period.end_time, tz)
                    and start <= latest
                    and (best is None or start < best)
                ):
                    best = start
            if best is not None:
                return best
        day += dt.timedelta(days=1)
    return None


@functools.lru_cache(maxsize=1024)
def _utc_wall_clock(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    # Cached: a search over many practitioners converts the same few opening times of the
    # same days again and again, and `wall_clock` costs several tz conversions. Searches
    # rarely look past their first days, so a small cache is enough.
    return wall_clock(day, time, tz).astimezone(dt.UTC)


def grid_starts(
    motif: MotifRules, periods: Iterable[Period], day: dt.date, tz: ZoneInfo = PARIS
) -> list[dt.datetime]:
    """Every start the motif's grid offers on `day`, ignoring bookings, absences and time."""
    relevant = [p for p in periods if motif.id in p.motif_ids]
    return [start for start, _ in _candidates(motif, relevant, day, tz)]


def _candidates(
    motif: MotifRules, periods: list[Period], day: dt.date, tz: ZoneInfo
) -> list[tuple[dt.datetime, int]]:
    """Grid starts of every period occurring on `day`, whose slot fits in the period."""
    found = []
    step = motif.grid_step
    for period in periods:
        if not period.occurs_on(day):
            continue
        start = wall_clock(day, period.start_time, tz).astimezone(dt.UTC)
        end = wall_clock(day, period.end_time, tz).astimezone(dt.UTC)
        while start + motif.duration <= end:
            found.append((start, period.site_id))
            start += step
    found.sort(key=lambda c: c[0])
    return found


class _Blocked:
    """Forbidden start instants for one motif, as merged open intervals, searched by bisect.

    A start s is forbidden by an interval [bs, be) with spacing gb (before) and ga (after)
    when s + duration + ga > bs and s < be + gb, that is s in (bs - ga - duration, be + gb).
    A group session of the motif with seats left is not forbidding at its own start.
    """

    def __init__(
        self,
        motif: MotifRules,
        absences: list[tuple[dt.datetime, dt.datetime]],
        booked: Iterable[Booked],
    ):
        self.capacity = motif.capacity
        self.open_sessions: dict[dt.datetime, int] = {}
        others: list[tuple[dt.datetime, dt.datetime]] = []
        self._sessions: list[tuple[dt.datetime, tuple[dt.datetime, dt.datetime]]] = []
        # In UTC: arithmetic on Paris-aware instants would be wall-clock arithmetic, and a
        # repeated-hour (fold=1) instant never equals a UTC one as a dict key.
        for start, end in absences:
            others.append((start.astimezone(dt.UTC) - motif.duration, end.astimezone(dt.UTC)))
        for item in booked:
            start, end = item.start.astimezone(dt.UTC), item.end.astimezone(dt.UTC)
            after = max(motif.guard_after, item.guard_before)
            before = max(item.guard_after, motif.guard_before)
            interval = (start - after - motif.duration, end + before)
            if item.motif_id == motif.id and item.participants < motif.capacity:
                self.open_sessions[start] = motif.capacity - item.participants
                self._sessions.append((start, interval))
            else:
                others.append(interval)
        self._others = _merge(others)
        sessions = [interval for _, interval in self._sessions]
        self._all = _merge(others + sessions) if sessions else self._others

    def remaining_at(self, start: dt.datetime) -> int:
        """Seats free for a slot starting at `start` (0 if the start is blocked)."""
        seats = self.open_sessions.get(start)
        if seats is not None:
            blocked = _inside(self._others, start) or any(
                lo < start < hi for at, (lo, hi) in self._sessions if at != start
            )
            return 0 if blocked else seats
        return 0 if _inside(self._all, start) else self.capacity


def _merge(intervals: list[tuple[dt.datetime, dt.datetime]]) -> tuple[list, list]:
    """Sorted disjoint open intervals as (starts, ends) lists."""
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    for lo, hi in sorted(intervals):
        if hi <= lo:
            continue
        if ends and lo < ends[-1]:
            ends[-1] = max(ends[-1], hi)
        else:
            starts.append(lo)
            ends.append(hi)
    return starts, ends


def _inside(merged: tuple[list, list], instant: dt.datetime) -> bool:
    starts, ends = merged
    i = bisect.bisect_right(starts, instant) - 1
    return i >= 0 and starts[i] < instant < ends[i]


def _exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) == naive


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
