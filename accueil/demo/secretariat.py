"""The demonstration remote secretariat: "Télésecrétariat de la Somme", its manager and four
operators, contracts with three demonstration practices, four weeks of call history (Monday
and 9-10 a.m. peaks), a planned staffing, and a few calls waiting in the queue.

Seeded by `seed_demo` after the practices; idempotent (the history and the waiting calls
are made only when the secretariat has no call yet). Every number is invented.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from accueil.demo import names
from accueil.directory.models import Membership, Organisation
from accueil.patients.models import Patient
from accueil.reception import services as reception
from accueil.reception.models import Call
from accueil.scheduling import engine
from accueil.secretariat import services
from accueil.secretariat.models import (
    Contract,
    Operator,
    Outcome,
    PlannedStaffing,
    QueuedCall,
)

SLUG = "telesecretariat-somme"
NAME = "Télésecrétariat de la Somme"
PHONE = "03 53 01 80 00"  # the practices' sheets hand callers over to this line
MANAGER = ("direction.telesecretariat", "Claire", "Vasseur")
# Where the Twilio bridge rings each operator: numbers from ARCEP's fiction block 03 53 01 and
# a SIP address on a reserved example domain.
OPERATORS = (
    ("operatrice.lea", "Léa", "Moreau", ["pédiatrie"], "+33353018011"),
    ("operateur.hugo", "Hugo", "Lefebvre", [], "+33353018012"),
    ("operatrice.samira", "Samira", "Haddou", ["pédiatrie", "anglais"], "sip:samira@example.org"),
    ("operateur.julien", "Julien", "Carpentier", [], "+33353018013"),
)
MONDAY_TO_SATURDAY = [0, 1, 2, 3, 4, 5]
CONTRACTS = {
    # client slug: terms
    "cabinet-dr-garnier": {
        "mode": Contract.Mode.HANDOVERS,
        "covered_hours": [{"days": MONDAY_TO_SATURDAY, "start": "07:00", "end": "19:00"}],
        "price_per_call": Decimal("1.20"),
        "monthly_fee": Decimal("0"),
    },
    "pmi-santerre-haute-somme": {
        "mode": Contract.Mode.ALL_CALLS,
        "covered_hours": [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}],
        "required_skills": ["pédiatrie"],
        "priority": 15,
        "price_per_call": Decimal("0.80"),
        "monthly_fee": Decimal("250"),
        "bill_unsatisfiable": True,
    },
    "ch-trois-rivieres-cardiologie": {
        "mode": Contract.Mode.OUTSIDE_DESK_HOURS,
        "covered_hours": [{"days": MONDAY_TO_SATURDAY, "start": "07:00", "end": "19:00"}],
        "price_per_call": Decimal("1.50"),
        "monthly_fee": Decimal("90"),
        "billable_outcomes": ["booked", "moved", "cancelled", "message", "put_through"],
    },
}
HISTORY_DAYS = 28
# Calls a day by weekday (Monday first) across the three practices, and the share of each
# half-hour from 7:00 to 18:30 (the Monday profile of bench/secretariat_sim.py).
DAILY_CALLS = (96, 64, 58, 62, 60, 24, 0)
PROFILE = [0.6, 1.0, 2.0, 2.6, 3.0, 2.8, 2.4, 2.1, 1.9, 1.6, 1.0, 0.8,
           0.9, 1.3, 1.6, 1.6, 1.5, 1.4, 1.4, 1.3, 1.2, 1.1, 0.9, 0.6]  # fmt: skip
SATURDAY_HALF_HOURS = 10  # Saturday calls come in the morning
OUTCOMES = (
    (Outcome.BOOKED, 34), (Outcome.MOVED, 8), (Outcome.CANCELLED, 8), (Outcome.MESSAGE, 18),
    (Outcome.INFORMED, 15), (Outcome.PUT_THROUGH, 3), (Outcome.NO_SLOT, 9),
    (Outcome.WRONG_NUMBER, 3), (Outcome.EMERGENCY, 1),
)  # fmt: skip
NOTES = {
    Outcome.BOOKED: "Rendez-vous pris, consignes du cabinet rappelées.",
    Outcome.MOVED: "Rendez-vous avancé à la demande du patient.",
    Outcome.CANCELLED: "Annulation, le créneau est libéré.",
    Outcome.MESSAGE: "Message transmis au praticien (rappel souhaité).",
    Outcome.INFORMED: "Horaires et accès donnés.",
    Outcome.PUT_THROUGH: "Pharmacie mise en relation selon les consignes.",
    Outcome.NO_SLOT: "Aucun créneau cette semaine ; orienté vers la consultation sans RDV.",
    Outcome.WRONG_NUMBER: "Faux numéro.",
    Outcome.EMERGENCY: "Douleur thoracique : orienté vers le 15.",
}
# Planned operators per half-hour, Monday to Friday (Saturday: mornings, two operators).
PLAN = [1, 2, 3, 3, 4, 4, 4, 3, 3, 3, 2, 2, 2, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1]
SEED = 2026

User = get_user_model()


def usernames() -> list[str]:
    return [MANAGER[0], *(username for username, *_ in OPERATORS)]


def reset() -> int:
    """Delete the demonstration secretariat, its calls, contracts and logins."""
    secretariat = Organisation.objects.filter(slug=SLUG).first()
    if secretariat is None:
        return 0
    QueuedCall.objects.filter(secretariat=secretariat).delete()
    Operator.objects.filter(secretariat=secretariat).delete()
    secretariat.delete()
    User.objects.filter(username__in=usernames()).delete()
    return 1


def seed(*, now: dt.datetime, password_hash: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(report line, [(username, organisation, role)])."""
    secretariat, _ = Organisation.objects.update_or_create(
        slug=SLUG,
        defaults={"name": NAME, "kind": Organisation.Kind.REMOTE_SECRETARIAT, "phone": PHONE},
    )
    logins = []
    manager = _user(MANAGER[0], MANAGER[1], MANAGER[2], password_hash)
    Membership.objects.update_or_create(
        user=manager, organisation=secretariat, defaults={"role": Membership.Role.OWNER}
    )
    logins.append((MANAGER[0], NAME, "Responsable du télésecrétariat"))
    operators = []
    for username, first_name, last_name, skills, phone in OPERATORS:
        user = _user(username, first_name, last_name, password_hash)
        operator, _ = Operator.objects.update_or_create(
            user=user,
            defaults={
                "secretariat": secretariat,
                "skills": skills,
                "phone": phone,
                "status_since": now,
                "active": True,
            },
        )
        operators.append(operator)
        skills_text = f" ({', '.join(skills)})" if skills else ""
        logins.append((username, NAME, f"Opérateur de télésecrétariat{skills_text}"))
    contracts = []
    for slug, terms in CONTRACTS.items():
        client = Organisation.objects.filter(slug=slug).first()
        if client is not None:
            contracts.append(services.save_contract(secretariat, client, **terms))
    _plan(secretariat)
    created = ""
    if not QueuedCall.objects.filter(secretariat=secretariat).exists():
        rng = random.Random(f"{SEED}:{SLUG}")
        history = _history(contracts, operators, now, rng)
        waiting = _waiting(contracts, now, rng)
        created = f" ; {history} appels d'historique et {waiting} en attente (créés à l'instant)"
    report = (
        f"{NAME} [Télésecrétariat] : {len(operators)} opérateurs, "
        f"{len(contracts)} cabinets clients ({', '.join(c.client.name for c in contracts)})"
        f"{created}"
    )
    return report, logins


