"""A remote secretariat's Monday, simulated (simpy), against Erlang C's prediction.

    .venv/bin/python bench/secretariat_sim.py [--calls 4500] [--operators 16]
        [--handling 120] [--patience 90] [--absorbed 0.6] [--days 5] [--seed 7]

4,500 calls from 7:00 to 19:00 with a Monday profile (the 9:00-10:00 peak carries about
three times the 12:30 trough), Poisson arrivals per half-hour, exponential handling times
and caller patience; one queue, first come first served, 16 operators. Printed for the
operators alone and with the virtual receptionist settling a share of the calls first:
service level (answered within 20 s, of calls offered), abandonment, average speed of
answer, occupancy, the peak half-hours, and Erlang C's prediction for the same half-hours
(Erlang C ignores abandonment, so it is pessimistic when the queue overflows).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accueil.secretariat import staffing  # noqa: E402

HALF_HOUR = 1800.0
OPENING = 7  # 7:00
# Relative call volume of each half-hour from 7:00 to 18:30 on a Monday.
MONDAY = [0.6, 1.0, 2.0, 2.6, 3.0, 2.8, 2.4, 2.1, 1.9, 1.6, 1.0, 0.8,
          0.9, 1.3, 1.6, 1.6, 1.5, 1.4, 1.4, 1.3, 1.2, 1.1, 0.9, 0.6]  # fmt: skip
TARGET_WAIT = 20.0


@dataclass
class Day:
    offered: list[int] = field(default_factory=lambda: [0] * len(MONDAY))
    answered_in_target: list[int] = field(default_factory=lambda: [0] * len(MONDAY))
    abandoned: list[int] = field(default_factory=lambda: [0] * len(MONDAY))
    waits: list[float] = field(default_factory=list)
    busy_seconds: float = 0.0


def simulate_day(
    calls: int,
    operators: int,
    handling: float,
    patience: float,
    absorbed: float,
    rng: random.Random,
) -> Day:
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=operators)
    day = Day()
    total = sum(MONDAY)

    def call(slot: int):
        arrived = env.now
        day.offered[slot] += 1
        with desk.request() as request:
            outcome = yield request | env.timeout(rng.expovariate(1 / patience))
            if request not in outcome:
                day.abandoned[slot] += 1
                return
            waited = env.now - arrived
            day.waits.append(waited)
            if waited <= TARGET_WAIT:
                day.answered_in_target[slot] += 1
            duration = rng.expovariate(1 / handling)
            day.busy_seconds += duration
            yield env.timeout(duration)

    def arrivals():
        for slot, weight in enumerate(MONDAY):
            rate = calls * weight / total / HALF_HOUR
            end = (slot + 1) * HALF_HOUR
            while True:
                gap = rng.expovariate(rate)
                if env.now + gap >= end:
                    yield env.timeout(end - env.now)
                    break
                yield env.timeout(gap)
                if rng.random() >= absorbed:  # settled by the virtual receptionist
                    env.process(call(slot))

    env.process(arrivals())
    env.run()
    return day


def erlang_prediction(calls: int, operators: int, handling: float, absorbed: float) -> list:
    total = sum(MONDAY)
    return [
        staffing.service_level(
            staffing.offered_load(calls * w / total * (1 - absorbed), HALF_HOUR, handling),
            operators,
            handling,
            TARGET_WAIT,
        )
        for w in MONDAY
    ]


def report(label: str, days: list[Day], args, absorbed: float) -> None:
    offered = sum(sum(d.offered) for d in days)
    in_target = sum(sum(d.answered_in_target) for d in days)
    abandoned = sum(sum(d.abandoned) for d in days)
    waits = [w for d in days for w in d.waits]
    open_seconds = len(MONDAY) * HALF_HOUR * args.operators * len(days)
    predicted = erlang_prediction(args.calls, args.operators, args.handling, absorbed)
    weights = [w * (1 - absorbed) for w in MONDAY]
    predicted_level = sum(p * w for p, w in zip(predicted, weights, strict=True)) / sum(weights)
    needed = [
        staffing.operators_needed(
            args.calls * w / sum(MONDAY) * (1 - absorbed), HALF_HOUR, args.handling
        ).operators
        for w in MONDAY
    ]
    print(f"\n{label}: {offered / len(days):.0f} calls a day reach the operators")
    print(
        f"  service level {in_target / offered:.1%} answered within {TARGET_WAIT:.0f} s "
        f"(Erlang C predicts {predicted_level:.1%}), abandoned {abandoned / offered:.1%}, "
        f"average speed of answer {statistics.fmean(waits):.0f} s, "
        f"occupancy {sum(d.busy_seconds for d in days) / open_seconds:.0%}"
    )
    print(f"  operators Erlang C asks for 80/20, per half-hour: {needed} (max {max(needed)})")
    worst = sorted(range(len(MONDAY)), key=lambda s: predicted[s])[:3]
    for slot in sorted(worst):
        sim_offered = sum(d.offered[slot] for d in days)
        sim_level = sum(d.answered_in_target[slot] for d in days) / max(sim_offered, 1)
        sim_abandoned = sum(d.abandoned[slot] for d in days) / max(sim_offered, 1)
        hour, minute = divmod(OPENING * 60 + slot * 30, 60)
        print(
            f"  {hour:02d}:{minute:02d}  simulated {sim_level:.0%} within 20 s, "
            f"{sim_abandoned:.0%} abandoned; Erlang C {predicted[slot]:.0%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=4500)
    parser.add_argument("--operators", type=int, default=16)
    parser.add_argument("--handling", type=float, default=120.0, help="seconds")
    parser.add_argument("--patience", type=float, default=90.0, help="seconds")
    parser.add_argument("--absorbed", type=float, default=0.6, help="share settled by the agent")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"Monday of {args.calls} calls, 7:00-19:00, {args.operators} operators, handling "
        f"{args.handling:.0f} s, patience {args.patience:.0f} s, {args.days} simulated days"
    )
    for label, absorbed in (
        ("Operators alone", 0.0),
        (f"Virtual receptionist settling {args.absorbed:.0%} first", args.absorbed),
    ):
        rng = random.Random(args.seed)
        days = [
            simulate_day(args.calls, args.operators, args.handling, args.patience, absorbed, rng)
            for _ in range(args.days)
        ]
        report(label, days, args, absorbed)


if __name__ == "__main__":
    main()
