"""Where the Twilio voice webhook sends a new call: the remote secretariat's queue, the
practice's desk first, or the virtual receptionist (secretariat.routing.arrive), per the
practice's contract and its sheet's "when the agent answers"."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from accueil.reception import services, twilio
from accueil.reception.models import Call
from accueil.secretariat.models import Contract, QueuedCall
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at, with_fallback

pytestmark = pytest.mark.django_db
TOKEN = "twilio-auth-token"
BASE = "https://accueil.example.org"
TILLEULS = "+33322001000"
VOICE = "/telephony/twilio/voice"


@pytest.fixture(autouse=True)
def setup(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = BASE


@pytest.fixture
def clock(monkeypatch):
    def set_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def incoming(sid, path=VOICE, **extra):
    data = {"CallSid": sid, "From": "+33612345678", "To": TILLEULS, **extra}
    signature = twilio.signature(TOKEN, BASE + path, {k: [v] for k, v in data.items()})
    response = Client().post(path, data, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return ET.fromstring(response.content)


def set_answering(org, mode, desk_hours=()):
    sheet = services.current_sheet(org)[1]
    sheet["answering"] = {"mode": mode, "overflow_seconds": 15, "desk_hours": list(desk_hours)}
    services.save_sheet(org, sheet)


@pytest.mark.parametrize(
    ("hour", "day_offset", "queued"),
    [(9, 0, True), (18, 5, True), (6, 0, False), (19, 0, False), (10, 6, False)],
)
def test_all_calls_contract_queues_direct_calls_in_covered_hours_only(
    clock, hour, day_offset, queued
):
    secretariat_cast.build(mode=Contract.Mode.ALL_CALLS)
    clock(at(MONDAY + dt.timedelta(days=day_offset), hour))
    root = incoming("CA1")
    assert (root.find("Enqueue") is not None) is queued
    assert (root.find("Gather") is not None) is (not queued)  # else the receptionist
    assert QueuedCall.objects.exists() is queued
    assert Call.objects.exists() is (not queued)


def test_overflow_contract_rings_the_desk_for_its_seconds_then_queues(clock):
    cast = secretariat_cast.build(mode=Contract.Mode.OVERFLOW)
    Contract.objects.filter(pk=cast.contracts[0].pk).update(overflow_seconds=35)
    with_fallback(cast.clients[0], "+33322001111")
    clock(at(MONDAY, 9))
    dial = incoming("CA2").find("Dial")
    assert (dial.text, dial.get("timeout")) == ("+33322001111", "35")
    assert dial.get("action") == VOICE + "?overflow=1"
    assert not QueuedCall.objects.exists()
    root = incoming("CA2", path=VOICE + "?overflow=1", DialCallStatus="no-answer")
    assert root.find("Enqueue") is not None
    assert QueuedCall.objects.get().twilio_call_sid == "CA2"
    # The desk picked up another call: nothing more to do.
    root = incoming("CA3", path=VOICE + "?overflow=1", DialCallStatus="completed")
    assert root.find("Hangup") is not None and QueuedCall.objects.count() == 1


def test_outside_desk_hours_contract_follows_the_sheets_desk_hours(clock):
    cast = secretariat_cast.build(mode=Contract.Mode.OUTSIDE_DESK_HOURS)
    hours = [{"days": [0, 1, 2, 3, 4], "start": "08:30", "end": "12:00"}]
    set_answering(cast.clients[0], "always", hours)
    clock(at(MONDAY, 9))
    assert incoming("CA4").find("Gather") is not None  # desk open: the sheet (agent)
    clock(at(MONDAY, 12, 30))
    assert incoming("CA5").find("Enqueue") is not None  # desk closed: the secretariat


def test_handovers_contract_lets_the_receptionist_answer_first(clock):
    cast = secretariat_cast.build(mode=Contract.Mode.HANDOVERS)
    with_fallback(cast.clients[0], "+33322001111")
    set_answering(cast.clients[0], "overflow")
    clock(at(MONDAY, 9))
    dial = incoming("CA6").find("Dial")  # the sheet: desk first (its 15 seconds)
    assert (dial.text, dial.get("timeout")) == ("+33322001111", "15")
    root = incoming("CA6", path=VOICE + "?overflow=1", DialCallStatus="no-answer")
    assert root.find("Gather") is not None and not QueuedCall.objects.exists()


def test_an_inactive_contract_routes_nothing(clock):
    cast = secretariat_cast.build(mode=Contract.Mode.ALL_CALLS)
    Contract.objects.filter(pk=cast.contracts[0].pk).update(active=False)
    clock(at(MONDAY, 9))
    assert incoming("CA7").find("Gather") is not None and not QueuedCall.objects.exists()
