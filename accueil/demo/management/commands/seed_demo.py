"""Load the demonstration data set: four organisations, staff logins, patients, agendas.

Idempotent: organisations are keyed on their slug, everything else on a natural key inside
its organisation; periods, absences, patients and appointments are only generated for an
organisation (or practitioner) that has none yet. `--reset` deletes the demonstration
organisations and logins first and builds them again.

Future appointments go through `booking.services.book`, so they hold exactly what the
product writes. Past ones (seen, no-show, cancelled by the patient) cannot be booked any more:
they are planned with the same slot engine and inserted in bulk with their status history.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accueil.accounts import services as accounts
from accueil.booking import services as booking
from accueil.booking.models import Appointment, AppointmentEvent, Channel, Status
from accueil.demo import instructions as demo_instructions
from accueil.demo import names
from accueil.demo import secretariat as demo_secretariat
from accueil.demo.planning import AgendaPlanner, Pick
from accueil.demo.spec import (
    ORGANISATIONS,
    LeaveSpec,
    OrganisationSpec,
    PeriodSpec,
    WeeklyAbsenceSpec,
)
from accueil.directory.models import Membership, Motif, Organisation, Practitioner, Site
from accueil.directory.services import Audience
from accueil.notify import services as notify
from accueil.patients.models import Patient
from accueil.scheduling import engine
from accueil.scheduling.models import Absence, OpeningPeriod
from accueil.scheduling.services import load_agendas

DEMO_PASSWORD = "demo-accueil-2026"
ADMIN_USERNAME = "admin"
SEED = 2026

PAST_DAYS = 14
FUTURE_DAYS = 28
# Share of each day's free time booked, by week from today: the near future is fuller.
FUTURE_FILL = (0.75, 0.55, 0.42, 0.33)
PAST_FILL = 0.7
# Planned future slots start at least this long after now, so every channel may book them.
NOTICE = dt.timedelta(minutes=30)
# How far before the appointment past bookings were made (days).
BOOKED_DAYS_BEFORE = (1, 20)

# (channel, audience, weight) by the motif's `bookable_by`.
CHANNELS = {
    Motif.BookableBy.PUBLIC: (
        (Channel.WEB, Audience.PUBLIC, 45),
        (Channel.DESK, Audience.STAFF, 30),
        (Channel.PHONE_AGENT, Audience.PUBLIC, 15),
        (Channel.OPERATOR, Audience.STAFF, 10),
    ),
    Motif.BookableBy.REFERRERS: (
        (Channel.WEB, Audience.REFERRER, 70),
        (Channel.DESK, Audience.STAFF, 30),
    ),
    Motif.BookableBy.STAFF: (
        (Channel.DESK, Audience.STAFF, 80),
        (Channel.OPERATOR, Audience.STAFF, 20),
    ),
}
CANCEL_REASONS = (
    "",
    "Empêchement professionnel",
    "Enfant malade",
    "Rendez-vous pris ailleurs",
    "Problème de transport",
    "Je vais mieux",
)
ROLE_LABELS = dict(Membership.Role.choices)
Kind = AppointmentEvent.Kind

User = get_user_model()


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent ; --reset pour tout recréer)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Supprime puis recrée les établissements et comptes de démonstration.",
        )

    def handle(self, *args, reset: bool = False, **options):
        started = time.monotonic()
        now = timezone.now()
        today = timezone.localdate(now)
        if reset:
            with transaction.atomic():
                self._reset()
        seeder = DemoSeeder(now=now, today=today, password_hash=make_password(DEMO_PASSWORD))
        for spec in ORGANISATIONS:
            # Invented bookings: no confirmation or reminder is queued for them.
            with transaction.atomic(), notify.suppressed():
                seeder.seed_organisation(spec)
        with transaction.atomic():
            report, logins = demo_secretariat.seed(now=now, password_hash=seeder.password_hash)
        seeder.report.append(report)
        seeder.logins += [(user, DEMO_PASSWORD, org, role) for user, org, role in logins]
        with transaction.atomic():
            seeder.ensure_admin(reset)
            # Every demo login has an authenticator whose key derives from its username.
            for user in User.objects.filter(username__in={row[0] for row in seeder.logins}):
                accounts.give_demo_authenticator(user)
        self._summary(seeder, time.monotonic() - started)

    def _reset(self) -> None:
        demo_secretariat.reset()  # its calls protect the practices' contracts
        organisations = Organisation.objects.filter(slug__in=[s.slug for s in ORGANISATIONS])
        # Appointments protect practitioners, motifs, sites and patients: they go first.
        Appointment.objects.filter(organisation__in=organisations).delete()
        Patient.objects.filter(organisation__in=organisations).delete()
        count = organisations.count()
        organisations.delete()
        User.objects.filter(username__in=demo_usernames()).delete()
        self.stdout.write(
            f"Réinitialisation : {count} établissement(s) de démonstration supprimé(s)."
        )

    def _summary(self, seeder: DemoSeeder, seconds: float) -> None:
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS(f"Données de démonstration prêtes ({seconds:.1f} s)."))
        out("")
        out("Établissements")
        for line in seeder.report:
            out(f"  {line}")
        out("")
        out(f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD})")
        rows = [("identifiant", "mot de passe", "établissement", "rôle"), *seeder.logins]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            out("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        out("")
        out("Double authentification : après le mot de passe, un code à 6 chiffres est demandé.")
        out("  code du moment : DEBUG=1 python manage.py otp_code <identifiant>")
        root = settings.SITE_ROOT.rstrip("/")
        out("")
        out(f"Accueil : {root}/")
        out(f"Secrétariat (agenda, salle d'attente) : {root}/desk/")
        out(f"Télésecrétariat (console, tableau de bord, facturation) : {root}/console/")
        out(f"API (documentation) : {root}/api/docs")
        out(f"Administration : {root}/admin/")
        token = settings.ACCUEIL_TELEPHONY_TOKEN or "(vide : définissez ACCUEIL_TELEPHONY_TOKEN)"
        out(f"Standardiste virtuelle (API des appels, jeton Bearer) : {token}")
        out(f'  essai au terminal : python manage.py call --to "{ORGANISATIONS[0].phone}"')


def demo_usernames() -> list[str]:
    usernames = []
    for spec in ORGANISATIONS:
        usernames.extend(p.login[0] for p in spec.practitioners if p.login)
        usernames.extend(login.username for login in spec.logins)
    return usernames


class DemoSeeder:
    def __init__(self, *, now: dt.datetime, today: dt.date, password_hash: str):
        self.now = now
        self.today = today
        self.monday = today - dt.timedelta(days=today.weekday())
        self.password_hash = password_hash
        self.report: list[str] = []
        self.logins: list[tuple[str, str, str, str]] = []

    # Organisation structure ----------------------------------------------------------------

    def seed_organisation(self, spec: OrganisationSpec) -> None:
        rng = random.Random(f"{SEED}:{spec.slug}")
        org, _ = Organisation.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "phone": spec.phone,
            },
        )
        sites = self._sites(org, spec, rng)
        motifs = self._motifs(org, spec)
        practitioners = {}
        for pspec in spec.practitioners:
            practitioner, _ = Practitioner.objects.update_or_create(
                organisation=org,
                first_name=pspec.first_name,
                last_name=pspec.last_name,
                defaults={
                    "title": pspec.title,
                    "profession": pspec.profession,
                    "active": True,
                    "pro_mobile": pspec.pro_mobile,
                },
            )
            practitioner.organisation = org
            practitioner.sites.set([sites[k] for k in pspec.sites])
            for key in pspec.motifs:
                motifs[key].practitioners.add(practitioner)
            if not practitioner.opening_periods.exists():
                for period in pspec.periods:
                    self._period(practitioner, period, sites, motifs)
            if not practitioner.absences.exists():
                for absence in pspec.absences:
                    self._absence(practitioner, absence)
            practitioners[pspec.key] = practitioner
        users = self._memberships(org, spec, practitioners)
        if not org.patients.exists():
            self._patients(org, spec, rng)
        pools = patient_pools(org, self.today)
        if Appointment.objects.filter(organisation=org).exists():
            stats = Counter()
        else:
            actor = users.get(Membership.Role.SECRETARY) or users.get(Membership.Role.OWNER)
            stats = self._appointments(spec, practitioners, motifs, pools, actor, rng)
        demo_instructions.install(org, self.now, spec)
        self.report.append(self._describe(org, spec, stats))

    def _sites(self, org: Organisation, spec: OrganisationSpec, rng) -> dict[str, Site]:
        sites = {}
        for index, s in enumerate(spec.sites):
            phone = spec.phone if index == 0 else names.fiction_phone(rng)
            sites[s.key], _ = Site.objects.update_or_create(
                organisation=org,
                name=s.name,
                defaults={
                    "address": s.address,
                    "postcode": s.postcode,
                    "city": s.city,
                    "phone": phone,
                    "latitude": Decimal(s.latitude),
                    "longitude": Decimal(s.longitude),
                },
            )
        return sites

    def _motifs(self, org: Organisation, spec: OrganisationSpec) -> dict[str, Motif]:
        motifs = {}
        for m in spec.motifs:
            motifs[m.key], _ = Motif.objects.update_or_create(
                organisation=org,
                name=m.name,
                defaults={
                    "duration": dt.timedelta(minutes=m.minutes),
                    "location_type": m.location,
                    "bookable_by": m.bookable_by,
                    "capacity": m.capacity,
                    "travel_time": dt.timedelta(minutes=m.travel_minutes),
                    "buffer_after": dt.timedelta(minutes=m.buffer_after_minutes),
                    "min_notice": dt.timedelta(minutes=m.min_notice_minutes),
                    "horizon": dt.timedelta(days=m.horizon_days),
                    "active": True,
                },
            )
        return motifs

    def _period(self, practitioner, spec: PeriodSpec, sites, motifs) -> None:
        single_date = None
        if spec.saturday_after_days is not None:
            day = self.today + dt.timedelta(days=spec.saturday_after_days)
            single_date = day + dt.timedelta(days=(5 - day.weekday()) % 7)
        period = OpeningPeriod.objects.create(
            practitioner=practitioner,
            site=sites[spec.site],
            start_time=dt.time.fromisoformat(spec.start),
            end_time=dt.time.fromisoformat(spec.end),
            single_date=single_date,
            weekdays=spec.weekdays,
            every_n_weeks=spec.every_n_weeks,
            # Four weeks back: the past appointments fall inside, and "every 2 weeks"
            # counts from a fixed Monday.
            valid_from=self.monday - dt.timedelta(weeks=4),
        )
        period.motifs.set([motifs[k] for k in spec.motifs])

    def _absence(self, practitioner, spec: WeeklyAbsenceSpec | LeaveSpec) -> None:
        if isinstance(spec, WeeklyAbsenceSpec):
            day = self.monday - dt.timedelta(weeks=4) + dt.timedelta(days=spec.weekday)
            Absence.objects.create(
                practitioner=practitioner,
                start=engine.wall_clock(day, dt.time.fromisoformat(spec.start)),
                end=engine.wall_clock(day, dt.time.fromisoformat(spec.end)),
                weekly=True,
                repeat_until=self.today + dt.timedelta(weeks=26),
                reason=spec.reason,
            )
            return
        first = self.monday + dt.timedelta(weeks=spec.week, days=spec.first_day)
        Absence.objects.create(
            practitioner=practitioner,
            start=engine.wall_clock(first, dt.time(0)),
            end=engine.wall_clock(first + dt.timedelta(days=spec.days), dt.time(0)),
            reason=spec.reason,
        )

    def _memberships(self, org, spec: OrganisationSpec, practitioners) -> dict[str, object]:
        wanted = [
            (p.login[0], p.first_name, p.last_name, p.login[1], practitioners[p.key])
            for p in spec.practitioners
            if p.login
        ]
        wanted += [(s.username, s.first_name, s.last_name, s.role, None) for s in spec.logins]
        users = {}
        for username, first_name, last_name, role, practitioner in wanted:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.com",
                    "password": self.password_hash,
                },
            )
            Membership.objects.update_or_create(
                user=user,
                organisation=org,
                defaults={"role": role, "practitioner": practitioner},
            )
            users.setdefault(role, user)
            self.logins.append((username, DEMO_PASSWORD, org.name, ROLE_LABELS[role]))
        return users

    def ensure_admin(self, reset: bool) -> None:
        user, created = User.objects.get_or_create(
            username=ADMIN_USERNAME,
            defaults={"email": "admin@example.com", "is_staff": True, "is_superuser": True},
        )
        password = DEMO_PASSWORD
        if created or reset:
            user.password = self.password_hash
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["password", "is_staff", "is_superuser"])
        elif not user.check_password(DEMO_PASSWORD):
            password = "(mot de passe existant conservé)"
        self.logins.insert(
            0, (ADMIN_USERNAME, password, "tous (administration)", "superutilisateur")
        )

    # Patients ------------------------------------------------------------------------------

    def _patients(self, org: Organisation, spec: OrganisationSpec, rng: random.Random) -> None:
        site = spec.sites[0]
        adults, children = [], []
        for n in range(spec.patients.households):
            female = rng.random() < 0.55
            first_name = rng.choice(names.FEMALE_FIRST_NAMES if female else names.MALE_FIRST_NAMES)
            last_name = rng.choice(names.LAST_NAMES)
            adult = Patient(
                organisation=org,
                first_name=first_name,
                last_name=last_name,
                birth_date=names.birth_date(rng, self.today, *spec.patients.adult_ages),
                phone=names.fiction_phone_e164(rng),
                email=(
                    f"{names.slugify_name(f'{first_name} {last_name}')}{n}@example.com"
                    if rng.random() < 0.6
                    else ""
                ),
                address=names.address(rng),
                postcode=site.postcode,
                city=site.city,
            )
            adults.append(adult)
            if rng.random() < spec.patients.with_children:
                for _ in range(rng.choice((1, 1, 2, 2, 3))):
                    children.append(
                        (
                            adult,
                            rng.choice(names.FEMALE_FIRST_NAMES + names.MALE_FIRST_NAMES),
                            names.birth_date(rng, self.today, *spec.patients.child_ages),
                        )
                    )
        Patient.objects.bulk_create(adults)
        Patient.objects.bulk_create(
            Patient(
                organisation=org,
                first_name=first_name,
                last_name=parent.last_name,
                birth_date=birth,
                phone=parent.phone,
                address=parent.address,
                postcode=parent.postcode,
                city=parent.city,
                managed_by=parent,
            )
            for parent, first_name, birth in children
        )

    # Appointments --------------------------------------------------------------------------

    def _appointments(self, spec, practitioners, motifs, pools, actor, rng) -> Counter:
        stats: Counter = Counter()
        past_first = self.today - dt.timedelta(days=PAST_DAYS)
        last = self.today + dt.timedelta(days=FUTURE_DAYS - 1)
        motif_specs = {m.key: m for m in spec.motifs}
        for pspec in spec.practitioners:
            practitioner = practitioners[pspec.key]
            agenda = load_agendas([practitioner], past_first, last)[practitioner.id]
            planner = AgendaPlanner(
                agenda, [(motifs[k], motif_specs[k].weight) for k in pspec.motifs]
            )
            past = planner.plan(
                now=engine.wall_clock(past_first, dt.time(0)),
                first=past_first,
                last=self.today,
                fill=self._fill(rng, lambda day: PAST_FILL),
                rng=rng,
                until=self.now,
            )
            future = planner.plan(
                now=self.now,
                first=self.today,
                last=last,
                fill=self._fill(rng, self._future_fill),
                rng=rng,
                notice=NOTICE,
            )
            pool_of = {motifs[k].id: pools[motif_specs[k].pool] for k in pspec.motifs}
            stats.update(self._insert_past(practitioner, past, pool_of, actor, rng))
            for pick in future:
                for patient in self._patients_for(pick, pool_of, rng):
                    self._book(practitioner, pick, patient, actor, self.now, rng)
                    stats["future"] += 1
        return stats

    def _future_fill(self, day: dt.date) -> float:
        return FUTURE_FILL[min(len(FUTURE_FILL) - 1, (day - self.today).days // 7)]

    def _fill(self, rng, base: Callable[[dt.date], float]) -> Callable[[dt.date], float]:
        return lambda day: min(1.0, base(day) * rng.uniform(0.8, 1.2))

    @staticmethod
    def _patients_for(pick: Pick, pool_of, rng) -> list[Patient]:
        pool = pool_of[pick.motif.id]
        if pick.participants == 1:
            return [rng.choice(pool)]
        return rng.sample(pool, min(len(pool), pick.participants))

    @staticmethod
    def _channel(motif: Motif, start: dt.datetime, now: dt.datetime, rng) -> tuple:
        """A channel and audience that may book `start` at `now` under the motif's rules."""
        options = [
            (channel, audience, weight)
            for channel, audience, weight in CHANNELS[motif.bookable_by]
            if audience is Audience.STAFF or now + motif.min_notice <= start <= now + motif.horizon
        ]
        channel, audience, _ = rng.choices(options, weights=[w for *_, w in options])[0]
        return channel, audience

    def _book(self, practitioner, pick: Pick, patient, actor, now, rng) -> Appointment:
        channel, audience = self._channel(pick.motif, pick.slot.start, now, rng)
        return booking.book(
            practitioner=practitioner,
            motif=pick.motif,
            start=pick.slot.start,
            patient=patient,
            channel=channel,
            audience=audience,
            actor=actor if audience is Audience.STAFF else None,
            now=now,
        )

    def _insert_past(self, practitioner, picks: list[Pick], pool_of, actor, rng) -> Counter:
        """Past appointments and their history, inserted in bulk.

        `book()` refuses a past start, and going through it with a back-dated `now` then
        through `change_status` costs about four transactions each; the planner already
        checked every pick against the engine, so the rows are written directly, with the
        same session keys, ends and events the services would have written.
        """
        rows: list[tuple[Appointment, list[AppointmentEvent]]] = []
        for pick in picks:
            motif, start, end = pick.motif, pick.slot.start, pick.slot.end
            for patient in self._patients_for(pick, pool_of, rng):
                booked_at = start - dt.timedelta(
                    days=rng.randint(*BOOKED_DAYS_BEFORE), minutes=rng.randint(0, 600)
                )
                channel, audience = self._channel(motif, start, booked_at, rng)
                booked_by = actor if audience is Audience.STAFF else None
                public_id = uuid.uuid4()
                appointment = Appointment(
                    public_id=public_id,
                    organisation_id=practitioner.organisation_id,
                    practitioner=practitioner,
                    motif=motif,
                    site_id=pick.slot.site_id,
                    patient=patient,
                    start=start,
                    end=end,
                    channel=channel,
                    session_key=booking._session_key(motif, start, public_id),
                    created_by=booked_by,
                )
                events = [
                    self._event(Kind.BOOKED, booked_at, channel, booked_by, "", Status.BOOKED)
                ]
                roll = rng.random()
                if roll < 0.78:
                    appointment.status = Status.SEEN
                    arrived = start - dt.timedelta(minutes=rng.randint(0, 15))
                    seen = min(self.now, end + dt.timedelta(minutes=rng.randint(0, 10)))
                    events += [
                        self._event(Kind.STATUS_CHANGED, arrived, Channel.DESK, actor,
                                    Status.BOOKED, Status.ARRIVED),
                        self._event(Kind.STATUS_CHANGED, seen, Channel.DESK, actor,
                                    Status.ARRIVED, Status.SEEN),
                    ]  # fmt: skip
                elif roll < 0.85:
                    appointment.status = Status.NO_SHOW
                    marked = min(self.now, start + dt.timedelta(minutes=20))
                    events.append(
                        self._event(Kind.STATUS_CHANGED, marked, Channel.DESK, actor,
                                    Status.BOOKED, Status.NO_SHOW)
                    )  # fmt: skip
                else:
                    appointment.status = Status.CANCELLED_BY_PATIENT
                    appointment.cancel_reason = rng.choice(CANCEL_REASONS)
                    hours = int((start - booked_at).total_seconds() // 3600)
                    cancelled = start - dt.timedelta(hours=rng.randint(1, max(1, hours - 1)))
                    event = self._event(Kind.CANCELLED, cancelled,
                                        rng.choice((Channel.WEB, Channel.PHONE_AGENT)), None,
                                        Status.BOOKED, Status.CANCELLED_BY_PATIENT)  # fmt: skip
                    event.note = appointment.cancel_reason
                    events.append(event)
                rows.append((appointment, events))
        Appointment.objects.bulk_create([a for a, _ in rows])
        for appointment, events in rows:
            for event in events:
                event.appointment = appointment
        AppointmentEvent.objects.bulk_create([e for _, events in rows for e in events])
        return Counter(a.status for a, _ in rows)

    @staticmethod
    def _event(kind, at, channel, actor, from_status, to_status) -> AppointmentEvent:
        return AppointmentEvent(
            kind=kind,
            at=at,
            channel=channel,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
        )

    # Report --------------------------------------------------------------------------------

    def _describe(self, org: Organisation, spec: OrganisationSpec, stats: Counter) -> str:
        upcoming = Appointment.objects.filter(
            organisation=org, start__gte=self.now, status=Status.BOOKED
        ).count()
        past = Appointment.objects.filter(organisation=org, start__lt=self.now)
        by_status = Counter(past.values_list("status", flat=True))
        created = " (créés à l'instant)" if stats else " (déjà présents)"
        return (
            f"{org.name} [{org.get_kind_display()}] : {org.sites.count()} lieu(x), "
            f"{org.practitioners.count()} praticien(s), {org.motifs.count()} motifs, "
            f"{org.patients.count()} patients ; RDV à venir {upcoming}, passés "
            f"{sum(by_status.values())} (vus {by_status[Status.SEEN]}, "
            f"non honorés {by_status[Status.NO_SHOW]}, "
            f"annulés {by_status[Status.CANCELLED_BY_PATIENT]}){created}"
        )


def patient_pools(org: Organisation, today: dt.date) -> dict[str, list[Patient]]:
    """The organisation's patients by the kind of appointment they are booked for."""
    female_names = set(names.FEMALE_FIRST_NAMES)
    patients = list(Patient.objects.filter(organisation=org).order_by("id"))

    def age(p: Patient) -> float:
        return (today - p.birth_date).days / 365.25

    adults = [p for p in patients if age(p) >= 18]
    children = [p for p in patients if age(p) < 16] or adults
    women = [p for p in adults if p.first_name in female_names] or adults
    pools = {
        "family": patients,
        "adult": adults,
        "senior": [p for p in adults if age(p) >= 45] or adults,
        "child": children,
        "baby": [p for p in children if age(p) < 3] or children,
        "women": women,
        "pregnant": [p for p in women if age(p) <= 42] or women,
    }
    return pools
