"""The calls API contract: bearer token, status codes, shapes, never a 500."""

import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accueil.booking.models import Appointment
from accueil.desk.models import StaffMessage
from accueil.reception.models import Call
from tests.reception.agenda import KNOWN_CALLER, NOW, build_practice

pytestmark = pytest.mark.django_db
TOKEN = "test-telephony-token"


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch):
    settings.ACCUEIL_TELEPHONY_TOKEN = TOKEN
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def practice():
    return build_practice()


@pytest.fixture
def client():
    return Client(headers={"Authorization": f"Bearer {TOKEN}"})


def post(client, url, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type="application/json")


def start(client, to="+33322000000", caller=KNOWN_CALLER):
    response = post(client, "/api/v1/calls", {"to": to, "from": caller})
    assert response.status_code == 201, response.content
    return response.json()


def turn(client, call_id, text):
    return post(client, f"/api/v1/calls/{call_id}/turns", {"text": text})


def test_every_endpoint_needs_the_token(practice):
    anonymous = Client()
    wrong = Client(headers={"Authorization": "Bearer nope"})
    call_id = uuid.uuid4()
    for c in (anonymous, wrong):
        assert c.get("/api/v1/organisations").status_code == 401
        assert post(c, "/api/v1/calls", {"to": "+33322000000"}).status_code == 401
        assert post(c, f"/api/v1/calls/{call_id}/turns", {"text": "x"}).status_code == 401
        assert c.get(f"/api/v1/calls/{call_id}").status_code == 401


def test_an_empty_token_setting_refuses_everyone(practice, settings):
    settings.ACCUEIL_TELEPHONY_TOKEN = ""
    assert (
        Client(headers={"Authorization": "Bearer "}).get("/api/v1/organisations").status_code == 401
    )


def test_organisations_list_public_numbers(client, practice):
    [org] = client.get("/api/v1/organisations").json()
    assert org["name"] == "Maison médicale des Lilas"
    assert org["phone"] == "+33322000000"
    assert org["sites"][0]["phone"] == "+33322000001"
    assert set(org["sites"][0]) == {"id", "name", "address", "phone"}


def test_a_call_books_then_ends_and_a_late_turn_gets_409(client, practice):
    call = start(client)
    assert call["status"] == "open" and "Maison médicale des Lilas" in call["say"]
    uuid.UUID(call["id"])
    for text in ["un rendez-vous jeudi matin avec le docteur lemoine", "dupont", "3 mars 1985"]:
        answer = turn(client, call["id"], text)
        assert answer.status_code == 200 and answer.json()["outcome"] is None
    answer = turn(client, call["id"], "le premier").json()
    assert answer["outcome"] == "booked" and "jeudi 7 janvier à 9 h" in answer["say"]
    answer = turn(client, call["id"], "non merci au revoir").json()
    assert answer["status"] == "ended"
    late = turn(client, call["id"], "allô ?")
    assert late.status_code == 409 and late.json() == {"error": "call_ended"}
    detail = client.get(f"/api/v1/calls/{call['id']}").json()
    assert detail["outcomes"] == ["booked"] and detail["status"] == "ended"
    assert detail["appointment_ids"] == list(Appointment.objects.values_list("id", flat=True))
    assert [t["caller"] for t in detail["transcript"]][1] == (
        "un rendez-vous jeudi matin avec le docteur lemoine"
    )
    assert "Rendez-vous réservé" in detail["summary"]
    assert detail["duration_seconds"] == 0


def test_a_site_number_reaches_its_organisation(client, practice):
    assert start(client, to="03 22 00 00 01")["status"] == "open"


def test_unknown_number_and_bad_bodies_get_422_with_fields(client, practice):
    response = post(client, "/api/v1/calls", {"to": "+33199999999"})
    assert response.status_code == 422 and "to" in response.json()["errors"]
    response = post(client, "/api/v1/calls", {"from": "+33612345678"})
    assert response.status_code == 422 and "to" in response.json()["errors"]
    call = start(client)
    response = post(client, f"/api/v1/calls/{call['id']}/turns", {"texte": "bonjour"})
    assert response.status_code == 422 and "text" in response.json()["errors"]
    response = post(client, f"/api/v1/calls/{call['id']}/turns", {"text": "a\x00b"})
    assert response.status_code == 422
    response = post(client, f"/api/v1/calls/{call['id']}/turns", {"text": "x" * 2001})
    assert response.status_code == 422
    assert post(client, f"/api/v1/calls/{call['id']}/turns", "{not json").status_code in {400, 422}


def test_unknown_or_malformed_call_ids(client, practice):
    assert turn(client, uuid.uuid4(), "bonjour").status_code == 404
    assert client.get(f"/api/v1/calls/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/calls/12").status_code in {404, 422}


def test_an_emergency_ends_the_call_and_warns_the_practice(client, practice):
    call = start(client)
    answer = turn(client, call["id"], "mon mari a très mal à la poitrine").json()
    assert answer["outcome"] == "emergency" and answer["status"] == "ended"
    assert "15" in answer["say"]
    assert StaffMessage.objects.get().urgent


def test_a_failing_policy_hands_over_instead_of_a_500(client, practice, monkeypatch):
    from accueil.reception import policy

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(policy, "respond", broken)
    call = start(client)
    answer = turn(client, call["id"], "bonjour")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ended" and answer.json()["say"]
    assert Call.objects.get().turn_count == 1


def test_transfer_reports_the_number(client, practice):
    from accueil.reception import services

    sheet = services.current_sheet(practice.organisation)[1]
    sheet["fallback"]["number"] = "+33322000099"
    services.save_sheet(practice.organisation, sheet)
    call = start(client)
    answer = turn(client, call["id"], "je veux parler à une vraie personne").json()
    assert answer == {
        "say": answer["say"],
        "status": "transferred",
        "outcome": "transferred",
        "transfer_to": "+33322000099",
    }
    assert turn(client, call["id"], "allô").status_code == 409


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=json_values, text=st.text(max_size=300))
def test_fuzzed_bodies_and_utterances_never_give_a_500(client, practice, body, text):
    encoded = json.dumps(body)
    assert post(client, "/api/v1/calls", encoded).status_code in {201, 422}
    call = start(client)
    assert post(client, f"/api/v1/calls/{call['id']}/turns", encoded).status_code in {200, 422}
    answer = turn(client, call["id"], text)
    assert answer.status_code in {200, 409, 422}
    if answer.status_code == 200:
        assert answer.json()["say"].strip()
