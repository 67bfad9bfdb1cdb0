"""Choose which slots of an agenda to fill, in memory, with the slot engine.

The planner keeps its own list of booked intervals, day by day, and asks the engine for the
free slots of each motif against it, so every pick obeys the same rules as a real booking
(grid, buffers, travel times, absences, public holidays, group-session seats). Booking the
picks in the order they were made therefore always succeeds: each one is checked against
exactly the agenda that existed when it was chosen.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from accueil.directory.models import Motif
from accueil.directory.services import Audience
from accueil.scheduling import engine
from accueil.scheduling.services import AgendaInputs, motif_rules

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Pick:
    motif: Motif
    slot: engine.Slot
    participants: int = 1


class AgendaPlanner:
    """Fills one practitioner's agenda; `plan` may be called for successive windows."""

    def __init__(self, agenda: AgendaInputs, motifs: Sequence[tuple[Motif, float]]):
        self.agenda = agenda
        self.motifs = list(motifs)
        self.booked_by_day: dict[dt.date, list[engine.Booked]] = defaultdict(list)
        for item in agenda.booked:
            self.booked_by_day[_local_day(item.start)].append(item)

    def plan(
        self,
        *,
        now: dt.datetime,
        first: dt.date,
        last: dt.date,
        fill: Callable[[dt.date], float],
        rng: random.Random,
        notice: dt.timedelta = dt.timedelta(0),
        until: dt.datetime | None = None,
    ) -> list[Pick]:
        """Picks filling about `fill(day)` of each day's free time, days first..last.

        Slots start at least `notice` after `now` and, with `until`, end by then.
        """
        rules = {
            motif.id: replace(motif_rules(motif, Audience.STAFF), min_notice=notice)
            for motif, _ in self.motifs
        }
        picks: list[Pick] = []
        day = first
        while day <= last:
            share = fill(day)
            if share > 0:
                picks.extend(self._plan_day(day, share, rules, now, until, rng))
            day += ONE_DAY
        return picks

    def _free(
        self,
        rules: engine.MotifRules,
        day: dt.date,
        now: dt.datetime,
        until: dt.datetime | None,
    ) -> list[engine.Slot]:
        near = [
            *self.booked_by_day.get(day - ONE_DAY, ()),
            *self.booked_by_day.get(day, ()),
            *self.booked_by_day.get(day + ONE_DAY, ()),
        ]
        slots = engine.free_slots(
            motif=rules,
            periods=self.agenda.periods,
            absences=self.agenda.absences,
            booked=near,
            closed_days=self.agenda.closed_days,
            now=now,
            first=day,
            last=day,
        )
        if until is not None:
            slots = [s for s in slots if s.end <= until]
        return slots

    def _add(self, day: dt.date, rules: engine.MotifRules, slot: engine.Slot, count: int) -> None:
        self.booked_by_day[day].append(
            engine.Booked(
                start=slot.start,
                end=slot.end,
                motif_id=rules.id,
                guard_before=rules.guard_before,
                guard_after=rules.guard_after,
                participants=count,
            )
        )

    def _plan_day(self, day, share, rules, now, until, rng) -> list[Pick]:
        picks = []
        singles = []
        for motif, weight in self.motifs:
            motif_rules_ = rules[motif.id]
            if motif.capacity == 1:
                singles.append((motif, weight, motif_rules_))
                continue
            # Group sessions: seats taken in proportion to the day's fill, at least one.
            for slot in self._free(motif_rules_, day, now, until):
                wanted = round(motif.capacity * share * rng.uniform(0.7, 1.25))
                count = max(1, min(slot.remaining, wanted))
                picks.append(Pick(motif, slot, count))
                self._add(day, motif_rules_, slot, count)
        if not singles:
            return picks
        free = {m.id: self._free(r, day, now, until) for m, _, r in singles}
        target = share * _covered(s for slots in free.values() for s in slots)
        taken = dt.timedelta(0)
        while taken < target:
            options = [(m, w, r) for m, w, r in singles if free[m.id]]
            if not options:
                break
            motif, _, motif_rules_ = rng.choices(options, weights=[w for _, w, _ in options])[0]
            slot = rng.choice(free[motif.id])
            picks.append(Pick(motif, slot))
            self._add(day, motif_rules_, slot, 1)
            taken += slot.end - slot.start
            free = {m.id: self._free(r, day, now, until) for m, _, r in singles}
        return picks


def _covered(slots) -> dt.timedelta:
    """Total time covered by the union of the slots' intervals."""
    total = dt.timedelta(0)
    current_start = current_end = None
    for start, end in sorted((s.start, s.end) for s in slots):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def _local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(engine.PARIS).date()
