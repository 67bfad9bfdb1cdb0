"""No-show statistics of an organisation, per month, practitioner and motif.

One grouped query counts, for appointments starting in a period:
- appointments: not cancelled and already started (their outcome is known);
- no-shows: status "non honoré", set from the desk;
- late cancellations: cancelled by the patient less than 24 hours before the start, from the
  time of the appointment's "cancelled" event (exactly 24 hours before is not late).
Totals per month, practitioner and motif are sums of those rows. The chart of the page is
drawn here as geometry for an inline SVG, without a JavaScript library.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from typing import TextIO

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth

from accueil.booking.french import MONTHS
from accueil.booking.models import ACTIVE_STATUSES, Appointment, AppointmentEvent, Status
from accueil.directory.models import Motif, Organisation, Practitioner
from accueil.scheduling import engine

LATE_CANCELLATION = dt.timedelta(hours=24)
MAX_MONTHS = 36
SHORT_MONTHS = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


@dataclass(frozen=True)
class Counts:
    appointments: int = 0
    no_shows: int = 0
    late_cancellations: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.appointments + other.appointments,
            self.no_shows + other.no_shows,
            self.late_cancellations + other.late_cancellations,
        )

    @property
    def rate(self) -> float | None:
        """No-shows per 100 appointments; None without appointments."""
        return 100 * self.no_shows / self.appointments if self.appointments else None


@dataclass(frozen=True)
class Row:
    month: dt.date
    practitioner: str
    motif: str
    counts: Counts


@dataclass(frozen=True)
class NoShowStats:
    first: dt.date
    last: dt.date
    rows: list[Row]  # month, practitioner, motif: only the ones with something to count
    months: list[tuple[dt.date, Counts]]  # every month of the period, in order
    by_practitioner: list[tuple[str, Counts]]
    by_motif: list[tuple[str, Counts]]
    total: Counts


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months: the first day of the month 11 months back, to today."""
    month = today.year * 12 + today.month - 1 - 11
    return dt.date(month // 12, month % 12 + 1, 1), today


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from `first`'s to `last`'s."""
    months = []
    index, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    while index <= end:
        months.append(dt.date(index // 12, index % 12 + 1, 1))
        index += 1
    return months


def late_cancellation() -> Q:
    """Appointments the patient cancelled less than LATE_CANCELLATION before their start
    (by the time of the "cancelled" event; exactly 24 hours before is not late)."""
    cancelled_late = AppointmentEvent.objects.filter(
        appointment=OuterRef("pk"),
        kind=AppointmentEvent.Kind.CANCELLED,
        at__gt=OuterRef("start") - LATE_CANCELLATION,
    )
    return Q(status=Status.CANCELLED_BY_PATIENT) & Q(Exists(cancelled_late))


def no_show_stats(
    organisation: Organisation,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    *,
    practitioner: Practitioner | None = None,
    motif: Motif | None = None,
) -> NoShowStats:
    """The counts of appointments starting from `first` to `last` (Paris dates, included)."""
    appointments = Appointment.objects.filter(
        organisation=organisation,
        start__gte=engine.wall_clock(first, dt.time(0)),
        start__lt=engine.wall_clock(last + dt.timedelta(days=1), dt.time(0)),
    ).filter(Q(status__in=ACTIVE_STATUSES, start__lt=now) | Q(status=Status.CANCELLED_BY_PATIENT))
    if practitioner is not None:
        appointments = appointments.filter(practitioner=practitioner)
    if motif is not None:
        appointments = appointments.filter(motif=motif)
    grouped = (
        appointments.annotate(month=TruncMonth("start", tzinfo=engine.PARIS))
        .values("month", "practitioner_id", "motif_id")
        .annotate(
            appointments=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
            no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
            late_cancellations=Count("id", filter=late_cancellation()),
        )
        .order_by()
    )
    practitioners = {p.id: p.display_name for p in organisation.practitioners.all()}
    motifs = {m.id: m.name for m in organisation.motifs.all()}
    rows = []
    for group in grouped:
        counts = Counts(group["appointments"], group["no_shows"], group["late_cancellations"])
        if counts == Counts():
            continue  # only early cancellations by the patient: nothing to count
        rows.append(
            Row(
                month=group["month"].astimezone(engine.PARIS).date(),
                practitioner=practitioners[group["practitioner_id"]],
                motif=motifs[group["motif_id"]],
                counts=counts,
            )
        )
    rows.sort(key=lambda r: (r.month, r.practitioner, r.motif))
    return NoShowStats(
        first=first,
        last=last,
        rows=rows,
        months=[
            (month, _sum(r for r in rows if r.month == month))
            for month in months_between(first, last)
        ],
        by_practitioner=_totals(rows, lambda r: r.practitioner),
        by_motif=_totals(rows, lambda r: r.motif),
        total=_sum(rows),
    )


def _sum(rows) -> Counts:
    total = Counts()
    for row in rows:
        total += row.counts
    return total


def _totals(rows: list[Row], key) -> list[tuple[str, Counts]]:
    totals: dict[str, Counts] = {}
    for row in rows:
        totals[key(row)] = totals.get(key(row), Counts()) + row.counts
    return sorted(totals.items())


# Chart --------------------------------------------------------------------------------------

PLOT_HEIGHT = 160
TOP, BOTTOM, LEFT = 24, 44, 44
SLOT, BAR = 48, 30


@dataclass(frozen=True)
class Bar:
    x: float
    centre: float
    y: float
    height: float
    label: str  # "janv."
    year: str  # shown under January and the first month
    title: str  # what a pointer or a screen reader gets
    value: str  # "12,5 %", or "–" without appointments
    value_y: float


def chart(months: list[tuple[dt.date, Counts]]) -> dict:
    """Geometry of the no-show rate per month as bars, in SVG user units."""
    highest = max([c.rate or 0 for _, c in months] + [0])
    scale = min(100, max(10, -(-highest // 10) * 10))  # rounded up to ten, 10 to 100 %
    baseline = TOP + PLOT_HEIGHT
    bars = []
    for index, (month, counts) in enumerate(months):
        rate = counts.rate
        height = 0.0 if rate is None else PLOT_HEIGHT * rate / scale
        x = LEFT + index * SLOT + (SLOT - BAR) / 2
        value = "–" if rate is None else f"{_french_number(rate)} %"
        name = f"{MONTHS[month.month - 1]} {month.year}"
        if rate is None:
            title = f"{name} : aucun rendez-vous"
        else:
            title = (
                f"{name} : {value} de rendez-vous non honorés "
                f"({counts.no_shows} sur {counts.appointments})"
            )
        bars.append(
            Bar(
                x=x,
                centre=x + BAR / 2,
                y=baseline - height,
                height=height,
                label=SHORT_MONTHS[month.month - 1],
                year=str(month.year) if index == 0 or month.month == 1 else "",
                title=title,
                value=value,
                value_y=baseline - height - 6,
            )
        )
    ticks = [
        {"y": baseline - PLOT_HEIGHT * part / 2, "label": f"{_french_number(scale * part / 2)} %"}
        for part in range(3)
    ]
    return {
        "width": LEFT + len(months) * SLOT + 8,
        "height": baseline + BOTTOM,
        "left": LEFT,
        "right": LEFT + len(months) * SLOT,
        "baseline": baseline,
        "bar_width": BAR,
        "label_y": baseline + 18,
        "year_y": baseline + 34,
        "bars": bars,
        "ticks": ticks,
    }


# CSV ----------------------------------------------------------------------------------------

CSV_HEADERS = [
    "Établissement",
    "Mois",
    "Praticien",
    "Motif",
    "Rendez-vous",
    "Non honorés",
    "Taux de non-honorés (%)",
    "Annulations tardives (moins de 24 h)",
]


def write_csv(out: TextIO, organisation: Organisation, stats: NoShowStats) -> None:
    """The rows as French Excel opens them: BOM, `;` between cells, decimal comma."""
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_HEADERS)
    for row in stats.rows:
        rate = row.counts.rate
        writer.writerow(
            [
                _cell(organisation.name),
                f"{row.month:%Y-%m}",
                _cell(row.practitioner),
                _cell(row.motif),
                row.counts.appointments,
                row.counts.no_shows,
                "" if rate is None else _french_number(rate),
                row.counts.late_cancellations,
            ]
        )


def _cell(text: str) -> str:
    """A name typed by staff, never read as a formula by a spreadsheet."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _french_number(value: float) -> str:
    """12.5 → "12,5", 10.0 → "10"."""
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
