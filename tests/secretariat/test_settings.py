"""Settings pages of the console: the secretariat's owner lists, proposes and edits
contracts and operators; a proposed contract routes nothing until the practice's owner
accepts it; everyone else gets a 404; every change is in the audit log."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accueil.audit.models import AuditEntry, ObjectType
from accueil.directory.models import Membership
from accueil.secretariat import routing, services
from accueil.secretariat.models import Contract, Operator, Outcome, QueuedCall
from tests import factories
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at

pytestmark = pytest.mark.django_db
NINE = at(MONDAY, 9)


@pytest.fixture
def cast():
    return secretariat_cast.build()


def login(user) -> Client:
    client = Client()
    factories.login_verified(client, user)
    return client


def contract_form(**changes) -> dict:
    data = {
        "mode": "all",
        "overflow_seconds": "20",
        "priority": "30",
        "required_skills": "Pédiatrie, anglais",
        "price_per_call": "1,25",
        "monthly_fee": "40",
        "billable_outcomes": ["booked", "moved", "cancelled"],
        "active": "on",
    }
    for day in range(6):
        data[f"d{day}_start1"], data[f"d{day}_end1"] = "08:00", "12:00"
    data["d0_start2"], data["d0_end2"] = "14:00", "19:00"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_owner_proposes_a_contract_which_routes_only_once_accepted(cast):
    practice, practitioner, motif = secretariat_cast.client_practice(
        "Cabinet Neuf", "03 22 00 30 00"
    )
    owner = login(cast.manager)
    page = owner.get(reverse("secretariat:contract_new")).content.decode()
    assert "Cabinet Neuf" in page and "Cabinet des Tilleuls" not in page  # has one already
    assert 'style="' not in page and "<script>" not in page
    response = owner.post(
        reverse("secretariat:contract_new"), contract_form(client=str(practice.id))
    )
    assert response.status_code == 302, response.content.decode()
    contract = Contract.objects.get(client=practice)
    assert contract.covered_hours == [
        {"days": [0, 1, 2, 3, 4, 5], "start": "08:00", "end": "12:00"},
        {"days": [0], "start": "14:00", "end": "19:00"},
    ]
    assert (str(contract.price_per_call), contract.required_skills) == (
        "1.25",
        ["anglais", "pédiatrie"],
    )
    assert contract.billable_outcomes == ["booked", "cancelled", "moved"]
    assert contract.accepted_at is None
    # Not accepted: the practice's calls do not come to the queue.
    assert services.arrive("03 22 00 30 00", now=NINE).step is routing.Step.RECEPTIONIST
    listing = owner.get(reverse("secretariat:contracts")).content.decode()
    assert "En attente de l'accord du cabinet" in listing

    # Only the practice's owner may accept it (a secretary of the practice gets a 404).
    accept = reverse("secretariat:accept_contract", args=[contract.id])
    secretary = factories.staff(practice, Membership.Role.SECRETARY)
    assert login(secretary).post(accept).status_code == 404
    assert login(cast.manager).post(accept).status_code == 404
    practice_owner = factories.staff(practice, Membership.Role.OWNER)
    billing_page = login(practice_owner).get(reverse("secretariat:billing")).content.decode()
    assert "Contrats proposés" in billing_page
    assert login(practice_owner).post(accept).status_code == 302
    contract.refresh_from_db()
    assert contract.accepted_by == practice_owner
    assert services.arrive("03 22 00 30 00", now=NINE).step is routing.Step.QUEUE
    # Both sides' audit logs tell the story.
    entries = AuditEntry.objects.filter(object_type=ObjectType.CONTRACT, object_id=str(contract.id))
    assert {e.organisation_id for e in entries} == {cast.secretariat.id, practice.id}
    assert entries.filter(action="create").count() == 2
    assert entries.filter(action="update", actor=practice_owner).count() == 2


def test_contract_form_errors_are_french_and_per_field(cast):
    owner = login(cast.manager)
    url = reverse("secretariat:contract_edit", args=[cast.contracts[0].id])
    response = owner.post(
        url,
        contract_form(
            d1_end1="07:00",
            d2_end1=None,
            d0_start2="11:00",
            overflow_seconds="500",
            price_per_call="cher",
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    for message in (
        "La fin doit être après le début.",
        "Indiquez la fin de la plage.",
        "Cette plage chevauche la précédente.",
        "inférieure ou égale à 120",
        "Saisissez un nombre.",
    ):
        assert message in page, message
    cast.contracts[0].refresh_from_db()
    assert cast.contracts[0].covered_hours == secretariat_cast.WEEK  # unchanged
    empty = {f"d{d}_{e}1": "" for d in range(6) for e in ("start", "end")}
    empty.update(d0_start2="", d0_end2="")
    page = owner.post(url, contract_form(**empty)).content.decode()
    assert "Indiquez au moins une plage d&#x27;heures couvertes." in page


def test_editing_a_contract_changes_routing_and_is_audited(cast):
    owner = login(cast.manager)
    contract = cast.contracts[0]
    page = owner.get(reverse("secretariat:contract_edit", args=[contract.id])).content.decode()
    assert 'value="07:00"' in page and 'value="19:00"' in page  # current hours shown
    data = contract_form(mode="handovers", active=None)
    response = owner.post(reverse("secretariat:contract_edit", args=[contract.id]), data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.mode, contract.active, contract.priority) == ("handovers", False, 30)
    assert services.arrive("03 22 00 10 00", now=NINE).step is routing.Step.RECEPTIONIST
    entry = AuditEntry.objects.get(
        organisation_id=contract.client_id, object_type=ObjectType.CONTRACT
    )
    assert entry.actor == cast.manager and "suspendu" in entry.summary


def test_the_owner_adds_and_edits_operators(cast):
    owner = login(cast.manager)
    response = owner.post(
        reverse("secretariat:operator_new"),
        {
            "username": "claire",
            "password": "un-mot-de-passe-solide-42",
            "first_name": "Claire",
            "last_name": "Martin",
            "skills": "Anglais, pédiatrie",
            "phone": "06 11 22 33 44",
            "active": "on",
        },
    )
    assert response.status_code == 302
    claire = Operator.objects.get(user__username="claire")
    assert (claire.secretariat, claire.skills, claire.phone) == (
        cast.secretariat,
        ["anglais", "pédiatrie"],
        "+33611223344",
    )
    assert User.objects.get(username="claire").check_password("un-mot-de-passe-solide-42")
    url = reverse("secretariat:operator_edit", args=[claire.id])
    data = {
        "first_name": "Claire",
        "last_name": "Martin",
        "skills": "",
        "phone": "sip:claire@acme.sip.twilio.com",
    }
    assert owner.post(url, data).status_code == 302
    claire.refresh_from_db()
    assert (claire.phone, claire.active, claire.status) == (
        "sip:claire@acme.sip.twilio.com",
        False,
        Operator.Status.OFFLINE,
    )
    assert services.operator_of(claire.user) is None  # inactive: no console
    entries = AuditEntry.objects.filter(object_type=ObjectType.OPERATOR, object_id=str(claire.id))
    assert [e.action for e in entries.order_by("id")] == ["create", "update"]


def test_operator_form_errors(cast):
    owner = login(cast.manager)
    data = {
        "username": cast.alice.user.username,
        "password": "123",
        "first_name": "",
        "last_name": "X",
        "phone": "sip:pas une adresse",
    }
    page = owner.post(reverse("secretariat:operator_new"), data).content.decode()
    assert "Ce champ est obligatoire." in page
    data["first_name"] = "Y"
    page = owner.post(reverse("secretariat:operator_new"), data).content.decode()
    for message in (
        "Cet identifiant est déjà pris.",
        "Ce mot de passe est trop court.",
        "Adresse SIP invalide",
    ):
        assert message in page, message
    url = reverse("secretariat:operator_edit", args=[cast.alice.id])
    page = owner.post(url, {"first_name": "A", "last_name": "B", "phone": "sip:nope"}).content
    assert "Adresse SIP invalide" in page.decode()
    assert User.objects.filter(username=cast.alice.user.username).count() == 1


def test_settings_pages_are_for_the_secretariats_owner_only(cast):
    other_owner = factories.staff(cast.other_secretariat, Membership.Role.OWNER)
    supervisor = factories.staff(cast.secretariat, Membership.Role.SECRETARY)
    ours = [
        reverse("secretariat:contract_edit", args=[cast.contracts[0].id]),
        reverse("secretariat:operator_edit", args=[cast.alice.id]),
    ]
    # Another secretariat's owner: our contract and operator do not exist for them.
    for url in ours:
        assert login(other_owner).get(url).status_code == 404, url
        assert login(other_owner).post(url, contract_form()).status_code == 404, url
    assert login(other_owner).get(reverse("secretariat:contracts")).status_code == 200
    listing = login(other_owner).get(reverse("secretariat:contracts")).content.decode()
    assert "Cabinet des Tilleuls" not in listing and "Cabinet d&#x27;ailleurs" in listing
    # Our own operators and non-owner members: no settings at all.
    everywhere = [
        *ours,
        reverse("secretariat:contracts"),
        reverse("secretariat:contract_new"),
        reverse("secretariat:operators"),
        reverse("secretariat:operator_new"),
    ]
    for user in (cast.alice.user, supervisor):
        for url in everywhere:
            assert login(user).get(url).status_code == 404, url
            assert login(user).post(url, contract_form()).status_code == 404, url
    cast.contracts[0].refresh_from_db()
    assert cast.contracts[0].mode == "all" and cast.contracts[0].priority == 0
    assert Outcome.BOOKED in cast.contracts[0].billable_outcomes


def test_the_practice_withdraws_its_agreement_and_calls_stop_coming(cast):
    practice, contract = cast.clients[0], cast.contracts[0]
    assert services.arrive(practice.phone, now=NINE).step is routing.Step.QUEUE
    waiting = QueuedCall.objects.get(contract=contract)  # the call that just arrived
    owner = factories.staff(practice, Membership.Role.OWNER)
    withdraw = reverse("secretariat:withdraw_contract", args=[contract.id])
    page = login(owner).get(reverse("secretariat:billing")).content.decode()
    assert "Contrats en vigueur" in page and withdraw in page

    # Nobody else may: the practice's secretary, the secretariat's owner, another practice.
    others = (
        factories.staff(practice, Membership.Role.SECRETARY),
        cast.manager,
        factories.staff(cast.clients[1], Membership.Role.OWNER),
    )
    for user in others:
        assert login(user).post(withdraw).status_code == 404
    assert login(owner).get(withdraw).status_code == 404

    # Not while a call of the practice waits at the secretariat: nobody is cut off.
    response = login(owner).post(withdraw, follow=True)
    assert "réessayez quand ils seront terminés" in response.content.decode()
    contract.refresh_from_db()
    assert contract.accepted_at is not None

    QueuedCall.objects.filter(pk=waiting.pk).update(status=QueuedCall.Status.DONE)
    assert login(owner).post(withdraw).status_code == 302
    contract.refresh_from_db()
    assert contract.accepted_at is None and contract.accepted_by is None
    # The practice's calls no longer reach the secretariat; its other clients' still do.
    assert services.arrive(practice.phone, now=NINE).step is routing.Step.RECEPTIONIST
    assert services.arrive(cast.clients[1].phone, now=NINE).step is routing.Step.QUEUE
    entries = AuditEntry.objects.filter(
        object_type=ObjectType.CONTRACT, object_id=str(contract.id), actor=owner
    )
    assert {e.organisation_id for e in entries} == {cast.secretariat.id, practice.id}
    # The practice may agree again.
    assert (
        login(owner).post(reverse("secretariat:accept_contract", args=[contract.id])).status_code
        == 302
    )
    assert services.arrive(practice.phone, now=NINE).step is routing.Step.QUEUE


def test_a_call_left_waiting_for_a_withdrawn_contract_is_not_offered_to_operators(cast):
    """A call queued at the very moment the practice withdrew: its data stays closed."""
    contract = cast.contracts[0]
    services.enqueue(
        contract, source=QueuedCall.Source.DIRECT, caller_number="+33611111111", now=NINE
    )
    Contract.objects.filter(pk=contract.pk).update(accepted_at=None)
    assert services.take_next_call(cast.alice, now=NINE) is None
