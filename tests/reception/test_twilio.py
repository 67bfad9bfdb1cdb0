"""The Twilio voice webhook: signatures, TwiML, silence, transfers, hang-ups, overflow."""

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from accueil.booking.models import Appointment
from accueil.reception import services, twilio
from accueil.reception.models import Call
from tests.reception.agenda import KNOWN_CALLER, NOW, build_practice

pytestmark = pytest.mark.django_db
TOKEN = "twilio-auth-token"
BASE = "https://accueil.example.org"


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = BASE
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def practice():
    return build_practice()


def test_signature_matches_twilios_documented_example():
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+12349013030"],
        "Digits": ["1234"],
        "From": ["+12349013030"],
        "To": ["+18005551212"],
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio.signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def twilio_post(path, data, *, token=TOKEN, tamper=False):
    signature = twilio.signature(token, BASE + path, {k: [v] for k, v in data.items()})
    if tamper:
        data = {**data, "SpeechResult": "annuler tous les rendez-vous"}
    return Client().post(path, data, headers={"X-Twilio-Signature": signature})


def parse(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def incoming(sid="CA1", caller=KNOWN_CALLER, to="+33322000000"):
    return twilio_post("/telephony/twilio/voice", {"CallSid": sid, "From": caller, "To": to})


def speak(text, sid="CA1"):
    data = {"CallSid": sid}
    if text is not None:
        data["SpeechResult"] = text
    return twilio_post("/telephony/twilio/gather", data)


def test_unsigned_forged_or_unconfigured_requests_are_refused(practice, settings):
    path = "/telephony/twilio/voice"
    data = {"CallSid": "CA1", "From": KNOWN_CALLER, "To": "+33322000000"}
    assert Client().post(path, data).status_code == 403
    assert twilio_post(path, data, token="wrong").status_code == 403
    assert (
        twilio_post("/telephony/twilio/gather", {"CallSid": "CA1"}, tamper=True).status_code == 403
    )
    settings.TWILIO_AUTH_TOKEN = ""
    assert twilio_post(path, data, token="").status_code == 403
    assert Client().get(path).status_code in {403, 405}
    assert not Call.objects.exists()


def test_a_phone_call_books_with_twiml(practice):
    root = parse(incoming())
    gather = root.find("Gather")
    assert gather.get("input") == "speech" and gather.get("language") == "fr-FR"
    assert "docteur Lemoine" in gather.get("hints") and "Frottis" in gather.get("hints")
    assert gather.get("action") == "/telephony/twilio/gather"
    assert gather.find("Say").get("language") == "fr-FR"
    assert "Maison médicale des Lilas" in gather.find("Say").text
    for text in ["un rendez-vous jeudi matin", "dupont", "le trois mars quatre-vingt-cinq"]:
        parse(speak(text))
    root = parse(speak("le premier"))
    assert "c'est noté" in root.find("Gather/Say").text.lower()
    root = parse(speak("non merci au revoir"))
    assert root.find("Hangup") is not None and root.find("Say") is not None
    assert Appointment.objects.count() == 1
    call = Call.objects.get()
    assert call.channel == "twilio" and call.outcomes == ["booked"]


def test_silence_is_asked_again_then_the_call_ends_kindly(practice):
    parse(incoming())
    root = parse(speak(None))
    assert "pas entendu" in root.find("Gather/Say").text
    root = parse(speak(""))
    assert root.find("Hangup") is not None and "15" in root.find("Say").text


def test_transfer_and_put_through_are_dials(practice):
    sheet = services.current_sheet(practice.organisation)[1]
    sheet["put_through"] = [
        {
            "label": "le Dr Lemoine",
            "phones": ["+33322445566"],
            "roles": [],
            "number": "+33600112233",
        }
    ]
    services.save_sheet(practice.organisation, sheet)
    parse(incoming(sid="CA2", caller="+33322445566"))
    root = parse(speak("bonjour c'est la pharmacie du centre", sid="CA2"))
    assert root.find("Dial").text == "+33600112233"


def test_emergency_says_15_and_hangs_up(practice):
    parse(incoming())
    root = parse(speak("mon bébé est tout mou il ne réagit plus"))
    assert "15" in root.find("Say").text and root.find("Hangup") is not None
    assert Call.objects.get().outcomes == ["emergency"]


def test_caller_hang_up_ends_the_call(practice):
    parse(incoming())
    parse(speak("je voudrais un rendez-vous"))
    response = twilio_post(
        "/telephony/twilio/status", {"CallSid": "CA1", "CallStatus": "completed"}
    )
    assert response.status_code == 204
    call = Call.objects.get()
    assert call.status == "ended" and call.outcomes == ["abandoned"]
    root = parse(speak("dupont"))
    assert root.find("Hangup") is not None


def test_unknown_number_hangs_up(practice):
    root = parse(incoming(to="+33199999999"))
    assert root.find("Hangup") is not None and not Call.objects.exists()


def test_overflow_rings_the_desk_first(practice):
    sheet = services.current_sheet(practice.organisation)[1]
    sheet["answering"] = {"mode": "overflow", "overflow_seconds": 15, "desk_hours": []}
    sheet["fallback"]["number"] = "+33322000099"
    services.save_sheet(practice.organisation, sheet)
    root = parse(incoming(sid="CA3"))
    dial = root.find("Dial")
    assert dial.text == "+33322000099" and dial.get("timeout") == "15"
    assert dial.get("action") == "/telephony/twilio/voice?overflow=1"
    path = "/telephony/twilio/voice?overflow=1"
    data = {"CallSid": "CA3", "From": KNOWN_CALLER, "To": "+33322000000"}
    root = parse(twilio_post(path, {**data, "DialCallStatus": "no-answer"}))
    assert root.find("Gather") is not None  # nobody picked up: the receptionist answers
    root = parse(twilio_post(path, {**data, "CallSid": "CA4", "DialCallStatus": "completed"}))
    assert root.find("Hangup") is not None
