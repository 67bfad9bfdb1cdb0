"""What the public booking site reads: search, practice pages, weeks of slots, manage links.

Read-only helpers over the directory, the slot search and the appointments; every write of
the public site goes through `booking.services` (`book`, `cancel`, `move`). Only motifs
open to `Audience.PUBLIC` are ever shown.
"""

from __future__ import annotations

import datetime as dt
import hmac
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from accueil.booking.models import CANCELLED_STATUSES, Appointment, AppointmentEvent, Status
from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.directory.services import Audience, motifs_open_to
from accueil.reception.sheet_view import TOPICS as TOPIC_LABELS
from accueil.reception.sheets import patient_texts
from accueil.scheduling import engine
from accueil.scheduling import services as scheduling
from accueil.scheduling.models import WEEKDAY_NAMES, OpeningPeriod

AUDIENCE = Audience.PUBLIC
# Most practitioners a search computes next slots for (then sorted by that slot).
SEARCH_LIMIT = 20
# Days of slot search for "next free slot": first a week, then up to the longest search.
NEXT_SLOT_WINDOWS = (7, scheduling.MAX_SEARCH_DAYS)
# A manage link keeps working until this long after the appointment's end; then 404.
MANAGE_LINK_TTL = dt.timedelta(days=30)
# Opening hours show the periods in force today or starting within this many days.
HOURS_LOOKAHEAD = dt.timedelta(days=28)


def today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now, engine.PARIS).date()


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# Slot keys in URLs and forms: the UTC instant, compact and unambiguous on DST days ---------


def slot_key(start: dt.datetime) -> str:
    return start.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")


