"""Billing rules per contract, statements, CSV and printable pages, and who may read them;
and the whole way: a call handed over by the virtual receptionist, taken, settled, billed."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accueil.booking.models import Appointment, Channel
from accueil.directory.models import Membership
from accueil.reception import services as reception
from accueil.secretariat import billing, services, views
from accueil.secretariat.billing import Terms, is_billable
from accueil.secretariat.models import DEFAULT_BILLABLE, Outcome, QueuedCall
from tests import factories
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at, with_fallback

JANUARY = dt.date(2027, 1, 1)


def terms(billable=DEFAULT_BILLABLE, unsatisfiable=False, price="1.10", fee="30"):
    return Terms(Decimal(price), Decimal(fee), frozenset(billable), unsatisfiable)


def test_default_terms_bill_every_settled_call_but_unsatisfiable_ones():
    t = terms()
    for outcome in ("booked", "moved", "cancelled", "message", "informed", "put_through"):
        assert is_billable(t, outcome), outcome
    for outcome in ("no_slot", "wrong_number", "abandoned"):
        assert not is_billable(t, outcome), outcome


def test_a_contract_may_bill_unsatisfiable_calls():
    t = terms(unsatisfiable=True)
    assert all(is_billable(t, o) for o in ("no_slot", "wrong_number", "abandoned"))


def test_a_contract_may_bill_only_some_outcomes():
    t = terms(billable=["booked", "moved", "cancelled"])
    assert is_billable(t, "moved") and not is_billable(t, "informed")
    assert not is_billable(t, "message")
    # Listing an unsatisfiable outcome does not bill it: the flag decides.
    assert not is_billable(terms(billable=["no_slot"]), "no_slot")


def line(outcome, t, talk=60):
    return billing.Line(
        at=at(MONDAY, 9),
        caller="06 •• •• •• 78",
        operator="Alice",
        talk_seconds=talk,
        outcome=outcome,
        billable=is_billable(t, outcome),
    )


def test_statement_totals():
    t = terms()
    statement = billing.Statement(
        terms=t,
        month=JANUARY,
        lines=[line(o, t) for o in ("booked", "booked", "no_slot", "informed", "abandoned")],
    )
    assert (statement.handled, statement.abandoned, statement.billable) == (4, 1, 3)
    assert statement.not_billed == 2
    assert statement.talk_seconds == 300
    assert statement.calls_amount == Decimal("3.30")
    assert statement.total == Decimal("33.30")
    assert statement.title == "janvier 2027"
    assert statement.by_outcome == [
        ("Rendez-vous pris", 2, True),
        ("Renseignement donné", 1, True),
        ("Aucun créneau à proposer", 1, False),
        ("Raccroché avant la prise d'appel", 1, False),
    ]


def test_csv_is_for_french_spreadsheets():
    t = terms()
    statement = billing.Statement(terms=t, month=JANUARY, lines=[line("booked", t)])
    text = billing.to_csv(statement)
    assert text.startswith("\ufeffDate;Heure;Appelant;")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1] == ["04/01/2027", "09:00", "06 •• •• •• 78", "Alice", "60", "Rendez-vous pris",
                       "oui"]  # fmt: skip
    assert ["Total (€)", "31,10"] in rows


def test_months():
    assert billing.parse_month("2027-01") == JANUARY
    assert billing.parse_month("2027-13") is None and billing.parse_month("x") is None
    assert billing.next_month(dt.date(2026, 12, 1)) == JANUARY
    assert billing.previous_month(JANUARY) == dt.date(2026, 12, 1)
    assert billing.mask("+33612345678") == "06 •• •• •• 78" and billing.mask("") == "masqué"


# Statements from the database ----------------------------------------------------------------


@pytest.fixture
def cast(db, monkeypatch):
    monkeypatch.setattr(views, "_now", lambda: at(MONDAY, 12))
    return secretariat_cast.build()


def settle(cast, contract, outcome, minute, operator=None):
    operator = operator or cast.alice
    services.enqueue(
        contract,
        source=QueuedCall.Source.DIRECT,
        caller_number="+33612345678",
        now=at(MONDAY, 10, minute),
    )
    call = services.take_next_call(operator, now=at(MONDAY, 10, minute, 10))
    return services.finish(
        operator, call, outcome=outcome, note="Note interne", now=at(MONDAY, 10, minute + 2)
    )


def test_month_statement_follows_each_contract(cast):
    first, second = cast.contracts[0], cast.contracts[1]
    second.bill_unsatisfiable = True
    second.save()
    for contract in (first, second):
        settle(cast, contract, Outcome.BOOKED, 0)
        settle(cast, contract, Outcome.NO_SLOT, 5)
        waiting = services.enqueue(
            contract, source=QueuedCall.Source.DIRECT, caller_number="", now=at(MONDAY, 10, 9)
        )
        services.caller_hung_up(waiting.id, now=at(MONDAY, 10, 10))
    services.enqueue(first, source=QueuedCall.Source.DIRECT, caller_number="", now=at(MONDAY, 11))
    a = billing.month_statement(first, JANUARY)
    b = billing.month_statement(second, JANUARY)
    assert (len(a.lines), a.billable, a.total) == (3, 1, Decimal("31.10"))  # waiting: not yet
    assert (len(b.lines), b.billable, b.total) == (3, 3, Decimal("33.30"))
    assert a.lines[0].talk_seconds == 110
    assert billing.month_statement(first, dt.date(2027, 2, 1)).lines == []


def test_who_reads_statements(cast):
    settle(cast, cast.contracts[0], Outcome.BOOKED, 0)
    url = reverse("secretariat:statement", args=[cast.contracts[0].id, "2027-01"])
    owner = factories.staff(cast.clients[0], Membership.Role.OWNER)
    neighbour_owner = factories.staff(cast.clients[1], Membership.Role.OWNER)
    practice_secretary = factories.staff(cast.clients[0], Membership.Role.SECRETARY)
    other_secretariat_member = factories.staff(cast.other_secretariat, Membership.Role.OWNER)
    for user, status in (
        (cast.manager, 200),
        (owner, 200),
        (neighbour_owner, 404),  # a practice never sees another practice's calls
        (practice_secretary, 404),
        (cast.alice.user, 404),  # operators answer calls, managers bill them
        (other_secretariat_member, 404),
    ):
        client = Client()
        factories.login_verified(client, user)
        assert client.get(url).status_code == status, user
        assert client.get(url + "csv/").status_code == status, user
    assert Client().get(url).status_code == 302


def test_statement_pages(cast):
    settle(cast, cast.contracts[0], Outcome.BOOKED, 0)
    settle(cast, cast.contracts[0], Outcome.WRONG_NUMBER, 5)
    client = Client()
    factories.login_verified(client, cast.manager)
    overview = client.get(reverse("secretariat:billing"), {"mois": "2027-01"}).content.decode()
    assert "Facturation · Janvier 2027" in overview and "31,10" in overview
    url = reverse("secretariat:statement", args=[cast.contracts[0].id, "2027-01"])
    page = client.get(url).content.decode()
    assert "Relevé · Cabinet des Tilleuls · Janvier 2027" in page
    assert 'Faux numéro <span class="hint">(non facturé)</span>' in page
    assert "Note interne" not in page  # wrap-up notes stay in the console
    printable = client.get(url, {"imprimer": "1"}).content.decode()
    assert "secretariat/print.js" in printable and "topbar" not in printable
    csv_response = client.get(url + "csv/")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="releve-' in csv_response["Content-Disposition"]
    assert csv_response.content.startswith("\ufeffDate;".encode())
    assert client.get(url.replace("2027-01", "2027-1")).status_code == 404


def test_practice_owner_sees_only_their_own_contracts(cast):
    owner = factories.staff(cast.clients[2], Membership.Role.OWNER)
    client = Client()
    factories.login_verified(client, owner)
    html = client.get(reverse("secretariat:billing")).content.decode()
    assert "Cabinet Pasteur" in html
    assert "Cabinet des Tilleuls" not in html and "Maison de santé du Val" not in html


@pytest.mark.django_db
def test_a_handed_over_call_is_taken_settled_and_billed_end_to_end(monkeypatch):
    cast = secretariat_cast.build(mode="handovers")
    monkeypatch.setattr(views, "_now", lambda: at(MONDAY, 9, 1))
    org = cast.clients[1]
    with_fallback(org)
    agent = reception.start_call(to=org.phone, from_="06 12 34 56 78", now=at(MONDAY, 9))
    reception.take_turn(agent.call.id, "je voudrais parler à une vraie personne", now=at(MONDAY, 9))

    operator = Client()
    factories.login_verified(operator, cast.alice.user)
    screen = operator.get(operator.post(reverse("secretariat:take"))["Location"])
    assert "Maison de santé du Val" in screen.content.decode()
    call = QueuedCall.objects.get()
    practitioner, motif = cast.practitioners[org.id], cast.motifs[org.id]
    operator.post(
        reverse("secretariat:book", args=[call.public_id]),
        {"practitioner": practitioner.id, "motif": motif.id,
         "start": at(MONDAY, 10).isoformat(), "patient": "nouveau",
         "nouveau-first_name": "Paul", "nouveau-last_name": "Durand",
         "nouveau-birth_date": "1969-02-03", "nouveau-phone": "06 12 34 56 78"},
    )  # fmt: skip
    operator.post(
        reverse("secretariat:finish", args=[call.public_id]),
        {"outcome": "booked", "note": "Première consultation."},
    )
    appointment = Appointment.objects.get()
    assert (appointment.organisation, appointment.channel) == (org, Channel.OPERATOR)

    manager = Client()
    factories.login_verified(manager, cast.manager)
    url = reverse("secretariat:statement", args=[cast.contracts[1].id, "2027-01"])
    rows = list(
        csv.reader(io.StringIO(manager.get(url + "csv/").content.decode()[1:]), delimiter=";")
    )
    assert rows[1][5:] == ["Rendez-vous pris", "oui"]
    assert ["Total (€)", "31,10"] in rows
