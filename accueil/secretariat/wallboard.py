"""The wallboard's figures and the staffing plan against Erlang C.

`summarise` and `needed_staffing` are pure (plain rows in, figures out); `board` and
`staffing_plan` read the database for one secretariat and one day.

Definitions (the usual ones of call centres):
- offered: calls that reached the queue (answered, abandoned, still waiting);
- service level: share of the calls settled (answered or abandoned) that were answered
  within 20 s; abandonment rate: abandoned / settled;
- average handling time (AHT): from pick-up to the end of the wrap-up;
- staffing: Erlang C (`staffing.operators_needed`, 80 % within 20 s) per half-hour, from
  the arrivals recorded on the same weekday of the four previous weeks and their AHT.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accueil.directory.models import Organisation
from accueil.scheduling import engine
from accueil.secretariat import staffing
from accueil.secretariat.models import PlannedStaffing, QueuedCall

TARGET_WAIT = 20  # seconds
TARGET_LEVEL = 0.8
HALF_HOUR = dt.timedelta(minutes=30)
OPENING, CLOSING = dt.time(7), dt.time(19)
HISTORY_WEEKS = 4
DEFAULT_HANDLING = 180.0  # seconds, before anything is recorded
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True)
class Row:
    """One queued call as the wallboard needs it (times are aware datetimes)."""

    client: str
    queued_at: dt.datetime
    taken_at: dt.datetime | None = None
    wrapped_at: dt.datetime | None = None
    abandoned_at: dt.datetime | None = None
    operator: str | None = None


@dataclass
class Figures:
    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    waiting: int = 0
    handled: int = 0
    handling_seconds: float = 0.0

    def add(self, row: Row) -> None:
        self.offered += 1
        if row.taken_at is not None:
            self.answered += 1
            if (row.taken_at - row.queued_at).total_seconds() <= TARGET_WAIT:
                self.answered_in_target += 1
            if row.wrapped_at is not None:
                self.handled += 1
                self.handling_seconds += (row.wrapped_at - row.taken_at).total_seconds()
        elif row.abandoned_at is not None:
            self.abandoned += 1
        else:
            self.waiting += 1

    @property
    def settled(self) -> int:
        return self.answered + self.abandoned

    @property
    def service_level(self) -> float | None:
        return self.answered_in_target / self.settled if self.settled else None

    @property
    def abandonment(self) -> float | None:
        return self.abandoned / self.settled if self.settled else None

    @property
    def average_handling(self) -> float | None:
        return self.handling_seconds / self.handled if self.handled else None


@dataclass
class Board:
    overall: Figures
    by_practice: list[tuple[str, Figures]]
    by_half_hour: list[tuple[dt.time, Figures]]
    by_operator: list[tuple[str, Figures]]
    waiting_now: int = 0
    longest_wait: float | None = None  # seconds, of the calls waiting now


def half_hour_of(moment: dt.datetime) -> dt.time:
    local = timezone.localtime(moment, engine.PARIS)
    return dt.time(local.hour, 30 if local.minute >= 30 else 0)


def half_hours(first: dt.time = OPENING, last: dt.time = CLOSING) -> list[dt.time]:
    slots, minutes = [], first.hour * 60 + first.minute
    while minutes < last.hour * 60 + last.minute:
        slots.append(dt.time(minutes // 60, minutes % 60))
        minutes += 30
    return slots


def summarise(rows: list[Row], now: dt.datetime) -> Board:
    overall = Figures()
    practices: dict[str, Figures] = defaultdict(Figures)
    slots: dict[dt.time, Figures] = {t: Figures() for t in half_hours()}
    operators: dict[str, Figures] = defaultdict(Figures)
    longest = None
    for row in rows:
        overall.add(row)
        practices[row.client].add(row)
        slots.setdefault(half_hour_of(row.queued_at), Figures()).add(row)
        if row.operator:
            operators[row.operator].add(row)
        if row.taken_at is None and row.abandoned_at is None:
            wait = (now - row.queued_at).total_seconds()
            longest = wait if longest is None else max(longest, wait)
    return Board(
        overall=overall,
        by_practice=sorted(practices.items()),
        by_half_hour=sorted(slots.items()),
        by_operator=sorted(operators.items()),
        waiting_now=overall.waiting,
        longest_wait=longest,
    )


def _day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return engine.wall_clock(day, dt.time(0)), engine.wall_clock(
        day + dt.timedelta(days=1), dt.time(0)
    )


def _rows(secretariat: Organisation, first: dt.datetime, last: dt.datetime) -> list[Row]:
    calls = QueuedCall.objects.filter(
        secretariat=secretariat, queued_at__gte=first, queued_at__lt=last
    ).values_list(
        "client__name",
        "queued_at",
        "taken_at",
        "wrapped_at",
        "abandoned_at",
        "taken_by__user__first_name",
        "taken_by__user__last_name",
        "taken_by__user__username",
    )
    return [
        Row(client, queued, taken, wrapped, abandoned, f"{fn} {ln}".strip() or user or None)
        if user
        else Row(client, queued, taken, wrapped, abandoned)
        for client, queued, taken, wrapped, abandoned, fn, ln, user in calls
    ]


def board(secretariat: Organisation, day: dt.date, now: dt.datetime) -> Board:
    first, last = _day_window(day)
    return summarise(_rows(secretariat, first, last), now)


# Staffing ---------------------------------------------------------------------------------


@dataclass
class Need:
    start: dt.time
    arrivals: float  # average arrivals in the half-hour over the history
    today: int  # arrivals recorded on the day shown
    needed: int  # Erlang C, 80/20
    planned: int

    @property
    def shortfall(self) -> int:
        return max(0, self.needed - self.planned)

    @property
    def short(self) -> bool:
        return self.shortfall > 0


@dataclass
class StaffingPlan:
    weekday: int
    basis: list[dt.date]
    handling: float
    needs: list[Need] = field(default_factory=list)
    weekday_profile: list[tuple[str, float]] = field(default_factory=list)

    @property
    def peak(self) -> Need | None:
        return max(self.needs, key=lambda n: (n.arrivals, n.today), default=None)


def needed_staffing(
    arrivals: dict[dt.time, float],
    handling: float,
    planned: dict[dt.time, int],
    today: dict[dt.time, int],
) -> list[Need]:
    """Erlang C per half-hour (80 % within 20 s) next to the planned operators."""
    return [
        Need(
            start=start,
            arrivals=arrivals.get(start, 0.0),
            today=today.get(start, 0),
            needed=staffing.operators_needed(
                arrivals.get(start, 0.0),
                HALF_HOUR.total_seconds(),
                handling,
                target_level=TARGET_LEVEL,
                target_wait=TARGET_WAIT,
            ).operators,
            planned=planned.get(start, 0),
        )
        for start in sorted({*half_hours(), *arrivals, *today})
    ]


def staffing_plan(secretariat: Organisation, day: dt.date) -> StaffingPlan:
    basis = [day - dt.timedelta(weeks=n) for n in range(1, HISTORY_WEEKS + 1)]
    arrivals: dict[dt.time, float] = defaultdict(float)
    handled = handling = 0.0
    for past in basis:
        for row in _rows(secretariat, *_day_window(past)):
            arrivals[half_hour_of(row.queued_at)] += 1 / len(basis)
            if row.taken_at and row.wrapped_at:
                handled += 1
                handling += (row.wrapped_at - row.taken_at).total_seconds()
    today: dict[dt.time, int] = defaultdict(int)
    for row in _rows(secretariat, *_day_window(day)):
        today[half_hour_of(row.queued_at)] += 1
    planned = dict(
        PlannedStaffing.objects.filter(secretariat=secretariat, weekday=day.weekday()).values_list(
            "start", "operators"
        )
    )
    average = handling / handled if handled else DEFAULT_HANDLING
    return StaffingPlan(
        weekday=day.weekday(),
        basis=basis,
        handling=average,
        needs=needed_staffing(arrivals, average, planned, today),
        weekday_profile=weekday_profile(secretariat, day),
    )


def weekday_profile(secretariat: Organisation, day: dt.date) -> list[tuple[str, float]]:
    """Average calls per weekday (Monday to Saturday) over the weeks before `day`."""
    first, _ = _day_window(day - dt.timedelta(weeks=HISTORY_WEEKS))
    last, _ = _day_window(day)
    counts: dict[int, int] = defaultdict(int)
    for row in _rows(secretariat, first, last):
        counts[timezone.localtime(row.queued_at, engine.PARIS).weekday()] += 1
    return [(WEEKDAYS[d], counts[d] / HISTORY_WEEKS) for d in range(6)]


def save_plan(secretariat: Organisation, weekday: int, plan: dict[dt.time, int]) -> None:
    """The planned operators of each half-hour of one weekday (0 removes the half-hour)."""
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": ["Jour inconnu."]})
    if any(not 0 <= n <= 500 for n in plan.values()):
        raise ValidationError({"operators": ["Entre 0 et 500 opérateurs par demi-heure."]})
    with transaction.atomic():
        PlannedStaffing.objects.filter(secretariat=secretariat, weekday=weekday).delete()
        PlannedStaffing.objects.bulk_create(
            PlannedStaffing(secretariat=secretariat, weekday=weekday, start=start, operators=n)
            for start, n in sorted(plan.items())
            if n
        )


# Charts (server-rendered SVG, no script) ----------------------------------------------------


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]  # x, text under the axis
    grid: list[tuple[float, str]]  # y, value
    baseline: float


def bar_chart(
    groups: list[tuple[str, list[tuple[float, str, str]]]],
    *,
    height: int = 160,
    group_width: int = 28,
    label_every: int = 2,
) -> Chart:
    """Grouped bars: groups of (label, [(value, css class, title)]) side by side."""
    top, bottom, left = 10, 22, 28
    peak = max([v for _, bars in groups for v, _, _ in bars] + [1])
    scale = (height - top - bottom) / peak
    baseline = height - bottom
    bars, labels = [], []
    for i, (label, values) in enumerate(groups):
        x0 = left + i * group_width
        width = (group_width - 4) / max(1, len(values))
        for j, (value, css, title) in enumerate(values):
            bar_height = value * scale
            bars.append(
                Bar(x0 + 2 + j * width, baseline - bar_height, width, bar_height, css, title)
            )
        if i % label_every == 0:
            labels.append((x0 + group_width / 2, label))
    step = max(1, round(peak / 4))
    grid = [(baseline - v * scale, str(v)) for v in range(0, int(peak) + 1, step)]
    return Chart(left + len(groups) * group_width + 4, height, bars, labels, grid, baseline)