def parse_slot_key(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value or "", "%Y%m%dT%H%MZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


# Who and what can be booked ------------------------------------------------------------------


def public_motifs() -> Prefetch:
    return Prefetch(
        "motifs",
        queryset=Motif.objects.filter(motifs_open_to(AUDIENCE)).order_by("name", "id"),
        to_attr="public_motifs",
    )


def _bookable_practitioners(now: dt.datetime):
    """Active practitioners not gone yet, with at least one public motif."""
    return (
        Practitioner.objects.filter(active=True)
        .filter(Q(departure_date__isnull=True) | Q(departure_date__gt=today(now)))
        .filter(motifs__in=Motif.objects.filter(motifs_open_to(AUDIENCE)))
        .distinct()
        .select_related("organisation")
        .prefetch_related(public_motifs(), "sites")
        .order_by("last_name", "first_name", "id")
    )


def bookable(
    organisation_slug: str, practitioner_id: int, motif_id: int, *, now: dt.datetime
) -> tuple[Practitioner, Motif] | None:
    """The practitioner of this organisation and the public motif they offer, or None."""
    practitioner = (
        _bookable_practitioners(now)
        .filter(organisation__slug=organisation_slug, pk=practitioner_id)
        .first()
    )
    if practitioner is None:
        return None
    motif = next((m for m in practitioner.public_motifs if m.id == motif_id), None)
    return None if motif is None else (practitioner, motif)


def practitioner_of(
    organisation_slug: str, practitioner_id: int, *, now: dt.datetime
) -> Practitioner | None:
    return (
        _bookable_practitioners(now)
        .filter(organisation__slug=organisation_slug, pk=practitioner_id)
        .first()
    )


# Next free slot ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextSlot:
    motif: Motif
    slot: engine.Slot


def next_slots(
    choices: dict[Practitioner, list[Motif]], *, now: dt.datetime
) -> dict[int, NextSlot]:
    """The earliest free slot of each practitioner among the given motifs, by practitioner id.

    A week is searched first (3 queries for everyone), then the rest of the longest search
    only for those still without a slot.
    """
    found: dict[int, NextSlot] = {}
    first = today(now)
    searched_to = first - dt.timedelta(days=1)
    pending = {p: motifs for p, motifs in choices.items() if motifs}
    for days in NEXT_SLOT_WINDOWS:
        if not pending:
            break
        window_first = searched_to + dt.timedelta(days=1)
        last = first + dt.timedelta(days=days - 1)
        agendas = scheduling.load_agendas(pending, window_first, last)
        for practitioner, motifs in pending.items():
            best = None
            for motif in motifs:
                slots = engine.free_slots(
                    motif=scheduling.motif_rules(motif, AUDIENCE),
                    periods=agendas[practitioner.id].periods,
                    absences=agendas[practitioner.id].absences,
                    booked=agendas[practitioner.id].booked,
                    closed_days=agendas[practitioner.id].closed_days,
                    now=now,
                    first=window_first,
                    last=last,
                    limit=1,
                )
                if slots and (best is None or slots[0].start < best.slot.start):
                    best = NextSlot(motif, slots[0])
            if best is not None:
                found[practitioner.id] = best
        pending = {p: m for p, m in pending.items() if p.id not in found}
        searched_to = last
    return found


# Search --------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: "Kinésithérapeute" -> "kinesitherapeute"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


@dataclass
class SearchResult:
    practitioner: Practitioner
    motifs: list[Motif]
    sites: list[Site]
    next: NextSlot | None = None


@dataclass
class Search:
    query: str
    place: str
    results: list[SearchResult] = field(default_factory=list)
    more: bool = False  # more practitioners matched than shown


def search(query: str, place: str, *, now: dt.datetime, limit: int = SEARCH_LIMIT) -> Search:
    """Practitioners matching every word of `query` (name, profession, motif, practice) and
    `place` (a town, or the start of a postcode), earliest next free slot first.

    Matching ignores case and accents. When the words name a motif ("vaccin", "pesée"), the
    next slot is searched for the matching motifs only.
    """
    words = normalise(query).split()
    place_text = normalise(place)
    matched: list[SearchResult] = []
    for practitioner in _bookable_practitioners(now):
        sites = list(practitioner.sites.all())
        if place_text and not any(_site_matches(site, place_text) for site in sites):
            continue
        motifs = practitioner.public_motifs
        who = normalise(
            " ".join(
                [
                    practitioner.display_name,
                    practitioner.profession,
                    practitioner.organisation.name,
                ]
            )
        )
        motif_texts = [normalise(m.name) for m in motifs]
        if not all(w in who or any(w in t for t in motif_texts) for w in words):
            continue
        named = [m for m, t in zip(motifs, motif_texts, strict=True) if any(w in t for w in words)]
        matched.append(SearchResult(practitioner, named or motifs, sites))
    shown = matched[:limit]
    found = next_slots({r.practitioner: r.motifs for r in shown}, now=now)
    for result in shown:
        result.next = found.get(result.practitioner.id)
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    shown.sort(key=lambda r: (r.next.slot.start if r.next else never, r.practitioner.last_name))
    return Search(query, place, shown, more=len(matched) > limit)


def _site_matches(site: Site, place: str) -> bool:
    if place.replace(" ", "").isdigit():
        return site.postcode.replace(" ", "").startswith(place.replace(" ", ""))
    return place in normalise(site.city) or place in normalise(site.name)


def organisations() -> list[Organisation]:
    """Organisations with at least one bookable practitioner, with their sites."""
    return list(
        Organisation.objects.filter(
            practitioners__active=True,
            practitioners__motifs__in=Motif.objects.filter(motifs_open_to(AUDIENCE)),
        )
        .distinct()
        .prefetch_related("sites")
        .order_by("name")
    )


# Practice pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayHours:
    weekday: int
    name: str
    hours: list[tuple[dt.time, dt.time]]
    # Hours offered only some weeks (periods every 2 or more weeks), not already in `hours`.
    some_weeks: list[tuple[dt.time, dt.time]]


@dataclass(frozen=True)
class ExtraOpening:
    day: dt.date
    hours: list[tuple[dt.time, dt.time]]


@dataclass
class SitePage:
    site: Site
    week: list[DayHours]
    extra: list[ExtraOpening]
    practitioners: list[Practitioner]


@dataclass
class PracticePage:
    organisation: Organisation
    sites: list[SitePage]
    # Each with .public_motifs, .sites_here and .next_slot (a NextSlot or None).
    practitioners: list[Practitioner]
    motifs: list[Motif]  # public motifs, each with .offered_by and .instructions
    site: Site | None = None  # the one site of a site page
    # From the instruction sheet in force (its public part only): walk-in hours, and the
    # practical information as (label, text).
    walk_in: str = ""
    information: list[tuple[str, str]] = field(default_factory=list)


# Topics of the sheet shown on the practice page; hours and addresses are shown from the
# agenda and the sites themselves.
PAGE_TOPICS = ("directions", "parking", "fees", "documents")


def appointment_texts(appointment: Appointment) -> dict[str, str]:
    """What a patient reads about an appointment, from the sheet in force: the motif's
    instructions, and the access directions for an appointment on site."""
    texts = patient_texts(appointment.organisation)
    on_site = appointment.motif.location_type == Motif.LocationType.ON_SITE
    return {
        "instructions": texts.for_motif(appointment.motif.name),
        "directions": texts.topics["directions"] if on_site else "",
        "parking": texts.topics["parking"] if on_site else "",
    }


def practice_page(
    organisation_slug: str, site_slug: str | None = None, *, now: dt.datetime
) -> PracticePage | None:
    organisation = Organisation.objects.filter(slug=organisation_slug).first()
    if organisation is None:
        return None
    sites = list(organisation.sites.order_by("id"))
    chosen = None
    if site_slug is not None:
        chosen = next((s for s in sites if s.slug == site_slug), None)
        if chosen is None:
            return None
        sites = [chosen]
    site_ids = {s.id for s in sites}
    practitioners = [
        p
        for p in _bookable_practitioners(now).filter(organisation=organisation)
        if any(s.id in site_ids for s in p.sites.all())
    ]
    for p in practitioners:
        p.sites_here = [s for s in p.sites.all() if s.id in site_ids]
    hours = opening_hours(sites, now=now)
    pages = [
        SitePage(
            site=s,
            week=hours[s.id][0],
            extra=hours[s.id][1],
            practitioners=[p for p in practitioners if s in p.sites_here],
        )
        for s in sites
    ]
    offered: dict[int, list[Practitioner]] = defaultdict(list)
    motifs: dict[int, Motif] = {}
    for p in practitioners:
        for m in p.public_motifs:
            motifs.setdefault(m.id, m)
            offered[m.id].append(p)
    texts = patient_texts(organisation)
    for m in motifs.values():
        m.offered_by = offered[m.id]
        m.instructions = texts.for_motif(m.name)
    found = next_slots({p: p.public_motifs for p in practitioners}, now=now)
    for p in practitioners:
        p.next_slot = found.get(p.id)
    return PracticePage(
        organisation=organisation,
        sites=pages,
        practitioners=practitioners,
        motifs=sorted(motifs.values(), key=lambda m: (m.name, m.id)),
        site=chosen,
        walk_in=texts.topics["walk_in"],
        information=[
            (TOPIC_LABELS[key], texts.topics[key]) for key in PAGE_TOPICS if texts.topics[key]
        ],
    )


def opening_hours(
    sites: list[Site], *, now: dt.datetime
) -> dict[int, tuple[list[DayHours], list[ExtraOpening]]]:
    """Consultation hours of each site by weekday, from the opening periods (with an on-site
    motif) of its active practitioners in force today or starting within four weeks,
    merged; and the single-date openings of the next four weeks. One query."""
    first = today(now)
    horizon = first + HOURS_LOOKAHEAD
    periods = (
        OpeningPeriod.objects.filter(
            site__in=sites,
            practitioner__active=True,
            valid_from__lte=horizon,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first))
        .filter(
            Q(practitioner__departure_date__isnull=True) | Q(practitioner__departure_date__gt=first)
        )
        .filter(Q(single_date__isnull=True) | Q(single_date__range=(first, horizon)))
        # Home visits, phone and video consultations do not open the site's doors.
        .filter(motifs__location_type=Motif.LocationType.ON_SITE)
        .distinct()
        .values_list(
            "site_id", "start_time", "end_time", "single_date", "weekdays", "every_n_weeks"
        )
    )
    weekly: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    some_weeks: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    singles: dict[int, dict[dt.date, list]] = defaultdict(lambda: defaultdict(list))
    for site_id, start, end, single, weekdays, every in periods:
        if single is not None:
            singles[site_id][single].append((start, end))
            continue
        target = weekly if every == 1 else some_weeks
        for day in (int(d) for d in weekdays.split(",") if d.strip()):
            target[site_id][day].append((start, end))
    result = {}
    for site in sites:
        week = []
        for day in range(7):
            regular = merge_hours(weekly[site.id][day])
            other = [
                span
                for span in merge_hours(some_weeks[site.id][day])
                if not any(s <= span[0] and span[1] <= e for s, e in regular)
            ]
            week.append(DayHours(day, WEEKDAY_NAMES[day], regular, other))
        extra = [
            ExtraOpening(day, merge_hours(spans))
            for day, spans in sorted(singles[site.id].items())
            if not weekly[site.id][day.weekday()]
        ]
        result[site.id] = (week, extra)
    return result


