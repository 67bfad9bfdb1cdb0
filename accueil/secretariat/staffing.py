"""Erlang C: how many operators a queue of calls needs. Pure functions, no ORM.

Calls arrive at random (Poisson) at `rate` per second and take `handling` seconds on
average (exponential); callers wait in one queue and never hang up (the model's known
pessimism on abandonment is on the safe side for staffing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def offered_load(calls: float, period_seconds: float, handling_seconds: float) -> float:
    """Traffic in Erlangs: calls in the period times average handling time, per period."""
    return calls * handling_seconds / period_seconds


def erlang_b(load: float, servers: int) -> float:
    """Blocking probability with no queue, by the stable recurrence B(n) = A B / (n + A B)."""
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def probability_of_waiting(load: float, operators: int) -> float:
    """Erlang C: the share of callers who wait at all (1 when the queue is unstable)."""
    if operators <= load:
        return 1.0
    b = erlang_b(load, operators)
    return operators * b / (operators - load * (1 - b))


def service_level(load: float, operators: int, handling: float, target_wait: float) -> float:
    """Share of calls answered within `target_wait` seconds (80/20: target_wait = 20)."""
    if operators <= load:
        return 0.0
    waiting = probability_of_waiting(load, operators)
    return 1 - waiting * math.exp(-(operators - load) * target_wait / handling)


def average_speed_of_answer(load: float, operators: int, handling: float) -> float:
    if operators <= load:
        return math.inf
    return probability_of_waiting(load, operators) * handling / (operators - load)


@dataclass(frozen=True)
class Staffing:
    operators: int
    load: float
    service_level: float
    waiting: float
    average_speed_of_answer: float
    occupancy: float


def operators_needed(
    calls: float,
    period_seconds: float,
    handling_seconds: float,
    *,
    target_level: float = 0.8,
    target_wait: float = 20.0,
    max_occupancy: float = 1.0,
) -> Staffing:
    """The fewest operators meeting the service level (and the occupancy cap, if any)."""
    if calls <= 0:
        return Staffing(0, 0.0, 1.0, 0.0, 0.0, 0.0)
    load = offered_load(calls, period_seconds, handling_seconds)
    operators = max(1, math.floor(load) + 1)
    while True:
        level = service_level(load, operators, handling_seconds, target_wait)
        if level >= target_level and load / operators <= max_occupancy:
            return Staffing(
                operators=operators,
                load=load,
                service_level=level,
                waiting=probability_of_waiting(load, operators),
                average_speed_of_answer=average_speed_of_answer(load, operators, handling_seconds),
                occupancy=load / operators,
            )
        operators += 1
