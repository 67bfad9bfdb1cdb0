"""Rate limits on the public site: booking per address and per phone, manage-link guessing,
waitlist sign-ups. Each test runs with the limit and without it (the negative control)."""

import pytest
from django.test import Client
from django.urls import reverse

from accueil.booking.models import Appointment
from accueil.notify.models import Message, WaitlistEntry
from accueil.patients.models import Patient
from tests.booking import test_views as pages
from tests.booking.test_views import manage_url, nine, post_booking, text
from tests.booking.test_waitlist_views import WAITER, join_url

pytestmark = [pytest.mark.django_db, pytest.mark.abuse_limits]

frozen_now = pages.frozen_now
cabinet = pages.cabinet


@pytest.fixture(params=[True, False], ids=["limited", "lifted"])
def limited(request, settings):
    """With the scopes a test sets, or (negative control) with every limit lifted."""
    settings.RATE_LIMITS_ENABLED = request.param
    return request.param


def set_limit(settings, scope: str, count: int, seconds: int = 3600) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (count, seconds)}


def assert_429_page(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Trop de demandes. Réessayez dans" in text(response)
    assert "minute" in text(response)
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_bookings_per_address(client, cabinet, settings, limited):
    set_limit(settings, "booking_ip", 2)
    for i, minute in enumerate((0, 20)):
        response = post_booking(client, cabinet, nine(minute), phone=f"06 12 34 56 7{i}")
        assert response.status_code == 302
    patients, messages = Patient.objects.count(), Message.objects.count()
    third = post_booking(client, cabinet, nine(40), phone="06 12 34 56 79")
    if limited:
        assert_429_page(third)
        # Counted before anything is written: no patient, appointment or message.
        assert Appointment.objects.count() == 2
        assert Patient.objects.count() == patients
        assert Message.objects.count() == messages
    else:
        assert third.status_code == 302
        assert Appointment.objects.count() == 3


def test_a_forged_forwarded_for_does_not_reset_the_count(cabinet, settings, limited):
    """X-Forwarded-For is ignored unless the connection comes from TRUSTED_PROXIES."""
    set_limit(settings, "booking_ip", 1)
    client = Client(headers={"X-Forwarded-For": "203.0.113.1"})
    assert post_booking(client, cabinet, nine(0)).status_code == 302
    client = Client(headers={"X-Forwarded-For": "203.0.113.2"})
    response = post_booking(client, cabinet, nine(20), phone="06 11 11 11 11")
    assert response.status_code == (429 if limited else 302)


def test_bookings_per_phone_from_many_addresses(cabinet, settings, limited):
    """Anti SMS pumping: one number gets few confirmations a day, whoever books."""
    set_limit(settings, "booking_phone", 2, 86400)
    typed = ["06 12 34 56 78", "+33612345678", "0612345678"]
    statuses = []
    for i, (minute, phone) in enumerate(zip((0, 20, 40), typed, strict=True)):
        client = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        response = post_booking(client, cabinet, nine(minute), phone=phone, first_name=f"P{i}")
        statuses.append(response.status_code)
    assert statuses == ([302, 302, 429] if limited else [302, 302, 302])
    assert Appointment.objects.count() == (2 if limited else 3)


def test_guessing_manage_links(client, cabinet, settings, limited):
    set_limit(settings, "token_miss_ip", 3)
    post_booking(client, cabinet, nine(0))
    appointment = Appointment.objects.get()
    wrong = reverse("booking:manage", args=[appointment.public_id, "x" * 32])
    assert [client.get(wrong).status_code for _ in range(3)] == [404, 404, 404]
    # Used up: even the right link is refused from this address, for this hour.
    right = client.get(manage_url(appointment))
    if limited:
        assert_429_page(right)
        assert Client(REMOTE_ADDR="198.51.100.7").get(manage_url(appointment)).status_code == 200
    else:
        assert right.status_code == 200


def test_right_links_count_only_against_the_generous_limit(client, cabinet, settings, limited):
    set_limit(settings, "token_miss_ip", 1)
    set_limit(settings, "manage_ip", 5)
    post_booking(client, cabinet, nine(0))
    appointment = Appointment.objects.get()
    statuses = [client.get(manage_url(appointment)).status_code for _ in range(6)]
    assert statuses == ([200] * 5 + [429] if limited else [200] * 6)


def test_guessing_waitlist_links(client, cabinet, settings, limited):
    set_limit(settings, "token_miss_ip", 2)
    for _ in range(2):
        assert client.get(reverse("booking:waitlist_offer", args=["nope"])).status_code == 404
    third = client.get(reverse("booking:waitlist_leave", args=["nope"]))
    assert third.status_code == (429 if limited else 404)


def test_waitlist_sign_ups_per_phone_and_per_address(client, cabinet, settings, limited):
    org, p, m = cabinet["organisation"], cabinet["practitioner"], cabinet["motif"]
    set_limit(settings, "waitlist_phone", 1, 86400)
    set_limit(settings, "waitlist_ip", 2)
    first = client.post(join_url(org, p, m), WAITER)
    assert first.status_code == 200
    again = Client(REMOTE_ADDR="198.51.100.9").post(
        join_url(org, p, m), {**WAITER, "first_name": "Pierre"}
    )
    other_phone = client.post(join_url(org, p, m), {**WAITER, "phone": "06 11 22 33 44"})
    third_from_here = client.post(join_url(org, p, m), {**WAITER, "phone": "06 55 22 33 44"})
    if limited:
        assert_429_page(again)
        assert other_phone.status_code == 200
        assert_429_page(third_from_here)
        assert WaitlistEntry.objects.count() == 2
    else:
        assert {again.status_code, other_phone.status_code, third_from_here.status_code} == {200}
        assert WaitlistEntry.objects.count() == 4
