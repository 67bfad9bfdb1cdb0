"""Benchmarks of the slot search and of booking, on the database DATABASE_URL names.

    .venv/bin/python bench/run.py [--practitioners 1000] [--runs 200] [--bookings 500]
                                  [--only a,b,c] [--profile] [--skip-seed] [--skip-http]

`make bench` runs it on a throw-away PostgreSQL. Without DATABASE_URL it uses its own SQLite
file, var/bench.sqlite3, so the development database keeps only the demo data.

Steps: migrate; `seed_scale --practitioners N --reset` unless that data set is already there
(loaded today, at that size); then

a. slot search of one practitioner over 4 weeks, in process and over HTTP (the WSGI app in
   a background thread on 127.0.0.1, keep-alive client);
b. first available slot across all practitioners, without filter and by profession;
c. booking throughput on PostgreSQL: `booking.services.book()` against raw INSERTs of the
   same rows: the appointments alone, one INSERT each in its own transaction; and every row
   book() writes (appointment, history event, outbox messages, audit entry), one INSERT per
   row and one transaction per booking.

It reports figures against the targets and never fails on them. A missed target (or
--profile) prints where the time goes: queries per call, time in the database driver and
the top of a cProfile. Rows the benchmark books are deleted at the end, except their audit
entries (append-only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import http.client
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def configure_environment() -> None:
    """Before django.setup(): settings module, database, hosts, quiet logs, no DEBUG."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "accueil.settings"
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]
    if "127.0.0.1" not in hosts:
        hosts.append("127.0.0.1")
    os.environ["ALLOWED_HOSTS"] = ",".join(hosts)
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory: not what production runs
    os.environ.setdefault("LOG_LEVEL", "WARNING")


configure_environment()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Min  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accueil.audit.models import AuditEntry, ObjectType  # noqa: E402
from accueil.booking.models import Appointment, Channel  # noqa: E402
from accueil.booking.services import book  # noqa: E402
from accueil.demo.management.commands.seed_scale import SLUG_PREFIX  # noqa: E402
from accueil.directory.models import Motif, Organisation, Practitioner  # noqa: E402
from accueil.directory.services import Audience  # noqa: E402
from accueil.patients.models import Patient  # noqa: E402
from accueil.scheduling import engine  # noqa: E402
from accueil.scheduling.search import first_available  # noqa: E402
from accueil.scheduling.services import available_slots  # noqa: E402
from bench.timing import Samples, measure, profile, query_profile  # noqa: E402
from tests.reception.live import LiveServer  # noqa: E402

WINDOW_DAYS = 28
# Bookings per round of the throughput comparison (c).
ROUND = 10
PROFESSION = "médecin généraliste"
# Columns a booking writes (all but the id), for the raw INSERT comparison.
APPOINTMENT_COLUMNS = [f.attname for f in Appointment._meta.concrete_fields if not f.primary_key]


