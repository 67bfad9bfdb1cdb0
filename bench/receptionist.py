"""Benchmark of the virtual receptionist: the scripted calls of tests/reception/scenarios,
then (on PostgreSQL) many simultaneous calls over HTTP against a live server on 127.0.0.1.

    .venv/bin/python bench/receptionist.py [--calls 200] [--skip-http]
    scripts/with-postgres.sh .venv/bin/python bench/receptionist.py     # throw-away PostgreSQL

Works in a test database created for the run (test_<name>, dropped at the end), so the
development data is never touched. Prints:

- share settled without a human, on the realistic mix (45 % booking, 15 % cancel/move,
  20 % information, 15 % messages, 5 % other: each category's share weighted) and raw;
- share correct (outcome, database effect and words expected by the scenario);
- emergencies missed (must be 0) and wrong actions (a booking, cancellation or move that
  the scenario did not expect, or for the wrong patient, practitioner or time: must be 0);
- turn latency p50/p95 in process (`take_turn`, database included);
- over HTTP: N calls at once, each a full booking dialogue; client latency and server time
  per turn (p50/p95), lost or mixed-up turns (must be 0).

Targets: settled >= 90 %, 0 missed, 0 wrong actions, turn p95 < 150 ms server time. The
figures are reported, never asserted: the tests assert behaviour.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MIX = {"booking": 45, "cancel_move": 15, "information": 20, "message": 15, "other": 5}
TOKEN = "bench-telephony-token"


def configure_environment() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "accueil.settings"
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench-reception.sqlite3'}"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["ACCUEIL_TELEPHONY_TOKEN"] = TOKEN


configure_environment()

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from tests.reception import scenarios  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class _Rollback(Exception):
    pass


def run_scenarios() -> dict:
    results: list[scenarios.Result] = []
    for scenario in scenarios.load():
        holder: list[scenarios.Result] = []
        try:
            with transaction.atomic():
                holder.append(scenarios.run(scenario))
                raise _Rollback
        except _Rollback:
            pass
        results.append(holder[0])
    by_category: dict[str, list[scenarios.Result]] = defaultdict(list)
    for result in results:
        by_category[result.scenario["category"]].append(result)
    weighted_settled = sum(
        MIX[c] * statistics.mean(r.settled for r in by_category[c]) for c in MIX
    ) / sum(MIX.values())
    weighted_correct = sum(
        MIX[c] * statistics.mean(r.ok for r in by_category[c]) for c in MIX
    ) / sum(MIX.values())
    turns = [s for r in results for s in r.turn_seconds]
    return {
        "results": results,
        "by_category": by_category,
        "settled_mix": weighted_settled,
        "correct_mix": weighted_correct,
        "settled_raw": statistics.mean(r.settled for r in results),
        "correct_raw": statistics.mean(r.ok for r in results),
        "missed": [r for r in results if r.emergency_missed],
        "wrong": [r for r in results if r.wrong_actions],
        "failed": [r for r in results if not r.ok],
        "turns": turns,
    }


def report_scenarios(figures: dict) -> None:
    results = figures["results"]
    print(f"Scripted calls: {len(results)} scenarios, {len(figures['turns'])} turns")
    for category, items in sorted(figures["by_category"].items()):
        settled = sum(r.settled for r in items)
        correct = sum(r.ok for r in items)
        print(f"  {category:<12} {len(items):>3} calls  settled {settled:>3}  correct {correct:>3}")
    print(
        f"  settled without a human (mix 45/15/20/15/5): {figures['settled_mix']:.1%}"
        f"   (all scenarios: {figures['settled_raw']:.1%})   target >= 90 %"
    )
    print(
        f"  correct (mix): {figures['correct_mix']:.1%}   (all scenarios: "
        f"{figures['correct_raw']:.1%})"
    )
    emergencies = [r for r in results if "emergency" in r.scenario.get("outcomes", [])]
    print(f"  emergencies missed: {len(figures['missed'])} of {len(emergencies)}   target 0")
    print(f"  wrong actions: {len(figures['wrong'])}   target 0")
    turns = figures["turns"]
    print(
        f"  turn latency in process: p50 {percentile(turns, 50) * 1000:.1f} ms, "
        f"p95 {percentile(turns, 95) * 1000:.1f} ms, max {max(turns) * 1000:.1f} ms"
        "   target p95 < 150 ms"
    )
    for result in figures["failed"][:10]:
        print(f"  ! {result.scenario['id']}: {'; '.join(result.failures + result.wrong_actions)}")


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")  # fmt: skip
LETTERS = "abcdefghijklmnopqrstuvwxyz"


PRACTICES = 10
WHEN = (
    "le plus tôt possible", "la semaine prochaine", "jeudi matin", "dans deux semaines",
    "mardi prochain après 17 h", "vendredi après-midi", "la semaine du 18", "lundi",
)  # fmt: skip


def practice_phone(n: int) -> str:
    return f"+333220001{n:02d}"


def build_practices() -> None:
    """Several practices (a remote secretariat's clients), each with its own number."""
    from tests.reception.agenda import build_practice

    for n in range(PRACTICES):
        practice = build_practice()
        practice.organisation.phone = practice_phone(n)
        practice.organisation.slug = f"bench-reception-{n}"
        practice.organisation.save(update_fields=["phone", "slug"])
        practice.organisation.sites.update(phone="")


def serve(workers: int) -> None:
    """Child process: serve on 127.0.0.1 until stdin closes (the bench's clients run in the
    parent, so they do not share the server's interpreter lock)."""
    from tests.reception.live import LiveServer

    with LiveServer(workers=workers) as server:
        print(server.url, flush=True)
        sys.stdin.read()


def run_http(calls: int, workers: int) -> dict:
    """`calls` simultaneous booking dialogues over HTTP; every turn checked afterwards."""
    import subprocess

    import httpx

    from accueil.reception.models import Call, Turn

    build_practices()
    client_seconds: list[float] = []
    sent: dict[int, list[str]] = {}
    heard: dict[int, list[str]] = {}
    ids: dict[int, str] = {}
    outcomes: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(calls)
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
            f"{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
    }
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--workers", str(workers)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    url = child.stdout.readline().strip()

    def one_call(i: int) -> None:
        name = "martel" + LETTERS[i // 26 % 26] + LETTERS[i % 26]
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=53 * i)
        texts = [
            f"bonjour je voudrais un rendez-vous {WHEN[i % len(WHEN)]}",
            name,
            f"le {birth.day} {MONTHS[birth.month - 1]} {birth.year}",
            "jean",
        ]
        # One connection per request, as telephony platforms post webhooks.
        headers = {"Authorization": f"Bearer {TOKEN}", "Connection": "close"}
        try:
            with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
                barrier.wait(timeout=120)
                started = client.post(
                    "/api/v1/calls",
                    json={"to": practice_phone(i % PRACTICES), "from": f"+3361200{i:04d}"},
                )
                call_id = started.json()["id"]
                ids[i], sent[i], heard[i] = call_id, [], [started.json()["say"]]
                answer: dict = {}

                def say(text: str) -> dict:
                    begin = time.perf_counter()
                    response = client.post(f"/api/v1/calls/{call_id}/turns", json={"text": text})
                    elapsed = time.perf_counter() - begin
                    response.raise_for_status()
                    with lock:
                        client_seconds.append(elapsed)
                    sent[i].append(text)
                    heard[i].append(response.json()["say"])
                    return response.json()

                for text in texts:
                    answer = say(text)
                choices = ("le premier", "le deuxième", "le troisième")
                for attempt in range(20):
                    answer = say(choices[(i + attempt) % 3])
                    if answer["outcome"] == "booked":
                        break
                with lock:
                    outcomes[answer["outcome"]] += 1
                say("non merci au revoir")
        except Exception as exc:
            with lock:
                errors.append(f"call {i}: {type(exc).__name__}: {exc}")

    try:
        threads = [threading.Thread(target=one_call, args=(i,)) for i in range(calls)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        wall = time.perf_counter() - started
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    mixed = 0
    for i, call_id in ids.items():
        turns = list(Turn.objects.filter(call_id=call_id).order_by("index"))
        said = [t.caller_text for t in turns[1:]]
        answered = [t.say for t in turns]
        if said != sent.get(i) or answered != heard.get(i):
            mixed += 1
    server_ms = list(
        Turn.objects.filter(
            call__in=Call.objects.filter(pk__in=ids.values()), index__gt=0
        ).values_list("duration_ms", flat=True)
    )
    return {
        "calls": calls,
        "workers": workers,
        "wall": wall,
        "client": client_seconds,
        "server_ms": server_ms,
        "outcomes": outcomes,
        "errors": errors,
        "mixed": mixed,
    }


def report_http(figures: dict) -> None:
    client, server_ms = figures["client"], figures["server_ms"]
    print(
        f"HTTP: {figures['calls']} simultaneous calls to {PRACTICES} practices on 127.0.0.1 "
        f"(server: one process, {figures['workers']} worker threads), {len(client)} turns in "
        f"{figures['wall']:.1f} s ({len(client) / figures['wall']:.0f} turns/s)"
    )
    print(
        f"  server time per turn: p50 {percentile(server_ms, 50):.0f} ms, "
        f"p95 {percentile(server_ms, 95):.0f} ms   target p95 < 150 ms"
    )
    print(
        f"  client latency per turn: p50 {percentile(client, 50) * 1000:.0f} ms, "
        f"p95 {percentile(client, 95) * 1000:.0f} ms (queueing on a 2-core machine included)"
    )
    print(
        f"  outcomes {dict(figures['outcomes'])}; lost or mixed-up turns: {figures['mixed']}; "
        f"errors: {len(figures['errors'])}"
    )
    for error in figures["errors"][:5]:
        print(f"  ! {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="simultaneous HTTP calls")
    parser.add_argument("--workers", type=int, default=4, help="server worker threads")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.workers)
        return
    vendor = connection.vendor
    print(f"Database: {vendor}")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        figures = run_scenarios()
        report_scenarios(figures)
        if args.skip_http:
            return
        if vendor != "postgresql":
            print("HTTP: skipped (needs PostgreSQL: scripts/with-postgres.sh ...)")
            return
        report_http(run_http(args.calls, args.workers))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
