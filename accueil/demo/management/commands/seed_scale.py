"""Load a large synthetic data set for benchmarks: many small practices, agendas 60 % full.

    python manage.py seed_scale --practitioners 1000 [--reset]

Organisations of five practitioners (slug prefix `scale-`), one site each, two or three
public motifs on one grid, weekday mornings and afternoons. Free slots of the next four
weeks are computed with the slot engine in memory, a share of them is booked, and rows are
inserted in bulk (COPY on PostgreSQL): one "booked" event per appointment, session keys and
ends exactly as `booking.services.book` writes them, no overlap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import secrets
import time
import uuid
from collections.abc import Iterator

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from accueil.booking import services as booking
from accueil.booking.models import Appointment, AppointmentEvent, Channel, Status
from accueil.demo import names
from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.patients.models import Patient
from accueil.scheduling import engine
from accueil.scheduling.models import OpeningPeriod
from accueil.scheduling.services import closed_days

SLUG_PREFIX = "scale-"
PER_ORGANISATION = 5
PATIENTS_PER_ORGANISATION = 200
WEEKS = 4
FILL = 0.6
NOTICE = dt.timedelta(minutes=30)
# Organisations per database round (bounded memory, a few thousand rows per insert).
CHUNK = 25

# (département, [(postcode, city)]): a few départements, real towns, invented addresses.
TOWNS = [
    ("59", [("59000", "Lille"), ("59100", "Roubaix"), ("59200", "Tourcoing"),
            ("59500", "Douai"), ("59300", "Valenciennes"), ("59400", "Cambrai")]),
    ("62", [("62000", "Arras"), ("62300", "Lens"), ("62400", "Béthune"), ("62100", "Calais"),
            ("62200", "Boulogne-sur-Mer")]),
    ("80", [("80000", "Amiens"), ("80100", "Abbeville"), ("80200", "Péronne")]),
    ("02", [("02100", "Saint-Quentin"), ("02000", "Laon"), ("02200", "Soissons")]),
    ("60", [("60000", "Beauvais"), ("60200", "Compiègne"), ("60100", "Creil")]),
    ("75", [("75011", "Paris"), ("75018", "Paris"), ("75020", "Paris")]),
]  # fmt: skip
PHONE_ZONE = {"59": "03", "62": "03", "80": "03", "02": "03", "60": "03", "75": "01"}
# Professions of the five practitioners of an organisation, rotated.
PROFESSIONS = [
    ("médecin généraliste", "Dr"),
    ("médecin généraliste", "Dr"),
    ("médecin généraliste", "Dr"),
    ("masseur-kinésithérapeute", None),
    ("infirmier", None),
    ("sage-femme", None),
    ("médecin généraliste", "Dr"),
    ("chirurgien-dentiste", "Dr"),
]
CHANNELS = (Channel.WEB, Channel.WEB, Channel.DESK, Channel.PHONE_AGENT, Channel.OPERATOR)


def scale_organisations():
    return Organisation.objects.filter(slug__startswith=SLUG_PREFIX)


class Command(BaseCommand):
    help = "Données de volume pour les mesures de performance (préfixe de slug « scale- »)."

    def add_arguments(self, parser):
        parser.add_argument("--practitioners", type=int, default=1000)
        parser.add_argument("--reset", action="store_true", help="Supprime d'abord les données.")
        parser.add_argument("--fill", type=float, default=FILL, help="Part des créneaux pris.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, practitioners: int, reset: bool, fill: float, seed: int, **options):
        if practitioners < 1:
            raise CommandError("--practitioners doit être positif.")
        started = time.monotonic()
        if reset:
            with transaction.atomic():
                removed = delete_scale_data()
            if removed:
                self.stdout.write(f"Données de volume supprimées ({removed} établissements).")
        existing = Practitioner.objects.filter(organisation__slug__startswith=SLUG_PREFIX).count()
        if existing == practitioners:
            self.stdout.write(f"Déjà en place : {existing} praticiens « scale- ». Rien à faire.")
            return
        if existing:
            raise CommandError(
                f"{existing} praticiens « scale- » existent déjà : relancez avec --reset."
            )
        seeder = ScaleSeeder(rng=random.Random(seed), now=timezone.now(), fill=fill)
        with transaction.atomic():
            seeder.run(practitioners)
        analyse()
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Données de volume prêtes en {seconds:.1f} s : {seeder.counts['organisations']} "
                f"établissements, {seeder.counts['practitioners']} praticiens, "
                f"{seeder.counts['patients']} patients, {seeder.counts['appointments']} RDV "
                f"à venir ({seeder.counts['appointments'] / max(1, seeder.counts['slots']):.0%} "
                f"des {seeder.counts['slots']} créneaux des {WEEKS} semaines)."
            )
        )


def delete_scale_data() -> int:
    """Remove every `scale-` organisation; the big tables by set-based SQL, the rest by ORM.

    The SQL shortcut only covers the relations known here (events of appointments,
    appointments and relatives of patients); if another model refers to appointments or
    patients, the ORM's cascade rules are used instead, slower but exact.
    """
    organisations = scale_organisations()
    org_ids = list(organisations.values_list("id", flat=True))
    if not org_ids:
        return 0
    known = {
        Appointment: {AppointmentEvent},
        Patient: {Appointment, Patient},
    }
    shortcut = all(
        rel.related_model in allowed
        for model, allowed in known.items()
        for rel in model._meta.related_objects
    )
    if shortcut:
        appointment = Appointment._meta.db_table
        event = AppointmentEvent._meta.db_table
        patient = Patient._meta.db_table
        placeholders = ", ".join(["%s"] * len(org_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {event} WHERE appointment_id IN "
                f"(SELECT id FROM {appointment} WHERE organisation_id IN ({placeholders}))",
                org_ids,
            )
            cursor.execute(
                f"DELETE FROM {appointment} WHERE organisation_id IN ({placeholders})", org_ids
            )
            cursor.execute(
                f"DELETE FROM {patient} WHERE organisation_id IN ({placeholders})", org_ids
            )
    else:
        Appointment.objects.filter(organisation_id__in=org_ids).delete()
        Patient.objects.filter(organisation_id__in=org_ids).delete()
    organisations.delete()
    return len(org_ids)


def analyse() -> None:
    """Fresh planner statistics: the benchmark runs right after the bulk load."""
    tables = [
        m._meta.db_table
        for m in (Appointment, AppointmentEvent, Patient, Practitioner, Motif, OpeningPeriod, Site)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


class ScaleSeeder:
    def __init__(self, *, rng: random.Random, now: dt.datetime, fill: float):
        self.rng = rng
        self.now = now
        self.fill = fill
        self.today = timezone.localdate(now)
        self.first = self.today
        self.last = self.today + dt.timedelta(days=7 * WEEKS - 1)
        self.valid_from = self.today - dt.timedelta(days=self.today.weekday() + 28)
        self.counts = dict.fromkeys(
            ("organisations", "practitioners", "patients", "appointments", "slots"), 0
        )

    def run(self, practitioners: int) -> None:
        total_orgs = math.ceil(practitioners / PER_ORGANISATION)
        sizes = [PER_ORGANISATION] * total_orgs
        sizes[-1] = practitioners - PER_ORGANISATION * (total_orgs - 1)
        for start in range(0, total_orgs, CHUNK):
            self._chunk(range(start, min(total_orgs, start + CHUNK)), sizes)
        self._events()

    def _chunk(self, indexes: range, sizes: list[int]) -> None:
        rng = self.rng
        orgs = []
        places = []
        for i in indexes:
            department, towns = TOWNS[i % len(TOWNS)]
            postcode, city = rng.choice(towns)
            places.append((department, postcode, city))
            orgs.append(
                Organisation(
                    name=f"Centre de santé {city} n° {i + 1}",
                    slug=f"{SLUG_PREFIX}{i + 1:05d}",
                    kind=Organisation.Kind.HEALTH_CENTRE,
                    phone=names.fiction_phone(rng, PHONE_ZONE[department]),
                )
            )
        Organisation.objects.bulk_create(orgs)
        sites = [
            Site(
                organisation=org,
                name=f"Centre de santé de {city}",
                slug=slugify(city),  # bulk_create skips Site.save(), which fills it
                address=names.address(rng),
                postcode=postcode,
                city=city,
                phone=org.phone,
            )
            for org, (_, postcode, city) in zip(orgs, places, strict=True)
        ]
        Site.objects.bulk_create(sites)

        practitioners: list[Practitioner] = []
        for org, index in zip(orgs, indexes, strict=True):
            for n in range(sizes[index]):
                profession, title = PROFESSIONS[(index + n) % len(PROFESSIONS)]
                female = rng.random() < 0.6
                practitioners.append(
                    Practitioner(
                        organisation=org,
                        first_name=rng.choice(
                            names.FEMALE_FIRST_NAMES if female else names.MALE_FIRST_NAMES
                        ),
                        last_name=rng.choice(names.LAST_NAMES),
                        title=title or ("Mme" if female else "M."),
                        profession=profession,
                    )
                )
        Practitioner.objects.bulk_create(practitioners)
        site_of = {org.id: site for org, site in zip(orgs, sites, strict=True)}
        Practitioner.sites.through.objects.bulk_create(
            Practitioner.sites.through(practitioner_id=p.id, site_id=site_of[p.organisation_id].id)
            for p in practitioners
        )

        motifs_of: dict[int, list[Motif]] = {}
        for org in orgs:
            grid = rng.choice((15, 20))
            step = dt.timedelta(minutes=grid)
            motifs = [
                Motif(organisation=org, name="Consultation", duration=step),
                Motif(
                    organisation=org,
                    name="Consultation de suivi",
                    duration=dt.timedelta(minutes=15),
                    step=step,
                ),
            ]
            if rng.random() < 0.5:
                motifs.append(
                    Motif(
                        organisation=org,
                        name="Téléconsultation",
                        duration=dt.timedelta(minutes=15),
                        step=step,
                        location_type=Motif.LocationType.VIDEO,
                    )
                )
            motifs_of[org.id] = motifs
        Motif.objects.bulk_create(m for motifs in motifs_of.values() for m in motifs)
        Motif.practitioners.through.objects.bulk_create(
            Motif.practitioners.through(motif_id=m.id, practitioner_id=p.id)
            for p in practitioners
            for m in motifs_of[p.organisation_id]
        )

        periods: list[OpeningPeriod] = []
        for p in practitioners:
            site = site_of[p.organisation_id]
            days = [0, 1, 2, 3, 4]
            if rng.random() < 0.3:
                days.remove(rng.choice(days))  # a weekday off
            weekdays = ",".join(map(str, days))
            morning = (rng.choice((dt.time(8), dt.time(8, 30), dt.time(9))), dt.time(12, 30))
            afternoon = (dt.time(14), rng.choice((dt.time(18), dt.time(18, 30), dt.time(19))))
            for start, end in (morning, afternoon):
                periods.append(
                    OpeningPeriod(
                        practitioner=p,
                        site=site,
                        start_time=start,
                        end_time=end,
                        weekdays=weekdays,
                        valid_from=self.valid_from,
                    )
                )
        OpeningPeriod.objects.bulk_create(periods)
        OpeningPeriod.motifs.through.objects.bulk_create(
            OpeningPeriod.motifs.through(openingperiod_id=op.id, motif_id=m.id)
            for op in periods
            for m in motifs_of[op.practitioner.organisation_id]
        )

        patients_of: dict[int, list[Patient]] = {}
        for org, (department, postcode, city) in zip(orgs, places, strict=True):
            patients_of[org.id] = [
                Patient(
                    organisation=org,
                    first_name=rng.choice(names.FEMALE_FIRST_NAMES + names.MALE_FIRST_NAMES),
                    last_name=rng.choice(names.LAST_NAMES),
                    birth_date=names.birth_date(rng, self.today, 0, 90),
                    phone=names.fiction_phone_e164(rng, PHONE_ZONE[department]),
                    postcode=postcode,
                    city=city,
                )
                for _ in range(PATIENTS_PER_ORGANISATION)
            ]
        Patient.objects.bulk_create(p for patients in patients_of.values() for p in patients)

        periods_of: dict[int, list[engine.Period]] = {}
        for op in periods:
            periods_of.setdefault(op.practitioner_id, []).append(
                engine.Period(
                    site_id=op.site_id,
                    motif_ids=frozenset(m.id for m in motifs_of[op.practitioner.organisation_id]),
                    start_time=op.start_time,
                    end_time=op.end_time,
                    weekdays=frozenset(int(d) for d in op.weekdays.split(",")),
                    valid_from=op.valid_from,
                )
            )
        closed = {org.id: closed_days(org, self.first, self.last) for org in orgs}
        rows = itertools.chain.from_iterable(
            self._appointments(p, motifs_of[p.organisation_id], periods_of[p.id], closed,
                               patients_of[p.organisation_id])
            for p in practitioners
        )  # fmt: skip
        self.counts["appointments"] += insert_appointments(rows)
        self.counts["organisations"] += len(orgs)
        self.counts["practitioners"] += len(practitioners)
        self.counts["patients"] += sum(len(p) for p in patients_of.values())

    def _appointments(
        self,
        practitioner: Practitioner,
        motifs: list[Motif],
        periods: list[engine.Period],
        closed: dict[int, frozenset[dt.date]],
        patients: list[Patient],
    ) -> Iterator[tuple]:
        """Rows for a random `fill` share of the practitioner's free slots of the window.

        Every motif of the organisation steps on the consultation's grid and lasts no longer
        than it, so any motif fits any grid slot and the slots never overlap.
        """
        rng = self.rng
        grid_motif = motifs[0]
        rules = engine.MotifRules(id=grid_motif.id, duration=grid_motif.duration, min_notice=NOTICE)
        slots = engine.free_slots(
            motif=rules,
            periods=periods,
            closed_days=closed[practitioner.organisation_id],
            now=self.now,
            first=self.first,
            last=self.last,
        )
        self.counts["slots"] += len(slots)
        weights = [6, 3, 1][: len(motifs)]
        for slot in slots:
            if rng.random() >= self.fill:
                continue
            motif = rng.choices(motifs, weights=weights)[0]
            public_id = uuid.uuid4()
            yield (
                public_id,
                practitioner.organisation_id,
                practitioner.id,
                motif.id,
                slot.site_id,
                rng.choice(patients).id,
                slot.start,
                slot.start + motif.duration,
                Status.BOOKED.value,
                rng.choice(CHANNELS).value,
                booking._session_key(motif, slot.start, public_id),
                secrets.token_urlsafe(24),
                "",
                self.now,
            )

    def _events(self) -> None:
        """One "booked" event per scale appointment, in one statement."""
        appointment = Appointment._meta.db_table
        event = AppointmentEvent._meta.db_table
        organisation = Organisation._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {event} (appointment_id, kind, at, channel, from_status, "
                f"to_status, note) SELECT a.id, %s, a.created_at, a.channel, '', a.status, '' "
                f"FROM {appointment} a JOIN {organisation} o ON o.id = a.organisation_id "
                f"WHERE o.slug LIKE %s",
                [AppointmentEvent.Kind.BOOKED.value, f"{SLUG_PREFIX}%"],
            )


APPOINTMENT_COLUMNS = (
    "public_id",
    "organisation_id",
    "practitioner_id",
    "motif_id",
    "site_id",
    "patient_id",
    "start",
    "end",
    "status",
    "channel",
    "session_key",
    "manage_token",
    "cancel_reason",
    "created_at",
)


def insert_appointments(rows: Iterator[tuple]) -> int:
    """Insert appointment rows (APPOINTMENT_COLUMNS order): COPY on PostgreSQL, else bulk."""
    count = 0
    if connection.vendor == "postgresql":
        columns = ", ".join(f'"{c}"' for c in APPOINTMENT_COLUMNS)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {Appointment._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    # Elsewhere: executemany with values prepared by the model's own fields, without
    # building a model instance per row (bulk_create costs several times more here).
    fields = [Appointment._meta.get_field(c) for c in APPOINTMENT_COLUMNS]
    prepared = [
        i for i, f in enumerate(fields) if f.get_internal_type() in ("UUIDField", "DateTimeField")
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (
        f"INSERT INTO {Appointment._meta.db_table} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for batch in _batched(rows, 5000):
            values = []
            for row in batch:
                row = list(row)
                for i in prepared:
                    row[i] = fields[i].get_db_prep_save(row[i], connection)
                values.append(row)
            cursor.executemany(sql, values)
            count += len(values)
    return count


def _batched(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
