"""First available slot across many practitioners, found by branch and bound.

Computing every candidate's agenda to keep the `limit` earliest slots loads tens of
thousands of booking rows for a thousand practitioners. Instead, a lower bound of each
practitioner's first slot comes from the opening periods alone (bookings and absences can
only remove slots, never add earlier ones); candidates are examined in (bound, practitioner
id) order, a batch at a time, and the search stops as soon as the `limit`-th slot found is
no later than the next candidate's (bound, id): no candidate left can come before it.

Agendas are read only through the public functions of `scheduling.services`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from django.db.models import (
    Case,
    F,
    IntegerField,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from accueil.directory.models import Motif, Organisation, Practitioner
from accueil.directory.services import Audience, motifs_open_to
from accueil.scheduling import engine, services
from accueil.scheduling.services import FoundSlot


class _Candidate(NamedTuple):
    """A practitioner to examine; tuples sort by (bound, practitioner id) as wanted."""

    bound: dt.datetime  # no slot of this practitioner starts before
    practitioner_id: int
    motif_id: int
    last: dt.date  # last day to search: the horizon's end, or the eve of a departure

    @property
    def key(self) -> tuple[dt.datetime, int]:
        return (self.bound, self.practitioner_id)


class _Found(NamedTuple):
    """A practitioner's first free slot; tuples sort by (start, practitioner id) as wanted."""

    start: dt.datetime
    practitioner_id: int
    motif_id: int
    slot: engine.Slot

    @property
    def key(self) -> tuple[dt.datetime, int]:
        return (self.start, self.practitioner_id)


def first_available(
    *,
    profession: str = "",
    motif_name: str = "",
    organisation_id: int | None = None,
    postcode_prefix: str = "",
    city: str = "",
    audience: Audience = Audience.PUBLIC,
    now: dt.datetime | None = None,
    limit: int = 10,
) -> list[FoundSlot]:
    """The earliest free slot of each matching practitioner, earliest first, `limit` of them.

    Slots are ordered by start, ties by practitioner id. The search covers today and the
    next `MAX_SEARCH_DAYS` days, within each motif's notice and horizon for `audience`.

    Matching practitioners are active, of `profession` (case-insensitive), of the
    organisation, have a site whose postcode starts with `postcode_prefix` and one in
    `city` (case-insensitive). Each is searched for one motif, among its active motifs open
    to `audience` whose name contains `motif_name` (case-insensitive): without a motif
    name, an on-site motif first (the usual consultation rather than a phone, video or home
    visit), then the shortest, then the lowest id; with a motif name, the shortest, then the
    lowest id.

    Practitioners are examined in the order of a lower bound of their first slot computed
    from their opening periods alone, a batch at a time, until no one left can come before
    the `limit`-th slot found: a few dozen agendas are loaded, not every candidate's.
    """
    now = now or timezone.now()
    if limit < 1:
        return []
    first = services.today(now)
    horizon_end = first + dt.timedelta(days=services.MAX_SEARCH_DAYS)
    rows = _candidate_rows(
        profession=profession,
        motif_name=motif_name,
        organisation_id=organisation_id,
        postcode_prefix=postcode_prefix,
        city=city,
        audience=audience,
    )
    if not rows:
        return []
    motifs = Motif.objects.in_bulk({mid for _, mid, *_ in rows})
    rules = {mid: services.motif_rules(motif, audience) for mid, motif in motifs.items()}
    ranked = _ranked(rows, rules, now, first, horizon_end)

    found: list[_Found] = []
    practitioners: dict[int, Practitioner] = {}
    batch_size = 2 * limit  # then sized on what the first batches found (`_next_batch_size`)
    i = 0
    while i < len(ranked) and not (len(found) >= limit and found[limit - 1].key <= ranked[i].key):
        batch = ranked[i : i + batch_size]
        i += len(batch)
        practitioners.update(
            Practitioner.objects.select_related("organisation").in_bulk(
                [c.practitioner_id for c in batch]
            )
        )
        _search_batch(batch, practitioners, rules, now, limit, found)
        if i < len(ranked):
            batch_size = _next_batch_size(found, ranked[i].key, i, limit)
    result = [
        FoundSlot(practitioners[f.practitioner_id], motifs[f.motif_id], f.slot)
        for f in found[:limit]
    ]
    # The API lists each practitioner's sites: one query for all of them.
    prefetch_related_objects([f.practitioner for f in result], "sites")
    return result