@dataclass
class Row:
    name: str
    n: int
    p50_ms: float | None
    p95_ms: float | None
    target: str
    met: bool | None
    note: str = ""


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rows: list[Row] = []
        self.rng = random.Random(args.seed)
        self.today = timezone.localdate()
        self.first = self.today
        self.last = self.today + dt.timedelta(days=WINDOW_DAYS - 1)

    # Set-up ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        print(f"Database: {describe_database()}")
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"migrate: {time.perf_counter() - started:.1f} s")
        if not self.args.skip_seed:
            self.ensure_scale_data()
        organisations = Organisation.objects.filter(slug__startswith=SLUG_PREFIX)
        practitioners = list(
            Practitioner.objects.filter(organisation__in=organisations, active=True)
            .select_related("organisation")
            .order_by("id")
        )
        consultation = {
            m.organisation_id: m
            for m in Motif.objects.filter(organisation__in=organisations, name="Consultation")
        }
        self.pairs = [(p, consultation[p.organisation_id]) for p in practitioners]
        if not self.pairs:
            raise SystemExit("No scale data: run without --skip-seed.")
        appointments = Appointment.objects.filter(organisation__in=organisations).count()
        print(
            f"Data set: {len(self.pairs)} practitioners in {organisations.count()} "
            f"organisations, {appointments} appointments"
        )

    def ensure_scale_data(self) -> None:
        organisations = Organisation.objects.filter(slug__startswith=SLUG_PREFIX)
        count = Practitioner.objects.filter(organisation__in=organisations).count()
        loaded = organisations.aggregate(at=Min("created_at"))["at"]
        if count == self.args.practitioners and loaded and timezone.localdate(loaded) == self.today:
            print(f"seed_scale: already loaded today ({count} practitioners), kept")
            return
        started = time.perf_counter()
        call_command("seed_scale", practitioners=self.args.practitioners, reset=True)
        print(f"seed_scale: {time.perf_counter() - started:.1f} s")

    # a. Slot search ---------------------------------------------------------------------------

    def slots_in_process(self) -> None:
        runs = self.args.runs
        picks = [self.rng.choice(self.pairs) for _ in range(runs + 10)]

        def call(i: int):
            practitioner, motif = picks[i % len(picks)]
            return available_slots(practitioner, motif, self.first, self.last)

        counts = [len(call(i)) for i in range(10)]
        samples = measure(lambda i: call(i + 10), runs, warmup=0)
        self.report(
            "a. slots, 1 practitioner x 4 weeks, in process",
            samples,
            10,
            f"~{sum(counts) / len(counts):.0f} free slots per search",
        )
        self.diagnose("slot search in process", samples, 10, call)

    def slots_over_http(self) -> None:
        runs = self.args.runs
        picks = [self.rng.choice(self.pairs) for _ in range(runs + 10)]
        paths = [
            f"/api/v1/slots?practitioner={p.id}&motif={m.id}"
            f"&from={self.first.isoformat()}&to={self.last.isoformat()}"
            for p, m in picks
        ]
        database = connections.settings["default"]
        configured = database.get("CONN_MAX_AGE", 0)
        with LiveServer() as server:
            # A new database connection per request first (CONN_MAX_AGE=0), then one kept
            # across requests, as a production deployment would configure it.
            for label, max_age in (("new DB connection per request", 0), ("persistent DB", 600)):
                database["CONN_MAX_AGE"] = max_age
                client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                sizes = []

                def call(i: int, client=client, sizes=sizes):
                    client.request("GET", paths[i % len(paths)])
                    response = client.getresponse()
                    body = response.read()
                    if response.status != 200:
                        raise SystemExit(f"GET {paths[i]}: {response.status} {body[:300]!r}")
                    sizes.append(len(json.loads(body)))

                samples = measure(call, runs, warmup=10)
                client.close()
                target = 30 if max_age else None
                self.report(
                    f"a. slots over HTTP, keep-alive, {label}",
                    samples,
                    target,
                    f"~{sum(sizes) / len(sizes):.0f} slots per response",
                )
        database["CONN_MAX_AGE"] = configured
        if target is not None:
            # The same requests in this thread, through Django's test client, to profile them.
            test_client = Client(HTTP_HOST="127.0.0.1")

            def request(i: int):
                response = test_client.get(paths[i % len(paths)])
                assert response.status_code == 200, response.content[:300]

            self.diagnose("GET /api/v1/slots through django.test.Client", samples, target, request)

    # b. First available ---------------------------------------------------------------------

    def first_available(self) -> None:
        runs = max(10, self.args.runs // 4)
        weekday = self.today + dt.timedelta(days=1)
        while weekday.weekday() >= 5:
            weekday += dt.timedelta(days=1)
        scenarios = [
            ("10:00", engine.wall_clock(weekday, dt.time(10))),
            ("19:30, after closing", engine.wall_clock(weekday, dt.time(19, 30))),
        ]
        for when, now in scenarios:
            for label, profession in (("all", ""), ("by profession", PROFESSION)):

                def call(i: int, now=now, profession=profession):
                    return first_available(profession=profession, now=now, limit=10)

                started = time.perf_counter()
                found = call(0)
                # Slow searches get fewer runs (at least 10): about 30 s per scenario at most.
                n = max(10, min(runs, int(30 / max(time.perf_counter() - started, 1e-3))))
                samples = measure(call, n, warmup=2)
                latest = max((f.slot.start for f in found), default=None)
                note = (
                    f"{len(found)} found, latest {timezone.localtime(latest):%a %d %H:%M}"
                    if latest
                    else "none found"
                )
                name = f"b. first available x10, {label}, {weekday:%a} {when}"
                self.report(name, samples, 100, note)
                self.diagnose(name, samples, 100, call)

    # c. Booking throughput --------------------------------------------------------------------

    def booking_throughput(self) -> None:
        if connection.vendor != "postgresql":
            print("\nc. booking throughput: skipped (PostgreSQL only; this is SQLite)")
            self.rows.append(
                Row("c. booking throughput", 0, None, None, ">= 25 %", None, "skipped")
            )
            return
        n = min(self.args.bookings, len(self.pairs))
        targets = self.free_targets(n)
        samples = Samples()
        book_seconds = raw_seconds = pair_seconds = 0.0
        written = 0
        # In rounds, book() then the raw INSERTs of the same rows: a change of load on a
        # shared machine weighs on the three measures alike, not on one of them.
        for first in range(0, len(targets), ROUND):
            created: list[int] = []
            try:
                started = time.perf_counter()
                for practitioner, motif, start, patient in targets[first : first + ROUND]:
                    t0 = time.perf_counter()
                    appointment = book(
                        practitioner=practitioner,
                        motif=motif,
                        start=start,
                        patient=patient,
                        channel=Channel.WEB,
                        audience=Audience.PUBLIC,
                    )
                    samples.add(time.perf_counter() - t0)
                    created.append(appointment.id)
                book_seconds += time.perf_counter() - started
                rows, children = written_rows(created)
                delete_appointments(created)
                created = []
                seconds, created = raw_inserts(rows)
                raw_seconds += seconds
                delete_appointments(created)
                created = []
                seconds, created = raw_inserts(rows, children)
                pair_seconds += seconds
            finally:
                delete_appointments(created)
            written += len(rows) + sum(len(r) for by in children.values() for r in by.values())
        written /= len(targets)
        book_rate = len(targets) / book_seconds
        raw_rate = len(targets) / raw_seconds
        pair_rate = len(targets) / pair_seconds
        ratio = book_rate / raw_rate
        pair_ratio = book_rate / pair_rate
        self.rows.append(
            Row(
                "c. book() latency, sequential",
                len(targets),
                samples.p50_ms,
                samples.p95_ms,
                "-",
                None,
            )
        )
        self.rows.append(
            Row(
                # For scale only: the target compares the same rows (the next row).
                "c. book() vs single-row INSERTs of the appointment alone",
                len(targets),
                None,
                None,
                "-",
                None,
                f"book {book_rate:.0f}/s, INSERT {raw_rate:.0f}/s, ratio {ratio:.0%}",
            )
        )
        self.rows.append(
            Row(
                "c. book() vs raw INSERTs of all its rows, one transaction each",
                len(targets),
                None,
                None,
                ">= 25 %",
                pair_ratio >= 0.25,
                f"book {book_rate:.0f}/s, {written:.1f} rows/booking {pair_rate:.0f}/s, "
                f"ratio {pair_ratio:.0%}",
            )
        )
        print(
            f"\nc. booking throughput ({len(targets)} sequential bookings): book() "
            f"{book_rate:.0f}/s (p50 {samples.p50_ms:.2f} ms, p95 {samples.p95_ms:.2f} ms), "
            f"single-row INSERT + commit {raw_rate:.0f}/s, ratio {ratio:.1%}; all the rows "
            f"book() wrote ({written:.1f} per booking: appointment, history, outbox, audit) in "
            f"one "
            f"transaction per booking {pair_rate:.0f}/s, ratio {pair_ratio:.1%} (target >= 25 %)"
        )
        if ratio < 0.25 or self.args.profile:
            self.profile_booking(min(100, len(self.pairs) - len(targets)))

    def free_targets(self, n: int, exclude: set[int] | None = None) -> list[tuple]:
        """n (practitioner, motif, start, patient) on distinct practitioners' free slots."""
        pool = [pair for pair in self.pairs if not exclude or pair[0].id not in exclude]
        chosen = self.rng.sample(pool, min(n, len(pool)))
        org_ids = {p.organisation_id for p, _ in chosen}
        patients: dict[int, list[Patient]] = {}
        # Whole rows, as every channel passes them (deferred fields would cost a query each).
        for patient in Patient.objects.filter(organisation_id__in=org_ids):
            patients.setdefault(patient.organisation_id, []).append(patient)
        targets = []
        for practitioner, motif in chosen:
            slots = available_slots(practitioner, motif, self.first, self.last)
            if slots:
                start = self.rng.choice(slots).start
                patient = self.rng.choice(patients[practitioner.organisation_id])
                targets.append((practitioner, motif, start, patient))
        self.used = {t[0].id for t in targets} | (exclude or set())
        return targets

    def profile_booking(self, n: int) -> None:
        if n <= 0:
            return
        targets = self.free_targets(n, exclude=self.used)
        created: list[int] = []

        def call(i: int):
            practitioner, motif, start, patient = targets[i]
            created.append(
                book(
                    practitioner=practitioner,
                    motif=motif,
                    start=start,
                    patient=patient,
                    channel=Channel.WEB,
                    audience=Audience.PUBLIC,
                ).id
            )

        half = len(targets) // 2
        try:
            stats = query_profile(call, half)
            print(f"  where the time goes in book(): {stats.per_call()}")
            print(profile(lambda i: call(half + i), len(targets) - half))
        finally:
            delete_appointments(created)

    # Reporting --------------------------------------------------------------------------------

    def report(self, name: str, samples: Samples, target_ms: float | None, note: str = "") -> None:
        met = None if target_ms is None else samples.p95_ms < target_ms
        target = f"p95 < {target_ms:g} ms" if target_ms is not None else "-"
        self.rows.append(
            Row(name, len(samples.values), samples.p50_ms, samples.p95_ms, target, met, note)
        )
        print(
            f"\n{name}: p50 {samples.p50_ms:.2f} ms, p95 {samples.p95_ms:.2f} ms, "
            f"max {samples.max_ms:.2f} ms ({len(samples.values)} runs) {note}"
        )

    def diagnose(self, name: str, samples: Samples, target_ms: float, call) -> None:
        if samples.p95_ms < target_ms and not self.args.profile:
            return
        # About 3 s of calls per pass, between 3 and 50 of them.
        runs = max(3, min(50, int(3 / max(samples.percentile(50), 1e-6))))
        stats = query_profile(call, runs)
        print(f"  where the time goes ({name}): {stats.per_call()}")
        print(profile(call, runs))

    def table(self) -> None:
        width = max(len(r.name) for r in self.rows)
        print()
        print(f"Summary: {describe_database()}, {len(self.pairs)} practitioners")
        header = f"{'measure'.ljust(width)}  {'n':>4}  {'p50 ms':>8}  {'p95 ms':>8}  "
        print(header + f"{'target':<14}  {'met':<4}  note")
        for r in self.rows:
            p50 = f"{r.p50_ms:8.2f}" if r.p50_ms is not None else f"{'-':>8}"
            p95 = f"{r.p95_ms:8.2f}" if r.p95_ms is not None else f"{'-':>8}"
            met = {True: "yes", False: "NO", None: "-"}[r.met]
            print(
                f"{r.name.ljust(width)}  {r.n:>4}  {p50}  {p95}  {r.target:<14}  {met:<4}  {r.note}"
            )


def describe_database() -> str:
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        version = connection.pg_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} ({connection.settings_dict['NAME']})"
    return connection.vendor


