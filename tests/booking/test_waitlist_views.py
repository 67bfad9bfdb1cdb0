"""The waitlist on the public site: join, leave, and take a freed slot from the offer link."""

import datetime as dt

import pytest
from django.urls import reverse

from accueil.booking import services as booking
from accueil.booking import waitlist_views
from accueil.booking.models import Appointment, Channel, Status
from accueil.directory.services import Audience
from accueil.notify.models import WaitlistEntry, WaitlistOffer
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

WAITER = {
    "first_name": "Paul",
    "last_name": "Martin",
    "birth_date": "03/02/1979",
    "phone": "06 98 76 54 32",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(waitlist_views, "_now", lambda: NOW)
    monkeypatch.setattr("accueil.booking.views._now", lambda: NOW)


@pytest.fixture
def cabinet():
    return factories.agenda()


def join_url(org, p, m):
    return reverse("booking:waitlist_join", args=[org.slug, p.id, m.id])


def test_the_week_page_leads_to_the_waitlist(client, cabinet):
    org, p, m = cabinet
    week = client.get(reverse("booking:week", args=[org.slug, p.id, m.id]))
    assert join_url(org, p, m) in week.content.decode()


def test_joining_needs_a_valid_identity_and_consent_and_writes_nothing_otherwise(client, cabinet):
    org, p, m = cabinet
    response = client.post(join_url(org, p, m), {**WAITER, "phone": "0612", "consent": ""})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["consent"] and "phone" not in form.errors  # form first, then service
    response = client.post(join_url(org, p, m), {**WAITER, "phone": "0612"})
    assert response.context["form"].errors["phone"] == ["Numéro de téléphone invalide."]
    assert not WaitlistEntry.objects.exists()


def test_join_then_leave(client, cabinet):
    org, p, m = cabinet
    body = {**WAITER, "times_of_day": ["morning"], "earliest": "04/01/2027"}
    response = client.post(join_url(org, p, m), body)
    entry = WaitlistEntry.objects.get()
    assert (entry.practitioner, entry.times_of_day, entry.phone) == (p, "morning", "+33698765432")
    leave = reverse("booking:waitlist_leave", args=[entry.token])
    assert leave in response.content.decode()
    assert client.get(leave).status_code == 200
    client.post(leave)
    entry.refresh_from_db()
    assert not entry.active
    assert client.get(leave).status_code == 404


def test_any_practitioner_of_the_practice(client, cabinet):
    org, p, m = cabinet
    client.post(join_url(org, p, m), {**WAITER, "any_practitioner": "1"})
    assert WaitlistEntry.objects.get().practitioner is None


def offers_after_a_cancellation(client, cabinet, waiters=2):
    org, p, m = cabinet
    for n in range(waiters):
        client.post(join_url(org, p, m), {**WAITER, "first_name": f"Attente{n}"})
    freed = booking.book(
        practitioner=p,
        motif=m,
        start=wall_clock(MONDAY, dt.time(10)),
        patient=factories.patient(org),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    booking.cancel(freed, by_patient=True, channel=Channel.WEB, now=NOW)
    return list(WaitlistOffer.objects.order_by("entry__joined_at", "id"))


def test_the_first_waiter_to_accept_gets_the_slot_the_other_is_told(client, cabinet):
    first, second = offers_after_a_cancellation(client, cabinet)[:2]
    assert first.start == second.start == wall_clock(MONDAY, dt.time(10))
    page = client.get(reverse("booking:waitlist_offer", args=[first.token]))
    assert "Réserver ce rendez-vous" in page.content.decode()

    response = client.post(reverse("booking:waitlist_offer", args=[first.token]))
    appointment = Appointment.objects.get(status=Status.BOOKED)
    assert response["Location"] == reverse(
        "booking:manage", args=[appointment.public_id, appointment.manage_token]
    )
    assert appointment.patient.first_name == "Attente0"

    late = client.post(reverse("booking:waitlist_offer", args=[second.token]))
    assert late.status_code == 409
    assert "réservé par une autre personne" in late.content.decode()
    assert WaitlistEntry.objects.get(first_name="Attente1").active


def test_unknown_and_expired_offers(client, cabinet, monkeypatch):
    (offer, *_) = offers_after_a_cancellation(client, cabinet, waiters=1)
    assert client.get(reverse("booking:waitlist_offer", args=["nope"])).status_code == 404
    monkeypatch.setattr(waitlist_views, "_now", lambda: offer.expires_at + dt.timedelta(1))
    page = client.get(reverse("booking:waitlist_offer", args=[offer.token]))
    assert "a expiré" in page.content.decode()
    assert "Réserver ce rendez-vous" not in page.content.decode()
    response = client.post(reverse("booking:waitlist_offer", args=[offer.token]))
    assert response.status_code == 409
    assert Appointment.objects.filter(status=Status.BOOKED).count() == 0


def test_the_manage_page_offers_the_waitlist(client, cabinet):
    org, p, m = cabinet
    appointment = booking.book(
        practitioner=p,
        motif=m,
        start=wall_clock(MONDAY + dt.timedelta(days=7), dt.time(10)),
        patient=factories.patient(org),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    page = client.get(
        reverse("booking:manage", args=[appointment.public_id, appointment.manage_token])
    )
    assert join_url(org, p, m) in page.content.decode()
