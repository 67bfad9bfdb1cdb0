"""Direct calls through the Twilio webhook and the audio bridge, end to end: the caller
waits in Twilio's <Enqueue>, the operator takes the call in the console, Twilio's REST API
(a fake on 127.0.0.1) rings the operator, whose leg dials their own queue; the outcome is
billed. A caller hanging up while queued is recorded abandoned and not billed."""

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accueil.reception import twilio
from accueil.reception.models import Call
from accueil.secretariat import billing, bridge
from accueil.secretariat.models import Contract, Outcome, QueuedCall
from tests.factories import MONDAY, login_verified
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at, with_fallback
from tests.secretariat.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db
TOKEN = "twilio-auth-token"
BASE = "https://accueil.example.org"
NINE = at(MONDAY, 9)
CALLER = "+33612345678"
TILLEULS = "+33322001000"  # cast.clients[0]


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = BASE
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_CALLER_ID = "+33900000000"
    monkeypatch.setattr(timezone, "now", lambda: NINE)


@pytest.fixture
def cast():
    cast = secretariat_cast.build()
    cast.alice.phone = "+33611111111"
    cast.alice.save()
    return cast


@pytest.fixture
def fake_twilio(settings):
    with FakeTwilio() as fake:
        settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
        settings.TWILIO_API_URL = fake.url
        yield fake