def delete_appointments(ids: list[int]) -> None:
    """The benchmark's appointments and their rows; their audit entries stay, the log being
    append-only (the application cannot delete them, by design)."""
    if ids:
        for model in child_models():
            model.objects.filter(appointment_id__in=ids).delete()
        Appointment.objects.filter(id__in=ids).delete()


def child_models() -> list:
    """Models whose rows book() writes with each appointment (its history, its outbox...)."""
    return [
        rel.related_model
        for rel in Appointment._meta.related_objects
        if rel.one_to_many and rel.field.name == "appointment"
    ]


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


def written_rows(created: list[int]) -> tuple[list[tuple], dict]:
    """The appointments' columns in `created` order, and for each child model (history,
    outbox) and for the audit entries the columns of their rows by appointment position,
    to insert the same rows again."""
    by_id = {
        row[0]: row[1:]
        for row in Appointment.objects.filter(id__in=created).values_list(
            "id", *APPOINTMENT_COLUMNS
        )
    }
    children = {}
    for model in child_models():
        rows: dict[int, list[tuple]] = {}
        for row in model.objects.filter(appointment_id__in=created).values_list(*_columns(model)):
            values = dict(zip(_columns(model), row, strict=True))
            rows.setdefault(values["appointment_id"], []).append(row)
        children[model] = rows
    # The audit entry names the appointment by its public id, which the raw INSERTs keep.
    public_ids = {str(public_id): i for i, public_id in by_public_id(created).items()}
    entries: dict[int, list[tuple]] = {}
    for row in AuditEntry.objects.filter(
        object_type=ObjectType.APPOINTMENT, object_id__in=list(public_ids)
    ).values_list(*_columns(AuditEntry)):
        values = dict(zip(_columns(AuditEntry), row, strict=True))
        entries.setdefault(public_ids[values["object_id"]], []).append(row)
    children[AuditEntry] = entries
    ordered = [by_id[i] for i in created]
    # Children keyed by the position of their appointment, as new ids will differ.
    position = {appointment_id: i for i, appointment_id in enumerate(created)}
    return ordered, {
        model: {position[a]: r for a, r in rows.items()} for model, rows in children.items()
    }


