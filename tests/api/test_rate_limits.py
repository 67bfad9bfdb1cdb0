"""Rate limits on the API: 429 {"error": "rate_limited"} with Retry-After, counted before
any work. Each test runs with the limit and without it (the negative control)."""

import json

import pytest
from django.test import Client

from accueil.booking.models import Appointment
from accueil.notify.models import Message, WaitlistEntry
from accueil.patients.models import Patient
from accueil.reception.models import Call
from tests.api import test_v1
from tests.api.test_v1 import booking_body, nine, post
from tests.reception.agenda import build_practice

pytestmark = [pytest.mark.django_db, pytest.mark.abuse_limits]

frozen_now = test_v1.frozen_now
agenda = test_v1.agenda


@pytest.fixture(params=[True, False], ids=["limited", "lifted"])
def limited(request, settings):
    settings.RATE_LIMITS_ENABLED = request.param
    return request.param


def set_limit(settings, scope: str, count: int, seconds: int = 3600) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (count, seconds)}


def assert_429(response) -> None:
    assert response.status_code == 429
    assert response.json() == {"error": "rate_limited"}
    assert int(response["Retry-After"]) > 0


def nine_twenty() -> str:
    return nine().replace("T09:00", "T09:20")


def test_api_posts_per_address(agenda, settings, limited):
    _, p, m = agenda
    set_limit(settings, "api_ip", 1)
    client = Client()
    assert post(client, "/api/v1/appointments", booking_body(p, m, nine())).status_code == 201
    counts = (Patient.objects.count(), Message.objects.count())
    second = post(
        client, "/api/v1/appointments", booking_body(p, m, nine_twenty(), phone="0611111111")
    )
    if limited:
        assert_429(second)
        assert Appointment.objects.count() == 1
        assert (Patient.objects.count(), Message.objects.count()) == counts
    else:
        assert second.status_code == 201


def test_bookings_per_phone_from_many_addresses(agenda, settings, limited):
    _, p, m = agenda
    set_limit(settings, "booking_phone", 1, 86400)
    first = post(
        Client(REMOTE_ADDR="198.51.100.1"), "/api/v1/appointments", booking_body(p, m, nine())
    )
    assert first.status_code == 201
    second = post(
        Client(REMOTE_ADDR="198.51.100.2"),
        "/api/v1/appointments",
        booking_body(p, m, nine_twenty(), phone="+33 6 12 34 56 78", first_name="Paul"),
    )
    if limited:
        assert_429(second)
    else:
        assert second.status_code == 201


def test_guessing_tokens(agenda, settings, limited):
    _, p, m = agenda
    set_limit(settings, "token_miss_ip", 2)
    client = Client()
    created = post(client, "/api/v1/appointments", booking_body(p, m, nine())).json()
    url = f"/api/v1/appointments/{created['id']}"
    assert client.get(url, {"token": "wrong"}).status_code == 404
    assert post(client, url + "/cancel", {"token": "wrong"}).status_code == 404
    right = client.get(url, {"token": created["manage_token"]})
    if limited:
        assert_429(right)
        assert (
            Client(REMOTE_ADDR="198.51.100.3")
            .get(url, {"token": created["manage_token"]})
            .status_code
            == 200
        )
    else:
        assert right.status_code == 200


def test_waitlist_per_phone(agenda, settings, limited):
    _, p, m = agenda
    set_limit(settings, "waitlist_phone", 1, 86400)
    body = {"motif": m.id, "patient": booking_body(p, m, nine())["patient"]}
    assert post(Client(), "/api/v1/waitlist", body).status_code == 201
    again = post(Client(REMOTE_ADDR="198.51.100.4"), "/api/v1/waitlist", body)
    if limited:
        assert_429(again)
        assert WaitlistEntry.objects.count() == 1
    else:
        assert again.status_code == 201


def test_waitlist_deletes_guessing_tokens(agenda, settings, limited):
    set_limit(settings, "token_miss_ip", 1)
    client = Client()
    assert client.delete("/api/v1/waitlist/nope").status_code == 404
    response = client.delete("/api/v1/waitlist/nope-again")
    if limited:
        assert_429(response)
    else:
        assert response.status_code == 404


def test_calls_from_one_number(settings, limited):
    """The receptionist texts callers: one number starting call after call is refused."""
    build_practice()
    settings.ACCUEIL_TELEPHONY_TOKEN = "t"
    set_limit(settings, "call_number", 2)
    client = Client(headers={"Authorization": "Bearer t"})

    def call(caller: str):
        body = json.dumps({"to": "+33322000000", "from": caller})
        return client.post("/api/v1/calls", body, content_type="application/json")

    assert [call("06 99 88 77 66").status_code for _ in range(2)] == [201, 201]
    third = call("+33699887766")
    if limited:
        assert_429(third)
        assert Call.objects.count() == 2
        assert call("06 99 88 77 00").status_code == 201  # another caller
    else:
        assert third.status_code == 201