def post(path, data):
    signature = twilio.signature(TOKEN, BASE + path, {k: [v] for k, v in data.items()})
    response = Client().post(path, data, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def incoming(sid="CA1", to=TILLEULS, caller=CALLER, path="/telephony/twilio/voice", **extra):
    return post(path, {"CallSid": sid, "From": caller, "To": to, **extra})


def wait(sid="CA1", seconds=0, step=""):
    path = reverse("secretariat_telephony:wait") + step
    return post(path, {"CallSid": sid, "QueueTime": str(seconds), "QueuePosition": "1"})


def left(result, sid="CA1", step=""):
    path = reverse("secretariat_telephony:left") + step
    return post(path, {"CallSid": sid, "QueueResult": result, "QueueTime": "30"})


def take(operator):
    client = Client()
    login_verified(client, operator.user)
    response = client.post(reverse("secretariat:take"))
    assert response.status_code == 302
    return client, client.get(response["Location"]).content.decode()


def statement(contract):
    return billing.month_statement(contract, MONDAY.replace(day=1))


def test_a_direct_call_in_covered_hours_is_bridged_to_the_operator_and_billed(cast, fake_twilio):
    root = incoming()
    enqueue = root.find("Enqueue")
    assert enqueue.text == f"accueil-secretariat-{cast.secretariat.id}"
    assert enqueue.get("waitUrl") == "/telephony/twilio/secretariat/attente"
    assert enqueue.get("action") == "/telephony/twilio/secretariat/sortie"
    queued = QueuedCall.objects.get()
    assert (queued.client, queued.twilio_call_sid, queued.source) == (
        cast.clients[0],
        "CA1",
        QueuedCall.Source.DIRECT,
    )
    assert not Call.objects.exists()  # the receptionist never answered
    # The caller hears French while waiting, with their position.
    first = wait()
    assert "premier en attente" in first.find("Say").text
    assert first.find("Say").get("language") == "fr-FR"
    assert wait(seconds=30).find("Leave") is None
    # Twilio asks again for the same call (a retry): still one queued call.
    assert incoming().find("Enqueue") is not None and QueuedCall.objects.count() == 1

    _, page = take(cast.alice)
    (request,) = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{'AC' + '1' * 32}/Calls.json"
    assert request["basic"] == f"{'AC' + '1' * 32}:{TOKEN}"
    leg = reverse("secretariat_telephony:operator", args=[queued.public_id])
    assert request["form"] == {
        "To": "+33611111111",
        "From": "+33900000000",
        "Url": BASE + leg,
        "Method": "POST",
        "Timeout": str(bridge.RING_OPERATOR_SECONDS),
    }
    assert "Votre téléphone sonne" in page
    queued.refresh_from_db()
    assert (queued.status, queued.bridge) == (QueuedCall.Status.ON_CALL, "requested")

    # The caller leaves the shared queue for the operator's own queue...
    assert wait(seconds=33).find("Leave") is not None
    moved = left("leave").find("Enqueue")
    assert moved.text == f"accueil-operateur-{cast.alice.id}"
    assert moved.get("action").endswith("?etape=operateur")
    assert wait(seconds=2, step="?etape=operateur").find("Leave") is None
    # ...which the operator's leg dials when the operator picks up.
    operator_leg = post(leg, {"CallSid": "CAoperator1"})
    assert "Cabinet des Tilleuls" in operator_leg.find("Say").text
    assert operator_leg.find("Dial/Queue").text == f"accueil-operateur-{cast.alice.id}"

    # The conversation ends (Twilio reports the bridged call over): wrap-up, then billed.
    left("bridged", step="?etape=operateur")
    queued.refresh_from_db()
    assert queued.status == QueuedCall.Status.WRAP_UP and queued.ended_at == NINE
    client = Client()
    login_verified(client, cast.alice.user)
    client.post(
        reverse("secretariat:finish", args=[queued.public_id]),
        {"outcome": Outcome.BOOKED, "note": "RDV lundi"},
    )
    found = statement(cast.contracts[0])
    assert (found.handled, found.billable, found.abandoned) == (1, 1, 0)


def test_a_caller_hanging_up_while_queued_is_abandoned_and_not_billed(cast):
    incoming()
    root = left("hangup")
    assert root.find("Hangup") is not None
    queued = QueuedCall.objects.get()
    assert (queued.status, queued.outcome) == (QueuedCall.Status.ABANDONED, Outcome.ABANDONED)
    assert queued.abandoned_at == NINE
    found = statement(cast.contracts[0])
    assert (found.abandoned, found.billable) == (1, 0)
    assert wait().find("Leave") is not None  # Twilio asking late: nothing to wait for
    # A contract billing unsatisfiable calls bills it.
    Contract.objects.filter(pk=cast.contracts[0].pk).update(bill_unsatisfiable=True)
    cast.contracts[0].refresh_from_db()
    assert statement(cast.contracts[0]).billable == 1


def test_without_twilio_credentials_the_console_shows_the_number_to_call_back(cast):
    incoming()
    _, page = take(cast.alice)
    assert "Pont téléphonique désactivé" in page and "06 12 34 56 78" in page
    queued = QueuedCall.objects.get()
    assert queued.bridge == QueuedCall.Bridge.OFF
    # The caller is told a secretary will call back, and the call stays the operator's.
    assert wait(seconds=12).find("Leave") is not None
    root = left("leave")
    assert "rappeler" in root.find("Say").text and root.find("Hangup") is not None
    queued.refresh_from_db()
    assert queued.status == QueuedCall.Status.ON_CALL


def test_an_operator_without_a_phone_gets_no_bridge(cast, fake_twilio):
    cast.alice.phone = ""
    cast.alice.save()
    incoming()
    _, page = take(cast.alice)
    assert "aucun téléphone renseigné" in page and not fake_twilio.requests


def test_twilio_refusing_the_operator_call_is_shown(cast, fake_twilio):
    fake_twilio.answer = "500"
    incoming()
    _, page = take(cast.alice)
    assert len(fake_twilio.requests) == 1
    assert "Le pont téléphonique a échoué" in page
    assert QueuedCall.objects.get().bridge == QueuedCall.Bridge.FAILED


def test_the_operator_leg_of_a_call_no_longer_taken_hangs_up(cast):
    incoming()
    queued = QueuedCall.objects.get()
    leg = reverse("secretariat_telephony:operator", args=[queued.public_id])
    root = post(leg, {"CallSid": "CAop"})
    assert root.find("Dial") is None and root.find("Hangup") is not None


def test_an_operator_who_does_not_pick_up_leaves_the_caller_a_call_back(cast, fake_twilio):
    incoming()
    take(cast.alice)
    left("leave")
    root = wait(seconds=bridge.OPERATOR_WAIT_SECONDS, step="?etape=operateur")
    assert root.find("Leave") is not None
    root = left("leave", step="?etape=operateur")
    assert "rappeler" in root.find("Say").text
    assert QueuedCall.objects.get().bridge == QueuedCall.Bridge.FAILED


def test_bridge_webhooks_need_twilios_signature(cast):
    incoming()
    queued = QueuedCall.objects.get()
    paths = [
        reverse("secretariat_telephony:wait"),
        reverse("secretariat_telephony:left"),
        reverse("secretariat_telephony:operator", args=[queued.public_id]),
    ]
    for path in paths:
        data = {"CallSid": "CA1", "QueueResult": "hangup"}
        assert Client().post(path, data).status_code == 403, path
        forged = twilio.signature("not-the-token", BASE + path, {k: [v] for k, v in data.items()})
        response = Client().post(path, data, headers={"X-Twilio-Signature": forged})
        assert response.status_code == 403, path
    assert QueuedCall.objects.get().status == QueuedCall.Status.WAITING


def test_a_hand_over_queued_for_the_secretariat_is_enqueued_not_dialled():
    cast = secretariat_cast.build(mode=Contract.Mode.HANDOVERS)
    with_fallback(cast.clients[0])
    root = incoming(sid="CA9")
    assert root.find("Gather") is not None  # HANDOVERS: the receptionist answers first
    path = "/telephony/twilio/gather"
    root = post(path, {"CallSid": "CA9", "SpeechResult": "je voudrais parler à une personne"})
    assert root.find("Dial") is None
    assert root.find("Enqueue").text == f"accueil-secretariat-{cast.secretariat.id}"
    queued = QueuedCall.objects.get()
    assert (queued.source, queued.twilio_call_sid) == (QueuedCall.Source.HANDOVER, "CA9")
    left("hangup", sid="CA9")
    queued.refresh_from_db()
    assert queued.status == QueuedCall.Status.ABANDONED


def test_outside_covered_hours_a_hand_over_goes_to_the_fallback_number(monkeypatch):
    cast = secretariat_cast.build(mode=Contract.Mode.HANDOVERS)
    with_fallback(cast.clients[0])
    monkeypatch.setattr(timezone, "now", lambda: at(MONDAY, 20))
    incoming(sid="CA8")
    root = post(
        "/telephony/twilio/gather",
        {"CallSid": "CA8", "SpeechResult": "je voudrais parler à une personne"},
    )
    assert root.find("Dial").text == "+33322009999" and not QueuedCall.objects.exists()


def test_hanging_up_in_the_console_ends_the_call_in_twilio(cast, fake_twilio):
    incoming()
    client, _ = take(cast.alice)
    queued = QueuedCall.objects.get()
    client.post(reverse("secretariat:hang_up", args=[queued.public_id]))
    queued.refresh_from_db()
    assert queued.status == QueuedCall.Status.WRAP_UP
    originate, complete = fake_twilio.requests
    assert complete["path"] == f"/2010-04-01/Accounts/{'AC' + '1' * 32}/Calls/CA1.json"
    assert complete["form"] == {"Status": "completed"}
    assert complete["basic"] == f"{'AC' + '1' * 32}:{TOKEN}"


def test_hanging_up_when_twilio_refuses_still_ends_the_call_in_the_console(cast, fake_twilio):
    incoming()
    client, _ = take(cast.alice)
    fake_twilio.answer = "400"  # e.g. the caller hung up first: "call not in progress"
    queued = QueuedCall.objects.get()
    response = client.post(reverse("secretariat:hang_up", args=[queued.public_id]))
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == QueuedCall.Status.WRAP_UP
    assert len(fake_twilio.requests) == 2
