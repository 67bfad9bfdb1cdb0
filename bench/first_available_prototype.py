"""Prototype, not used by run.py: a branch-and-bound `first_available`, against the current one.

    .venv/bin/python bench/first_available_prototype.py   (after bench/run.py loaded the data)

The service computes every candidate's agenda (1,000 practitioners: ~51,000 booking rows
for a one-day window with its ±1 day margins) to keep the 10 earliest slots. Here a lower
bound of each practitioner's first slot comes from the opening periods alone (no booking can
make a slot earlier), candidates are examined in the order of that bound, a batch at a
time, and the search stops as soon as the 10th slot found is no later than the next bound.
Same answer, a few dozen agendas computed instead of all of them.

It uses private helpers of `scheduling.services`; it is evidence for a change there, not
code to depend on.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "accueil.settings"
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
os.environ["DEBUG"] = "0"

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from accueil.directory.services import Audience  # noqa: E402
from accueil.scheduling import engine  # noqa: E402
from accueil.scheduling import services as S  # noqa: E402

BATCH = 40


def first_available_bb(
    *, profession: str = "", now: dt.datetime, limit: int = 10, parts: list | None = None
) -> list[S.FoundSlot]:
    audience = Audience.PUBLIC
    t0 = time.perf_counter()
    candidates = S._first_available_candidates(profession, "", None, "", "", audience)
    t1 = time.perf_counter()
    first = S.today(now)
    horizon_end = first + dt.timedelta(days=S.MAX_SEARCH_DAYS)
    agendas = {p.id: S.AgendaInputs() for p, _ in candidates}
    S._load_periods(agendas, first, horizon_end)
    t2 = time.perf_counter()
    closed: dict[tuple, frozenset] = {}
    bounds = []
    for practitioner, motif in candidates:
        org = practitioner.organisation
        key = (org.holidays_subdivision, org.closed_on_public_holidays)
        if key not in closed:
            closed[key] = S.closed_days(org, first, horizon_end)
        periods = agendas[practitioner.id].periods
        if practitioner.departure_date is not None:
            periods = S._before_departure(periods, practitioner.departure_date)
        bound = engine.free_slots(
            motif=S.motif_rules(motif, audience),
            periods=periods,
            closed_days=closed[key],
            now=now,
            first=first,
            last=horizon_end,
            limit=1,
        )
        if bound:
            bounds.append((bound[0].start, practitioner.id, practitioner, motif))
    bounds.sort(key=lambda b: (b[0], b[1]))
    t3 = time.perf_counter()
    found: list[S.FoundSlot] = []
    examined = 0
    i = 0
    while i < len(bounds):
        if len(found) >= limit and found[limit - 1].slot.start <= bounds[i][0]:
            break
        batch = bounds[i : i + BATCH]
        i += BATCH
        examined += len(batch)
        pending = [(p, m) for _, _, p, m in batch]
        day = timezone.localtime(batch[0][0], engine.PARIS).date()
        span = 1
        while pending and day <= horizon_end:
            last = min(day + dt.timedelta(days=span - 1), horizon_end)
            loaded = S.load_agendas([p for p, _ in pending], day, last)
            still = []
            for practitioner, motif in pending:
                rules = S.motif_rules(motif, audience)
                slots = S._slots(loaded[practitioner.id], rules, now, day, last, 1)
                if slots:
                    found.append(S.FoundSlot(practitioner, motif, slots[0]))
                else:
                    still.append((practitioner, motif))
            pending = still
            day = last + dt.timedelta(days=1)
            span *= 2
        found.sort(key=lambda f: (f.slot.start, f.practitioner.id))
    if parts is not None:
        parts.append((t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3, examined))
    return found[:limit]


def main() -> None:
    weekday = timezone.localdate() + dt.timedelta(days=1)
    while weekday.weekday() >= 5:
        weekday += dt.timedelta(days=1)
    for when in (dt.time(10), dt.time(19, 30)):
        now = engine.wall_clock(weekday, when)
        for profession in ("", "médecin généraliste"):
            current, proto, parts = [], [], []
            for _ in range(5):
                started = time.perf_counter()
                expected = S.first_available(profession=profession, now=now, limit=10)
                current.append((time.perf_counter() - started) * 1000)
            for _ in range(20):
                started = time.perf_counter()
                got = first_available_bb(profession=profession, now=now, parts=parts)
                proto.append((time.perf_counter() - started) * 1000)
            same = [(f.practitioner.id, f.slot.start) for f in got] == [
                (f.practitioner.id, f.slot.start) for f in expected
            ]
            split = [statistics.median(p[k] for p in parts) * 1000 for k in range(4)]
            print(
                f"{weekday:%a} {when:%H:%M} {profession or 'all':<20} current p50 "
                f"{statistics.median(current):7.1f} ms | prototype p50 "
                f"{statistics.median(proto):6.1f} ms, max {max(proto):6.1f} ms, same answer: "
                f"{same} (candidates {split[0]:.0f} ms, periods {split[1]:.0f} ms, bounds "
                f"{split[2]:.0f} ms, exact search {split[3]:.0f} ms for {parts[0][4]} agendas)"
            )


if __name__ == "__main__":
    main()