def by_public_id(ids: list[int]) -> dict:
    return dict(Appointment.objects.filter(id__in=ids).values_list("id", "public_id"))


def _insert_sql(model) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(c).column) for c in _columns(model))
    placeholders = ", ".join(["%s"] * len(_columns(model)))
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"


def raw_inserts(rows: list[tuple], children: dict | None = None) -> tuple[float, list[int]]:
    """The same rows, one INSERT per row, each its own transaction (autocommit).

    With `children`, each appointment and every row book() wrote with it are inserted in
    one transaction, as book() writes them.
    """
    sql = _insert_sql(Appointment) + " RETURNING id"
    child_sql = {model: _insert_sql(model) for model in children or {}}
    ids = []
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for i, row in enumerate(rows):
            if children is None:
                cursor.execute(sql, row)
                ids.append(cursor.fetchone()[0])
                continue
            with transaction.atomic():
                cursor.execute(sql, row)
                ids.append(cursor.fetchone()[0])
                for model, by_position in children.items():
                    columns = _columns(model)
                    link = columns.index("appointment_id") if "appointment_id" in columns else None
                    for child in by_position.get(i, []):
                        values = list(child)
                        if link is not None:
                            values[link] = ids[-1]
                        cursor.execute(child_sql[model], values)
        seconds = time.perf_counter() - started
    return seconds, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--practitioners", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200, help="runs of each slot search")
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="profile even targets met")
    parser.add_argument("--skip-seed", action="store_true", help="use the data as it is")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--only", default="a,b,c", help="comma-separated sections to run (default a,b,c)"
    )
    args = parser.parse_args()
    sections = set(args.only.split(","))
    bench = Bench(args)
    bench.prepare()
    # As accueil/wsgi.py does in production: start-up objects out of the collector's reach.
    gc.collect()
    gc.freeze()
    if "a" in sections:
        bench.slots_in_process()
        if not args.skip_http:
            bench.slots_over_http()
    if "b" in sections:
        bench.first_available()
    if "c" in sections:
        bench.booking_throughput()
    bench.table()


if __name__ == "__main__":
    main()
