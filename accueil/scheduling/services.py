"""Agendas from the database turned into slot-engine inputs, and slot searches.

All database access of the slot search lives here; `engine` stays pure.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import holidays as holiday_calendars
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accueil import sqlbatch
from accueil.booking.models import ACTIVE_STATUSES, Appointment
from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.directory.services import Audience
from accueil.scheduling import engine, queries
from accueil.scheduling.models import Absence, OpeningPeriod
from accueil.scheduling.signals import time_opened

# Staff book beyond the public rules: same day without notice, and further ahead.
STAFF_HORIZON = dt.timedelta(days=366)
# Longest span one slot search may cover.
MAX_SEARCH_DAYS = 92


@dataclass
class AgendaInputs:
    """What the engine needs about one practitioner over a window of days."""

    periods: list[engine.Period] = field(default_factory=list)
    absences: list[engine.Absence] = field(default_factory=list)
    booked: list[engine.Booked] = field(default_factory=list)
    closed_days: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class FoundSlot:
    practitioner: Practitioner
    motif: Motif
    slot: engine.Slot


def today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), engine.PARIS).date()


def motif_rules(motif: Motif, audience: Audience = Audience.PUBLIC) -> engine.MotifRules:
    staff = audience is Audience.STAFF
    return engine.MotifRules(
        id=motif.id,
        duration=motif.duration,
        step=motif.step,
        buffer_before=motif.buffer_before,
        buffer_after=motif.buffer_after,
        travel_time=motif.travel_time
        if motif.location_type == Motif.LocationType.HOME
        else dt.timedelta(0),
        min_notice=dt.timedelta(0) if staff else motif.min_notice,
        horizon=STAFF_HORIZON if staff else motif.horizon,
        capacity=motif.capacity,
    )


@functools.lru_cache(maxsize=64)
def _holidays(subdivision: str, year: int) -> frozenset[dt.date]:
    calendar = holiday_calendars.France(subdiv=subdivision or None, years=year)
    return frozenset(calendar.keys())


def closed_days(organisation: Organisation, first: dt.date, last: dt.date) -> frozenset[dt.date]:
    """Public holidays between first and last, unless the organisation works on them."""
    if not organisation.closed_on_public_holidays:
        return frozenset()
    days: set[dt.date] = set()
    for year in range(first.year, last.year + 1):
        days.update(_holidays(organisation.holidays_subdivision, year))
    return engine.closed_days_between(first, last, days)


def load_agendas(
    practitioners: Iterable[Practitioner],
    first: dt.date,
    last: dt.date,
    *,
    motif_ids: Iterable[int] | None = None,
    ignore_appointment_id: int | None = None,
) -> dict[int, AgendaInputs]:
    """Engine inputs for each practitioner over the local days first..last (3 queries, one
    round trip on PostgreSQL).

    With `motif_ids`, only the opening periods offering those motifs are loaded.
    """
    statements, agendas = agenda_reads(
        practitioners,
        first,
        last,
        motif_ids=motif_ids,
        ignore_appointment_id=ignore_appointment_id,
    )
    return agendas(*sqlbatch.run(statements))


def agenda_reads(
    practitioners: Iterable[Practitioner],
    first: dt.date,
    last: dt.date,
    *,
    motif_ids: Iterable[int] | None = None,
    ignore_appointment_id: int | None = None,
) -> tuple[list[sqlbatch.Statement], Callable[..., dict[int, AgendaInputs]]]:
    """The statements of `load_agendas`, for a caller that sends them with its own (the
    booking's locking read), and what turns their rows into its result."""
    by_id = {p.id: p for p in practitioners}
    if not by_id:
        return [], lambda: {}
    window_start, window_end = _window(first, last)
    statements = queries.agenda_statements(
        list(by_id),
        first,
        last,
        window_start,
        window_end,
        motif_ids=None if motif_ids is None else list(motif_ids),
        weekdays=_weekdays(first, last),
        ignore_appointment_id=ignore_appointment_id,
    )

    def agendas(*rows: list[tuple]) -> dict[int, AgendaInputs]:
        period_rows, absence_rows, booked_rows = queries.agenda_rows(*rows)
        inputs = {pid: AgendaInputs() for pid in by_id}
        for pid, periods in _periods(period_rows).items():
            inputs[pid].periods = periods
        for pid, start, end, weekly, until in absence_rows:
            inputs[pid].absences.append(engine.Absence(start, end, weekly, until))
        _add_booked(inputs, booked_rows)
        for pid, agenda in inputs.items():
            practitioner = by_id[pid]
            agenda.closed_days = closed_days(practitioner.organisation, first, last)
            if practitioner.departure_date is not None:
                agenda.periods = _before_departure(agenda.periods, practitioner.departure_date)
        return inputs

    return statements, agendas


def available_slots(
    practitioner: Practitioner,
    motif: Motif,
    first: dt.date,
    last: dt.date,
    *,
    now: dt.datetime | None = None,
    audience: Audience = Audience.PUBLIC,
    limit: int | None = None,
    ignore_appointment_id: int | None = None,
) -> list[engine.Slot]:
    """Free slots of one practitioner for one motif, first..last local days included."""
    agenda = load_agendas([practitioner], first, last, ignore_appointment_id=ignore_appointment_id)[
        practitioner.id
    ]
    return _slots(agenda, motif_rules(motif, audience), now or timezone.now(), first, last, limit)


def _slots(
    agenda: AgendaInputs,
    rules: engine.MotifRules,
    now: dt.datetime,
    first: dt.date,
    last: dt.date,
    limit: int | None,
) -> list[engine.Slot]:
    return engine.free_slots(
        motif=rules,
        periods=agenda.periods,
        absences=agenda.absences,
        booked=agenda.booked,
        closed_days=agenda.closed_days,
        now=now,
        first=first,
        last=last,
        limit=limit,
    )


def load_periods(
    practitioner_ids: Iterable[int],
    first: dt.date,
    last: dt.date,
    *,
    motif_ids: Iterable[int] | None = None,
) -> dict[int, list[engine.Period]]:
    """Opening periods that may open a day of first..last, by practitioner (1 query).

    With `motif_ids`, only periods offering one of them, each knowing only those motifs.
    """
    rows = queries.period_rows(
        list(practitioner_ids),
        first,
        last,
        motif_ids=None if motif_ids is None else list(motif_ids),
        weekdays=_weekdays(first, last),
    )
    return _periods(rows)


def _weekdays(first: dt.date, last: dt.date) -> set[int] | None:
    """Short windows (a booking's day, first-available steps): the window's weekdays only."""
    if (last - first).days >= 6:
        return None
    return {(first + dt.timedelta(days=i)).weekday() for i in range((last - first).days + 1)}


def _periods(rows: list[tuple]) -> dict[int, list[engine.Period]]:
    """Engine periods by practitioner from `queries.period_rows`."""
    motifs_of: dict[int, set[int]] = defaultdict(set)
    fields: dict[int, tuple] = {}
    for period_id, motif_id, *period in rows:
        motifs_of[period_id].add(motif_id)
        fields[period_id] = period
    periods: dict[int, list[engine.Period]] = defaultdict(list)
    for period_id, (
        pid,
        site,
        start,
        end,
        weekdays_csv,
        every,
        since,
        until,
        single,
    ) in fields.items():
        periods[pid].append(
            engine.Period(
                site_id=site,
                motif_ids=frozenset(motifs_of[period_id]),
                start_time=start,
                end_time=end,
                weekdays=frozenset(int(d) for d in weekdays_csv.split(",") if d.strip()),
                every_n_weeks=every,
                valid_from=since,
                valid_until=until,
                single_date=single,
            )
        )
    return periods


def _window(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local days first..last with a day of margin on each side, for the buffers and
    travel times of appointments just outside them."""
    return (
        engine.wall_clock(first, dt.time(0)) - dt.timedelta(days=1),
        engine.wall_clock(last, dt.time(0)) + dt.timedelta(days=2),
    )


def _add_booked(agendas: dict[int, AgendaInputs], rows: list[tuple]) -> None:
    """Booked rows (`queries.agenda_rows`) into each agenda's engine bookings."""
    # Participants of one group session share a session key: one Booked with their count.
    sessions: dict[tuple[int, str], list] = {}
    for pid, key, *booking in rows:
        if (pid, key) in sessions:
            sessions[(pid, key)][-1] += 1
        else:
            sessions[(pid, key)] = [*booking, 1]
    for (pid, _), (
        start,
        end,
        motif_id,
        location,
        before,
        after,
        travel,
        count,
    ) in sessions.items():
        if location != Motif.LocationType.HOME:
            travel = dt.timedelta(0)
        agendas[pid].booked.append(
            engine.Booked(
                start=start,
                end=end,
                motif_id=motif_id,
                guard_before=max(before, travel),
                guard_after=max(after, travel),
                participants=count,
            )
        )


def _before_departure(periods: list[engine.Period], departure: dt.date) -> list[engine.Period]:
    """Periods cut at a practitioner's announced departure date (no slot on or after it)."""
    last_day = departure - dt.timedelta(days=1)
    cut = []
    for period in periods:
        if period.single_date is not None:
            if period.single_date <= last_day:
                cut.append(period)
        elif period.valid_from is None or period.valid_from <= last_day:
            cut.append(replace(period, valid_until=min(period.valid_until or last_day, last_day)))
    return cut


def add_absence(
    practitioner: Practitioner,
    start: dt.datetime,
    end: dt.datetime,
    *,
    reason: str = "",
    weekly: bool = False,
    repeat_until: dt.date | None = None,
) -> tuple[Absence, list[Appointment]]:
    """Block [start, end) in the practitioner's agenda (an absence, or time kept free).

    Appointments already booked in that time stay booked: they are returned so that staff
    can move or cancel them. The practitioner's row is locked, as a booking locks it, so a
    booking in flight either lands before the absence (and is returned) or sees it.
    """
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("Absences take aware datetimes.")
    if end <= start:
        errors["end"] = ["La fin doit être après le début."]
    elif end - start > dt.timedelta(days=366):
        errors["end"] = ["Une absence dure un an au plus."]
    if weekly and end - start > dt.timedelta(days=7):
        errors["weekly"] = ["Une absence répétée chaque semaine dure moins d'une semaine."]
    if repeat_until is not None and repeat_until < timezone.localtime(start, engine.PARIS).date():
        errors["repeat_until"] = ["La répétition doit finir après le début."]
    if len(reason) > 200:
        errors["reason"] = ["Motif trop long (200 caractères au plus)."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        list(Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values("id"))
        absence = Absence.objects.create(
            practitioner=practitioner,
            start=start,
            end=end,
            reason=reason.strip(),
            weekly=weekly,
            repeat_until=repeat_until if weekly else None,
        )
        last_day = timezone.localtime(end, engine.PARIS).date()
        if weekly:
            last_day = repeat_until or last_day + dt.timedelta(days=366)
        blocked = engine.expand_absences(
            [engine.Absence(start, end, weekly, absence.repeat_until)],
            timezone.localtime(start, engine.PARIS).date(),
            last_day,
        )
        conflicts = [
            appointment
            for appointment in Appointment.objects.filter(
                practitioner=practitioner,
                status__in=ACTIVE_STATUSES,
                start__lt=max((e for _, e in blocked), default=end),
                end__gt=start,
            ).order_by("start")
            if any(s < appointment.end and appointment.start < e for s, e in blocked)
        ]
    return absence, conflicts


def remove_absence(absence: Absence, *, now: dt.datetime | None = None) -> None:
    """Delete the absence; the time it blocked is announced as open (`time_opened`)."""
    now = now or timezone.now()
    start, end = absence.start, absence.end
    if absence.weekly:
        horizon = now + dt.timedelta(days=MAX_SEARCH_DAYS)
        end = (
            horizon
            if absence.repeat_until is None
            else min(
                horizon, engine.wall_clock(absence.repeat_until + dt.timedelta(days=1), dt.time(0))
            )
        )
        start = max(start, now)
    with transaction.atomic():
        practitioner = absence.practitioner
        absence.delete()
        if end > now:
            time_opened.send(Absence, practitioner=practitioner, start=max(start, now), end=end)


# Settings: opening periods and upcoming absences --------------------------------------------


def save_period(
    practitioner: Practitioner,
    period: OpeningPeriod | None,
    *,
    site: Site | None,
    motifs: Iterable[Motif],
    start_time: dt.time | None,
    end_time: dt.time | None,
    weekdays: Iterable[int] = (),
    every_n_weeks: int | None = 1,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    single_date: dt.date | None = None,
) -> OpeningPeriod:
    """Create (period None) or change an opening period of the practitioner.

    Either a single date, or weekly on `weekdays` every `every_n_weeks` weeks from
    `valid_from` (its week is week 0) until `valid_until`. Appointments already booked stay
    as they are, even outside the new hours: only the slots offered from now on change. The
    practitioner's row is locked as a booking locks it, so a booking in flight is checked
    against the old hours or the new ones, never against a half-written period.
    """
    if period is not None and period.practitioner_id != practitioner.id:
        raise ValueError(f"{period!r} belongs to another practitioner")
    period = period or OpeningPeriod(practitioner=practitioner)
    errors: dict[str, list[str]] = {}
    if site is None:
        errors["site"] = ["Choisissez un lieu."]
    elif site.organisation_id != practitioner.organisation_id:
        errors["site"] = ["Ce lieu n'appartient pas à cet établissement."]
    elif not practitioner.sites.filter(pk=site.pk).exists():
        errors["site"] = ["Ce praticien n'exerce pas dans ce lieu : ajoutez-le dans sa fiche."]
    motifs = list(motifs)
    if not motifs:
        errors["motifs"] = ["Choisissez au moins un motif."]
    elif any(m.organisation_id != practitioner.organisation_id for m in motifs):
        errors["motifs"] = ["Ce motif n'appartient pas à cet établissement."]
    if start_time is None:
        errors["start_time"] = ["Indiquez l'heure de début."]
    if end_time is None:
        errors["end_time"] = ["Indiquez l'heure de fin."]
    elif start_time is not None and end_time <= start_time:
        errors["end_time"] = ["L'heure de fin doit être après l'heure de début."]
    days = set(weekdays)
    if not days <= set(range(7)):
        errors["weekdays"] = ["Jour de la semaine inconnu."]
    if single_date is not None:
        if days:
            errors["single_date"] = [
                "Choisissez soit une date unique, soit des jours de la semaine, pas les deux."
            ]
        days, every_n_weeks, valid_from, valid_until = set(), 1, single_date, None
    elif not days:
        errors["weekdays"] = ["Cochez au moins un jour de la semaine, ou indiquez une date unique."]
    elif valid_from is None:
        errors["valid_from"] = ["Indiquez à partir de quel jour cette plage s'applique."]
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = ["La date de fin doit être après la date de début."]
    if every_n_weeks is None or not 1 <= every_n_weeks <= 52:
        errors["every_n_weeks"] = ["Entre 1 et 52 semaines."]
    if errors:
        raise ValidationError(errors)
    period.site = site
    period.start_time, period.end_time = start_time, end_time
    period.weekdays = ",".join(str(d) for d in sorted(days))
    period.every_n_weeks = every_n_weeks
    period.valid_from, period.valid_until = valid_from, valid_until
    period.single_date = single_date
    with transaction.atomic():
        list(Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values("id"))
        period.save()
        period.motifs.set(motifs)
        _announce_period(practitioner, period)
    return period


def _announce_period(practitioner: Practitioner, period: OpeningPeriod) -> None:
    """A new or changed period may open slots between its first day and the horizon."""
    now = timezone.now()
    first = max(period.single_date or period.valid_from, today(now))
    last = min(
        period.single_date or period.valid_until or dt.date.max,
        today(now) + dt.timedelta(days=MAX_SEARCH_DAYS),
    )
    if first <= last:
        start = engine.wall_clock(first, dt.time(0))
        end = engine.wall_clock(last + dt.timedelta(days=1), dt.time(0))
        time_opened.send(OpeningPeriod, practitioner=practitioner, start=start, end=end)


def delete_period(period: OpeningPeriod) -> None:
    """Appointments booked in the period stay booked; no new slot is offered in it."""
    with transaction.atomic():
        list(
            Practitioner.objects.select_for_update().filter(pk=period.practitioner_id).values("id")
        )
        period.delete()


def periods_by_practitioner(organisation: Organisation) -> dict[int, list[OpeningPeriod]]:
    """The organisation's opening periods by practitioner id: single dates last, by time."""
    found: dict[int, list[OpeningPeriod]] = defaultdict(list)
    periods = (
        OpeningPeriod.objects.filter(practitioner__organisation=organisation)
        .select_related("site")
        .prefetch_related("motifs")
    )
    for period in sorted(
        periods,
        key=lambda p: (
            p.single_date is not None,
            p.single_date or dt.date.min,
            min(p.weekday_set, default=0),
            p.start_time,
            p.id,
        ),
    ):
        found[period.practitioner_id].append(period)
    return found


def upcoming_absences(organisation: Organisation, now: dt.datetime) -> list[Absence]:
    """Absences not over yet (weekly ones until their last repetition), by start."""
    absences = Absence.objects.filter(practitioner__organisation=organisation)
    upcoming = absences.filter(weekly=False, end__gt=now) | absences.filter(weekly=True).exclude(
        repeat_until__lt=today(now)
    )
    return list(upcoming.select_related("practitioner").order_by("start", "id"))
