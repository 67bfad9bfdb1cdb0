"""Benchmark of the reminders: queue 10,000, send them with 2 workers through a fake provider.

    .venv/bin/python bench/reminders.py [--messages 10000] [--workers 2] [--batch 100] [--keep]

`make bench` runs it on a throw-away PostgreSQL. Without DATABASE_URL it uses its own SQLite
file, var/bench-reminders.sqlite3.

Steps: migrate; a benchmark organisation with 50 practitioners and 10,000 booked
appointments (bulk-inserted, 20 minutes each, from 30 days ahead); the reminders queued
through the product's code (`notify.services.build_message`: French text, GSM-7 spelling,
SMS rules) and written in bulk; then the workers, separate processes with their own
database connections, claim and send them (`notify.sending.send_due`, the code
`notify_worker` runs) through the generic HTTP transport to a local fake SMS provider
(tests/notify/fake_sms.py, 127.0.0.1, keep-alive) that counts deliveries per idempotency
key. Quiet hours are switched off (the benchmark runs at any hour).

Prints the messages per second of queueing and of sending, and checks that every reminder
was delivered exactly once. Target: all 10,000 sent in under 60 s. The benchmark's rows are
deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SLUG = "bench-rappels"
TARGET_SECONDS = 60


def configure_environment() -> None:
    """Before django.setup(): settings module, database, transport, quiet logs, no DEBUG."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "accueil.settings"
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench-reminders.sqlite3'}"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["NOTIFY_SMS_TRANSPORT"] = "http"
    os.environ["NOTIFY_SEND_ON_COMMIT"] = "0"
    os.environ["SMS_QUIET_HOURS"] = ""
    # Runs send reminders to the same seeded numbers again and again: a cap that never
    # drops, so that its query is still measured.
    os.environ["SMS_DAILY_CAP_PER_NUMBER"] = "1000000"


configure_environment()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accueil.booking.models import Appointment, Channel  # noqa: E402
from accueil.directory.models import Motif, Organisation, Practitioner, Site  # noqa: E402
from accueil.notify import sending, services  # noqa: E402
from accueil.notify.models import Channel as Via  # noqa: E402
from accueil.notify.models import Kind, Message  # noqa: E402
from accueil.patients.models import Patient  # noqa: E402
from accueil.reception import sheets  # noqa: E402
from tests.notify.fake_sms import FakeSmsProvider  # noqa: E402

PRACTITIONERS = 50
SLOT = dt.timedelta(minutes=20)


def describe_database() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {settings['NAME']}"
    return f"PostgreSQL {settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def clean() -> None:
    organisation = Organisation.objects.filter(slug=SLUG).first()
    if organisation is None:
        return
    with transaction.atomic():
        Message.objects.filter(organisation=organisation).delete()
        Appointment.objects.filter(organisation=organisation).delete()
        organisation.delete()


