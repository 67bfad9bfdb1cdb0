"""The calls API routes new calls as the Twilio webhook does, and says what happened:
"queued" with the queue position, "ring_desk" with the number and seconds, or the
receptionist's greeting ("open"); a caller hanging up while queued is abandoned."""

import pytest
from django.test import Client
from django.utils import timezone

from accueil.reception.models import Call
from accueil.secretariat import billing
from accueil.secretariat.models import Contract, Outcome, QueuedCall
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at, with_fallback

pytestmark = pytest.mark.django_db
TOKEN = "test-telephony-token"
NINE = at(MONDAY, 9)


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch):
    settings.ACCUEIL_TELEPHONY_TOKEN = TOKEN
    monkeypatch.setattr(timezone, "now", lambda: NINE)


@pytest.fixture
def api():
    return Client(headers={"Authorization": f"Bearer {TOKEN}"})


def start(api, to="03 22 00 10 00", **extra):
    response = api.post(
        "/api/v1/calls", {"to": to, "from": "06 12 34 56 78", **extra}, "application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_direct_call_for_the_secretariat_is_queued_with_its_position(api):
    cast = secretariat_cast.build()
    first = start(api)
    assert first["status"] == "queued" and first["say"]
    assert first["queue"] == {"position": 1, "secretariat": "Télésecrétariat Picard"}
    assert first["ring"] is None
    second = start(api, to="03 22 00 10 02")
    assert second["queue"]["position"] == 2
    queued = QueuedCall.objects.get(public_id=first["id"])
    assert (queued.client, queued.twilio_call_sid) == (cast.clients[0], "")
    assert not Call.objects.exists()


def test_ring_desk_then_desk_missed(api):
    cast = secretariat_cast.build(mode=Contract.Mode.OVERFLOW)
    with_fallback(cast.clients[0], "+33322001111")
    answer = start(api)
    assert answer == {
        "id": None,
        "say": "",
        "status": "ring_desk",
        "queue": None,
        "ring": {"number": "+33322001111", "seconds": 20},
    }
    assert not QueuedCall.objects.exists()
    assert start(api, desk_missed=True)["status"] == "queued"


def test_without_a_contract_the_receptionist_answers_as_before(api):
    secretariat_cast.build(mode=Contract.Mode.HANDOVERS)
    answer = start(api)
    assert answer["status"] == "open" and answer["say"].startswith("Bonjour")
    assert set(answer) >= {"id", "say", "status"}
    assert Call.objects.filter(pk=answer["id"]).exists()


def test_hanging_up_while_queued_is_abandoned_and_not_billed(api):
    cast = secretariat_cast.build()
    queued_id = start(api)["id"]
    response = api.post(f"/api/v1/calls/{queued_id}/hangup")
    assert response.json() == {"status": "abandoned"}
    queued = QueuedCall.objects.get(public_id=queued_id)
    assert queued.outcome == Outcome.ABANDONED
    statement = billing.month_statement(cast.contracts[0], MONDAY.replace(day=1))
    assert (statement.abandoned, statement.billable) == (1, 0)


def test_hangup_of_a_receptionist_call_and_of_an_unknown_id(api):
    secretariat_cast.build(mode=Contract.Mode.HANDOVERS)
    call_id = start(api)["id"]
    assert api.post(f"/api/v1/calls/{call_id}/hangup").json() == {"status": "ended"}
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.post(f"/api/v1/calls/{unknown}/hangup").status_code == 404
    assert Client().post(f"/api/v1/calls/{call_id}/hangup").status_code == 401
