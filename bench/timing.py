"""Timing helpers for the benchmarks: percentiles, query accounting, profiles."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection


@dataclass
class Samples:
    """Durations in seconds."""

    values: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.values.append(seconds)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile (p in 0..100)."""
        ordered = sorted(self.values)
        if not ordered:
            return float("nan")
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]

    @property
    def p50_ms(self) -> float:
        return self.percentile(50) * 1000

    @property
    def p95_ms(self) -> float:
        return self.percentile(95) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.values) * 1000 if self.values else float("nan")


def measure(call: Callable[[int], object], runs: int, warmup: int = 5) -> Samples:
    """Run `call(i)` `warmup` times untimed, then `runs` times timed."""
    for i in range(warmup):
        call(i)
    samples = Samples()
    for i in range(runs):
        started = time.perf_counter()
        call(i)
        samples.add(time.perf_counter() - started)
    return samples


@dataclass
class QueryStats:
    calls: int = 0
    queries: int = 0
    db_seconds: float = 0.0
    total_seconds: float = 0.0

    def per_call(self) -> str:
        if not self.calls:
            return "-"
        return (
            f"{self.queries / self.calls:.1f} queries/call, "
            f"{self.db_seconds / self.calls * 1000:.2f} ms in cursor.execute (fetches not "
            f"included) "
            f"of {self.total_seconds / self.calls * 1000:.2f} ms/call"
        )


@contextmanager
def counting_queries(stats: QueryStats):
    """Count queries and the time spent in the database driver, in this thread."""

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            stats.queries += 1
            stats.db_seconds += time.perf_counter() - started

    with connection.execute_wrapper(wrapper):
        yield stats


def query_profile(call: Callable[[int], object], runs: int) -> QueryStats:
    stats = QueryStats()
    with counting_queries(stats):
        started = time.perf_counter()
        for i in range(runs):
            call(i)
        stats.total_seconds = time.perf_counter() - started
    stats.calls = runs
    return stats


def profile(call: Callable[[int], object], runs: int, limit: int = 18) -> str:
    """cProfile of `runs` calls: the functions with the most cumulative and own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(runs):
        call(i)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"  -- {runs} calls, by cumulative time --\n")
    stats.sort_stats("cumulative").print_stats(limit)
    out.write("  -- by own time --\n")
    stats.sort_stats("tottime").print_stats(limit)
    return "\n".join(
        line for line in out.getvalue().splitlines() if line.strip() and "Ordered by" not in line
    )