def seed(count: int) -> list[Appointment]:
    """One organisation, PRACTITIONERS practitioners, `count` booked appointments."""
    organisation = Organisation.objects.create(
        name="Maison de santé du banc d'essai", slug=SLUG, kind=Organisation.Kind.MSP
    )
    site = Site.objects.create(
        organisation=organisation,
        name="Maison de santé",
        address="1 place de la Mairie",
        postcode="62000",
        city="Arras",
    )
    practitioners = Practitioner.objects.bulk_create(
        Practitioner(
            organisation=organisation,
            first_name="Claire",
            last_name=f"Morel{i}",
            title="Dr",
            profession="médecin généraliste",
        )
        for i in range(PRACTITIONERS)
    )
    motif = Motif.objects.create(organisation=organisation, name="Consultation", duration=SLOT)
    patients = Patient.objects.bulk_create(
        (
            Patient(
                organisation=organisation,
                first_name="Hélène",
                last_name=f"François{i}",
                birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i),
                phone=f"+3361{i:07d}",
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    first = timezone.now().replace(microsecond=0) + dt.timedelta(days=30)
    appointments = []
    for i, patient in enumerate(patients):
        practitioner = practitioners[i % PRACTITIONERS]
        start = first + SLOT * (i // PRACTITIONERS)
        public_id = uuid.uuid4()
        appointments.append(
            Appointment(
                public_id=public_id,
                organisation=organisation,
                practitioner=practitioner,
                motif=motif,
                site=site,
                patient=patient,
                start=start,
                end=start + SLOT,
                channel=Channel.WEB,
                session_key=f"appointment:{public_id.hex}",
            )
        )
    Appointment.objects.bulk_create(appointments, batch_size=2000)
    for appointment in appointments:  # as loaded by the workers' select_related
        appointment.site = site
    return appointments


def queue_reminders(appointments: list[Appointment], run: str) -> int:
    """The reminders, rendered by the product's code, due now, written in bulk."""
    now = timezone.now()
    organisation = appointments[0].site.organisation
    own_texts: dict = {}
    patient_texts = sheets.patient_texts(organisation)
    rows = []
    for appointment in appointments:
        values = services.appointment_values(
            appointment, appointment.site, organisation, appointment.patient, patient_texts
        )
        draft = services.Draft(
            kind=Kind.REMINDER,
            channel=Via.SMS,
            recipient=appointment.patient.phone,
            key=f"bench-{run}-{appointment.public_id.hex}",
            when=now,
            values=values,
            patient=appointment.patient,
            appointment=appointment,
            deadline=appointment.start,
        )
        rows.append(services.build_message(organisation.id, draft, now, own_texts))
    Message.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def worker(batch: int) -> int:
    """One worker process: what `notify_worker` does, until nothing is due."""
    connections.close_all()  # nothing inherited: a connection of its own
    sent = 0
    while claimed := sending.send_due(limit=batch):
        sent += claimed
    connections.close_all()
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's rows")
    args = parser.parse_args()

    print(f"Database: {describe_database()}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    clean()

    started = time.perf_counter()
    with transaction.atomic():
        appointments = seed(args.messages)
    print(f"seed: {len(appointments)} appointments in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with transaction.atomic():
        queued = queue_reminders(appointments, uuid.uuid4().hex[:8])
    seconds = time.perf_counter() - started
    print(f"queue: {queued} reminders in {seconds:.2f} s ({queued / seconds:.0f} messages/s)")

    with FakeSmsProvider() as provider:
        # The workers are new processes (spawn): they read the provider's URL from here.
        os.environ["SMS_HTTP_URL"] = provider.url + "/sms"
        connections.close_all()
        context = multiprocessing.get_context("spawn")
        with context.Pool(args.workers) as pool:
            pool.map(len, [[]] * args.workers)  # processes started and Django loaded
            started = time.perf_counter()
            counts = pool.map(worker, [args.batch] * args.workers)
            seconds = time.perf_counter() - started
        deliveries = provider.deliveries

    sent = Message.objects.filter(organisation__slug=SLUG, status=Message.Status.SENT).count()
    rate = sent / seconds if seconds else float("inf")
    print(
        f"send: {sent} reminders in {seconds:.2f} s with {args.workers} workers "
        f"({rate:.0f} messages/s; per worker {', '.join(map(str, counts))})"
    )
    twice = sum(1 for n in deliveries.values() if n > 1)
    exactly_once = sent == queued and len(deliveries) == queued and twice == 0
    print(
        f"  delivered to the fake provider: {sum(deliveries.values())} "
        f"({len(deliveries)} distinct keys, {twice} delivered twice): "
        f"{'exactly once' if exactly_once else 'NOT EXACTLY ONCE'}"
    )
    met = exactly_once and seconds < TARGET_SECONDS
    print(
        f"  target: all {args.messages} sent in < {TARGET_SECONDS} s -> "
        f"{'met' if met else 'MISSED'} ({seconds:.1f} s)"
    )
    if not args.keep:
        clean()
    if not exactly_once:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