def merge_hours(spans: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """Overlapping or touching spans merged, sorted."""
    merged: list[list[dt.time]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


# Weeks of slots ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: dt.date
    slots: list[engine.Slot]
    past: bool = False


@dataclass
class Week:
    monday: dt.date
    days: list[Day]
    previous: dt.date | None  # Monday of the previous week, if it can have slots
    next: dt.date | None  # Monday of the next week, within the motif's horizon
    first: engine.Slot | None  # the first free slot from today
    sites: dict[int, Site]  # sites of the slots, when the practitioner has several

    @property
    def empty(self) -> bool:
        return not any(d.slots for d in self.days)


def week_of_slots(
    practitioner: Practitioner,
    motif: Motif,
    monday: dt.date | None,
    *,
    now: dt.datetime,
    ignore_appointment_id: int | None = None,
) -> Week:
    """Free slots of the week of `monday`, day by day, with the weeks around it and the
    first free slot. Without `monday`, the week of the first free slot; outside the
    bookable span, the current week."""
    first_day = today(now)
    this_monday = monday_of(first_day)
    last_day = timezone.localtime(now + motif.horizon, engine.PARIS).date()
    last_monday = monday_of(last_day)
    first, looked = None, False
    if monday is None:
        first = first_slot(
            practitioner, motif, now=now, ignore_appointment_id=ignore_appointment_id
        )
        looked = True
        monday = timezone.localtime(first.start, engine.PARIS).date() if first else first_day
    monday = monday_of(monday)
    if not this_monday <= monday <= last_monday:
        monday = this_monday
    sunday = monday + dt.timedelta(days=6)
    slots = scheduling.available_slots(
        practitioner,
        motif,
        max(monday, first_day),
        sunday,
        now=now,
        audience=AUDIENCE,
        ignore_appointment_id=ignore_appointment_id,
    )
    by_day: dict[dt.date, list[engine.Slot]] = defaultdict(list)
    for slot in slots:
        by_day[timezone.localtime(slot.start, engine.PARIS).date()].append(slot)
    days = [
        Day(d, by_day[d], past=d < first_day)
        for d in (monday + dt.timedelta(days=i) for i in range(7))
    ]
    if not looked and slots and monday == this_monday:
        first, looked = slots[0], True
    if not looked:
        first = first_slot(
            practitioner, motif, now=now, ignore_appointment_id=ignore_appointment_id
        )
    sites = {s.id: s for s in practitioner.sites.all()}
    return Week(
        monday=monday,
        days=days,
        previous=monday - dt.timedelta(days=7) if monday > this_monday else None,
        next=monday + dt.timedelta(days=7) if monday < last_monday else None,
        first=first,
        sites=sites if len(sites) > 1 else {},
    )


def first_slot(
    practitioner: Practitioner,
    motif: Motif,
    *,
    now: dt.datetime,
    ignore_appointment_id: int | None = None,
) -> engine.Slot | None:
    """The first free slot from today on, within the motif's horizon."""
    first = today(now)
    searched_to = first - dt.timedelta(days=1)
    for days in NEXT_SLOT_WINDOWS:
        last = first + dt.timedelta(days=days - 1)
        slots = scheduling.available_slots(
            practitioner,
            motif,
            searched_to + dt.timedelta(days=1),
            last,
            now=now,
            audience=AUDIENCE,
            limit=1,
            ignore_appointment_id=ignore_appointment_id,
        )
        if slots:
            return slots[0]
        searched_to = last
    return None


def slots_around(
    practitioner: Practitioner,
    motif: Motif,
    start: dt.datetime,
    *,
    now: dt.datetime,
    ignore_appointment_id: int | None = None,
) -> list[Day]:
    """Other free slots to offer when `start` was taken: that day and the rest of its week,
    or, when they are all gone, the days of the next free slot's week."""
    day = timezone.localtime(start, engine.PARIS).date()
    week = week_of_slots(
        practitioner, motif, day, now=now, ignore_appointment_id=ignore_appointment_id
    )
    days = [d for d in week.days if d.slots and d.day >= day]
    if not days and week.first is not None:
        later = week_of_slots(
            practitioner,
            motif,
            timezone.localtime(week.first.start, engine.PARIS).date(),
            now=now,
            ignore_appointment_id=ignore_appointment_id,
        )
        days = [d for d in later.days if d.slots]
    return days


def is_free(
    practitioner: Practitioner,
    motif: Motif,
    start: dt.datetime,
    *,
    now: dt.datetime,
    ignore_appointment_id: int | None = None,
) -> engine.Slot | None:
    """The offered slot starting at `start`, if it is free now."""
    day = timezone.localtime(start, engine.PARIS).date()
    slots = scheduling.available_slots(
        practitioner,
        motif,
        day,
        day,
        now=now,
        audience=AUDIENCE,
        ignore_appointment_id=ignore_appointment_id,
    )
    wanted = start.astimezone(dt.UTC)  # UTC on both sides: safe on the fall-back night
    return next((s for s in slots if s.start.astimezone(dt.UTC) == wanted), None)


# Manage links --------------------------------------------------------------------------------


def manageable(public_id: uuid.UUID, token: str, *, now: dt.datetime) -> Appointment | None:
    """The appointment of a manage link, or None alike for an unknown id, a wrong token and
    an expired link (30 days after the appointment). The token is compared in constant time,
    also when the id is unknown."""
    appointment = (
        Appointment.objects.select_related("organisation", "practitioner", "motif", "site")
        .select_related("patient", "patient__managed_by")
        .filter(public_id=public_id)
        .first()
    )
    expected = appointment.manage_token if appointment else "x" * 32
    if not hmac.compare_digest(expected.encode(), token.encode()) or appointment is None:
        return None
    if appointment.end + MANAGE_LINK_TTL < now:
        return None
    return appointment


@dataclass(frozen=True)
class ManageState:
    changeable: bool
    reason: str  # "", "cancelled", "past", "done"


def manage_state(appointment: Appointment, *, now: dt.datetime) -> ManageState:
    """Whether the patient may still cancel or move it online, and if not, why."""
    if appointment.status in CANCELLED_STATUSES:
        return ManageState(False, "cancelled")
    if appointment.start <= now:
        return ManageState(False, "past")
    if appointment.status != Status.BOOKED:
        return ManageState(False, "done")  # arrived, seen or marked as not honoured
    return ManageState(True, "")


def cancelled_at(appointment: Appointment) -> dt.datetime | None:
    event = (
        appointment.events.filter(kind=AppointmentEvent.Kind.CANCELLED)
        .order_by("-at", "-id")
        .first()
    )
    return event.at if event else None