def _user(username: str, first_name: str, last_name: str, password_hash: str):
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@example.com",
            "password": password_hash,
        },
    )
    return user


def _plan(secretariat: Organisation) -> None:
    if PlannedStaffing.objects.filter(secretariat=secretariat).exists():
        return
    rows = []
    for weekday in range(6):
        for i, operators in enumerate(PLAN):
            if weekday == 5:
                operators = 2 if i < SATURDAY_HALF_HOURS else 0
            elif weekday == 0:
                operators += 1  # Mondays
            if operators:
                start = dt.time(7 + i // 2, 30 * (i % 2))
                rows.append(PlannedStaffing(secretariat=secretariat, weekday=weekday,
                                            start=start, operators=operators))  # fmt: skip
    PlannedStaffing.objects.bulk_create(rows)


def _callers(contracts: list[Contract]) -> dict[int, list[str]]:
    """Phones of each client's patients: most callers are known to the practice."""
    return {
        c.client_id: list(
            Patient.objects.filter(organisation=c.client_id)
            .exclude(phone="")
            .values_list("phone", flat=True)[:300]
        )
        for c in contracts
    }


def _history(contracts, operators, now: dt.datetime, rng: random.Random) -> int:
    """Settled calls of the past four weeks and of today until now, written in bulk (as
    seed_demo writes past appointments): the same rows the services write."""
    if not contracts:
        return 0
    today = timezone.localtime(now, engine.PARIS).date()
    callers = _callers(contracts)
    weights = [3 if c.mode == Contract.Mode.ALL_CALLS else 2 for c in contracts]
    outcomes, outcome_weights = zip(*OUTCOMES, strict=True)
    rows = []
    for back in range(HISTORY_DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        volume = DAILY_CALLS[day.weekday()]
        profile = PROFILE[:SATURDAY_HALF_HOURS] if day.weekday() == 5 else PROFILE
        free_at = {op.id: engine.wall_clock(day, dt.time(7)) for op in operators}
        arrivals = sorted(
            engine.wall_clock(day, dt.time(7))
            + dt.timedelta(minutes=30 * slot + rng.uniform(0, 30))
            for slot in rng.choices(range(len(profile)), weights=profile, k=volume)
        )
        for queued_at in arrivals:
            if queued_at >= now:
                break
            contract = rng.choices(contracts, weights=weights)[0]
            able = [op for op in operators if set(contract.required_skills) <= set(op.skills)]
            operator = min(able, key=lambda op: free_at[op.id])
            pickup = max(queued_at + dt.timedelta(seconds=rng.uniform(2, 12)), free_at[operator.id])
            patience = dt.timedelta(seconds=rng.expovariate(1 / 120))
            number = (
                rng.choice(callers[contract.client_id])
                if callers[contract.client_id] and rng.random() < 0.7
                else names.fiction_phone_e164(rng)
            )
            call = QueuedCall(
                secretariat_id=contract.secretariat_id,
                contract=contract,
                client_id=contract.client_id,
                source=(
                    QueuedCall.Source.HANDOVER
                    if contract.mode != Contract.Mode.ALL_CALLS or rng.random() < 0.5
                    else QueuedCall.Source.DIRECT
                ),
                caller_number=number,
                urgent=rng.random() < 0.02,
                required_skills=list(contract.required_skills),
                queued_at=queued_at,
                rank_at=queued_at - dt.timedelta(seconds=contract.priority),
            )
            if pickup - queued_at > patience:
                call.status = QueuedCall.Status.ABANDONED
                call.abandoned_at = queued_at + patience
                call.outcome = Outcome.ABANDONED
            else:
                talk = dt.timedelta(seconds=rng.lognormvariate(4.6, 0.45))  # ~100 s median
                wrap = dt.timedelta(seconds=rng.uniform(10, 50))
                if pickup + talk + wrap >= now:
                    continue  # would still be in hand: not history
                call.status = QueuedCall.Status.DONE
                call.taken_by = operator
                call.taken_at = pickup
                call.ended_at = pickup + talk
                call.wrapped_at = pickup + talk + wrap
                call.outcome = rng.choices(outcomes, weights=outcome_weights)[0]
                call.wrap_up_note = NOTES[call.outcome]
                free_at[operator.id] = call.wrapped_at
            rows.append(call)
    QueuedCall.objects.bulk_create(rows)
    return len(rows)


def _waiting(contracts, now: dt.datetime, rng: random.Random) -> int:
    """A call handed over by the virtual receptionist (its transcript shows in the screen
    pop) and two direct calls, waiting now; queued even outside covered hours, so that the
    demonstration queue is never empty."""
    by_slug = {c.client.slug: c for c in contracts}
    count = 0
    garnier = by_slug.get("cabinet-dr-garnier")
    if garnier is not None:
        caller = _callers([garnier])[garnier.client_id]
        number = caller[0] if caller else "+33353018899"
        agent = reception.start_call(to=garnier.client.phone, from_=number, now=now).call
        reception.take_turn(
            agent.id,
            "Bonjour, j'aimerais parler à une secrétaire pour un certificat, s'il vous plaît",
            now=now,
        )
        if not QueuedCall.objects.filter(reception_call=agent).exists():
            sheet = reception.current_sheet(garnier.client)[1]
            services.enqueue(
                garnier,
                source=QueuedCall.Source.HANDOVER,
                caller_number=agent.from_number,
                now=now,
                reception_call=Call.objects.get(pk=agent.pk),
                listed=services.listed_for_put_through(sheet, agent.from_number),
            )
        count += 1
    for slug, seconds, urgent in (
        ("pmi-santerre-haute-somme", 25, True),
        ("ch-trois-rivieres-cardiologie", 8, False),
    ):
        contract = by_slug.get(slug)
        if contract is None:
            continue
        callers = _callers([contract])[contract.client_id]
        services.enqueue(
            contract,
            source=QueuedCall.Source.DIRECT,
            caller_number=rng.choice(callers) if callers else names.fiction_phone_e164(rng),
            now=now - dt.timedelta(seconds=seconds),
            urgent=urgent,
        )
        count += 1
    return count
