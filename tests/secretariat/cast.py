"""The remote secretariat's cast for tests: a secretariat with two operators and a manager,
three client practices under contract, and an outsider secretariat with its own client."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from accueil.directory.models import Membership, Organisation
from accueil.reception import services as reception
from accueil.scheduling.engine import wall_clock
from accueil.secretariat import services
from accueil.secretariat.models import Contract, Operator
from tests import factories

WEEK = [{"days": [0, 1, 2, 3, 4, 5], "start": "07:00", "end": "19:00"}]
PASSWORD = "x-demo-pass"  # tests.factories.staff


@dataclass
class Cast:
    secretariat: Organisation
    alice: Operator
    bruno: Operator
    manager: User
    clients: list[Organisation]
    contracts: list[Contract]
    other_secretariat: Organisation
    outsider: Operator
    other_client: Organisation
    practitioners: dict[int, object] = field(default_factory=dict)
    motifs: dict[int, object] = field(default_factory=dict)


def secretariat_org(name: str = "Télésecrétariat Picard") -> Organisation:
    return factories.organisation(name=name, kind=Organisation.Kind.REMOTE_SECRETARIAT)


def operator(secretariat: Organisation, *, skills=(), first_name="Alice", **kw) -> Operator:
    user = User.objects.create_user(
        username=f"op-{first_name.lower()}-{secretariat.pk}",
        password=PASSWORD,
        first_name=first_name,
        last_name="Opératrice",
    )
    return Operator.objects.create(
        user=user,
        secretariat=secretariat,
        skills=list(skills),
        status=Operator.Status.AVAILABLE,
        status_since=factories.NOW,
        **kw,
    )


def client_practice(name: str, phone: str):
    org, practitioner, motif = factories.agenda()
    org.name, org.phone = name, phone
    org.save()
    return org, practitioner, motif


def build(*, mode: str = Contract.Mode.ALL_CALLS) -> Cast:
    secretariat = secretariat_org()
    manager = factories.staff(secretariat, Membership.Role.OWNER)
    clients, contracts, practitioners, motifs = [], [], {}, {}
    for i, name in enumerate(("Cabinet des Tilleuls", "Maison de santé du Val", "Cabinet Pasteur")):
        org, practitioner, motif = client_practice(name, f"03 22 00 10 0{i}")
        clients.append(org)
        practitioners[org.id], motifs[org.id] = practitioner, motif
        contracts.append(
            services.save_contract(
                secretariat,
                org,
                mode=mode,
                covered_hours=WEEK,
                price_per_call="1.10",
                monthly_fee="30",
            )
        )
    other = secretariat_org("Télésecrétariat concurrent")
    other_client, p, m = client_practice("Cabinet d'ailleurs", "03 22 00 20 00")
    practitioners[other_client.id], motifs[other_client.id] = p, m
    services.save_contract(other, other_client, mode=mode, covered_hours=WEEK)
    return Cast(
        secretariat=secretariat,
        alice=operator(secretariat),
        bruno=operator(secretariat, first_name="Bruno", skills=["pédiatrie"]),
        manager=manager,
        clients=clients,
        contracts=contracts,
        other_secretariat=other,
        outsider=operator(other, first_name="Olga"),
        other_client=other_client,
        practitioners=practitioners,
        motifs=motifs,
    )


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return wall_clock(day, dt.time(hour, minute, second))


def with_fallback(org: Organisation, number: str = "+33322009999") -> None:
    """The practice's sheet hands callers over (to the secretariat's line)."""
    sheet = reception.current_sheet(org)[1]
    sheet["fallback"]["number"] = number
    reception.save_sheet(org, sheet, now=factories.NOW)