def _candidate_rows(
    *,
    profession: str,
    motif_name: str,
    organisation_id: int | None,
    postcode_prefix: str,
    city: str,
    audience: Audience,
) -> list[tuple[int, int, dt.date | None, int, str, bool]]:
    """(practitioner id, chosen motif id, departure date, organisation id, holidays
    subdivision, closed on public holidays) of each matching practitioner (1 query).

    Plain values, one row per practitioner (the database ranks its motifs): model
    instances of a thousand practitioners would cost several times more, and only the
    winners' are needed.
    """
    practitioners = Practitioner.objects.filter(active=True)
    if profession:
        practitioners = practitioners.filter(profession__iexact=profession)
    if organisation_id is not None:
        practitioners = practitioners.filter(organisation_id=organisation_id)
    if postcode_prefix:
        practitioners = practitioners.filter(sites__postcode__startswith=postcode_prefix)
    if city:
        practitioners = practitioners.filter(sites__city__iexact=city)
    motifs = Motif.objects.filter(motifs_open_to(audience))
    if motif_name:
        motifs = motifs.filter(name__icontains=motif_name)
    preference = [F("motif__duration").asc(), F("motif_id").asc()]
    if not motif_name:
        on_site = When(motif__location_type=Motif.LocationType.ON_SITE, then=Value(0))
        preference.insert(0, Case(on_site, default=Value(1), output_field=IntegerField()).asc())
    rows = (
        Motif.practitioners.through.objects.filter(
            practitioner__in=practitioners.values("id"), motif__in=motifs.values("id")
        )
        .annotate(rank=Window(RowNumber(), partition_by=F("practitioner_id"), order_by=preference))
        .filter(rank=1)
        .values_list(
            "practitioner_id",
            "motif_id",
            "practitioner__departure_date",
            "practitioner__organisation_id",
            "practitioner__organisation__holidays_subdivision",
            "practitioner__organisation__closed_on_public_holidays",
        )
    )
    return list(rows)


def _ranked(
    rows: list[tuple[int, int, dt.date | None, int, str, bool]],
    rules: dict[int, engine.MotifRules],
    now: dt.datetime,
    first: dt.date,
    horizon_end: dt.date,
) -> list[_Candidate]:
    """Candidates with a slot possible in the horizon, by (bound, practitioner id)."""
    periods = services.load_periods(
        [pid for pid, *_ in rows], first, horizon_end, motif_ids={mid for _, mid, *_ in rows}
    )
    # Closed days depend on two settings of the organisation: computed once per pair of
    # values, with one organisation loaded for each (usually one or two in all).
    example = {(subdivision, closes): oid for _, _, _, oid, subdivision, closes in rows}
    organisations = Organisation.objects.in_bulk(example.values())
    closed = {
        holidays: services.closed_days(organisations[oid], first, horizon_end)
        for holidays, oid in example.items()
    }
    ranked = []
    for pid, mid, departure, _, subdivision, closes in rows:
        last = horizon_end
        if departure is not None:
            last = min(last, departure - dt.timedelta(days=1))
        bound = engine.first_grid_start(
            motif=rules[mid],
            periods=periods.get(pid, ()),
            closed_days=closed[(subdivision, closes)],
            now=now,
            first=first,
            last=last,
        )
        if bound is not None:
            ranked.append(_Candidate(bound, pid, mid, last))
    ranked.sort()
    return ranked


def _next_batch_size(
    found: list[_Found], next_key: tuple[dt.datetime, int], examined: int, limit: int
) -> int:
    """How many candidates to examine next, from the share of those examined so far whose
    slot comes before the next candidate's bound (they are sure to be in the answer).

    A batch costs a few queries whatever its size, and each candidate its agenda rows: aim
    at the number still needed, with a margin, rather than doubling blindly.
    """
    sure = sum(1 for f in found if f.key < next_key)
    if not sure:
        return 2 * examined
    return max(1, min(2 * examined, math.ceil(1.5 * (limit - sure) * examined / sure)))


def _search_batch(
    batch: list[_Candidate],
    practitioners: dict[int, Practitioner],
    rules: dict[int, engine.MotifRules],
    now: dt.datetime,
    limit: int,
    found: list[_Found],
) -> None:
    """Exact first slots of a batch, added to `found` (kept sorted by (start, id)).

    Windows of days grow from the batch's earliest bound (1, 2, 4... days), for the
    candidates still without a slot whose bound is inside the window. A candidate is
    dropped once the window starts after the day of the `limit`-th slot found: whatever it
    finds would come later.
    """
    first_day = {c.practitioner_id: _local_day(c.bound) for c in batch}
    pending = batch
    day = first_day[batch[0].practitioner_id]
    span = 1
    while pending:
        if len(found) >= limit:
            cutoff = _local_day(found[limit - 1].start)
            if day > cutoff:
                return
            pending = [c for c in pending if first_day[c.practitioner_id] <= cutoff]
        pending = [c for c in pending if day <= c.last]
        if not pending:
            return
        day = max(day, first_day[pending[0].practitioner_id])  # pending stays in bound order
        last = min(day + dt.timedelta(days=span - 1), max(c.last for c in pending))
        due = [c for c in pending if first_day[c.practitioner_id] <= last]
        agendas = services.load_agendas(
            [practitioners[c.practitioner_id] for c in due],
            day,
            last,
            motif_ids={c.motif_id for c in due},
        )
        done = set()
        for c in due:
            agenda = agendas[c.practitioner_id]
            slots = engine.free_slots(
                motif=rules[c.motif_id],
                periods=agenda.periods,
                absences=agenda.absences,
                booked=agenda.booked,
                closed_days=agenda.closed_days,
                now=now,
                first=day,
                last=last,
                limit=1,
            )
            if slots:
                found.append(_Found(slots[0].start, c.practitioner_id, c.motif_id, slots[0]))
                done.add(c.practitioner_id)
        found.sort()
        pending = [c for c in pending if c.practitioner_id not in done]
        day = last + dt.timedelta(days=1)
        span *= 2


def _local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(engine.PARIS).date()
