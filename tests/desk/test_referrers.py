"""The referrers' area: an outside professional books the motifs open to referrers through
the one booking service, and sees or cancels only what they booked."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel, Status
from accueil.desk import services
from accueil.directory.models import Membership, Motif
from accueil.directory.services import Audience
from accueil.patients.services import PatientIdentity
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.access import login
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

IDENTITY = PatientIdentity(
    first_name="Jeanne", last_name="Adressée", birth_date=dt.date(1970, 3, 2), phone="0612345678"
)


@pytest.fixture
def world(practice):
    org, p = practice["organisation"], practice["practitioner"]
    referrer = factories.staff(org, Membership.Role.REFERRER)
    practice["motif"].bookable_by = Motif.BookableBy.STAFF  # the desk's only
    practice["motif"].save()
    open_motif = factories.motif(org, [p], name="Avis spécialisé", bookable_by="referrers")
    p.opening_periods.get().motifs.add(open_motif)
    staff_booked = booking.book(
        practitioner=p,
        motif=practice["motif"],
        start=wall_clock(MONDAY, dt.time(9)),
        patient=factories.patient(org, last_name="Confidentiel"),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    return {
        **practice,
        "referrer": referrer,
        "membership": Membership.objects.get(user=referrer),
        "open_motif": open_motif,
        "staff_booked": staff_booked,
    }


def test_a_referrer_books_a_motif_open_to_referrers_as_its_author(world):
    appointment = services.book_for_referrer(
        world["membership"],
        practitioner=world["practitioner"],
        motif=world["open_motif"],
        start=wall_clock(MONDAY, dt.time(10)),
        identity=IDENTITY,
        now=NOW,
    )
    assert appointment.created_by == world["referrer"]
    assert appointment.channel == Channel.REFERRER
    assert list(services.referrer_appointments(world["membership"])) == [appointment]


def test_a_referrer_cannot_book_a_staff_only_motif(world):
    staff_only = world["open_motif"]
    staff_only.bookable_by = Motif.BookableBy.STAFF
    staff_only.save()
    with pytest.raises(ValidationError):
        services.book_for_referrer(
            world["membership"],
            practitioner=world["practitioner"],
            motif=staff_only,
            start=wall_clock(MONDAY, dt.time(10)),
            identity=IDENTITY,
            now=NOW,
        )
    assert not Appointment.objects.filter(created_by=world["referrer"]).exists()


def test_services_scope_a_referrer_to_what_they_booked(world):
    membership = world["membership"]
    other = world["staff_booked"]
    assert not services.visible_appointments(membership).filter(pk=other.pk).exists()
    assert services.search_patients(membership, "Confidentiel") == []
    assert services.patient_file(membership, other.patient_id) is None
    assert services.cancel_for_referrer(membership, other.public_id, now=NOW) is None
    other.refresh_from_db()
    assert other.status == Status.BOOKED


def test_booking_services_refuse_staff_and_analysts(world):
    for role in (Membership.Role.SECRETARY, Membership.Role.ANALYST):
        membership = Membership.objects.get(
            user=factories.staff(world["organisation"], role), organisation=world["organisation"]
        )
        with pytest.raises(PermissionDenied):
            services.referrer_appointments(membership)
    analyst = Membership(organisation=world["organisation"], role=Membership.Role.ANALYST)
    assert not services.visible_appointments(analyst).exists()
    assert not services.visible_patients(analyst).exists()


def test_referrer_pages_book_list_and_cancel(client, world, monkeypatch):
    monkeypatch.setattr(booking.timezone, "now", lambda: NOW)
    slug = world["organisation"].slug
    login(client, world["referrer"])
    assert client.get(reverse("desk:home"))["Location"] == reverse("desk:referrer", args=[slug])
    page = client.get(
        reverse("desk:referrer_book", args=[slug]),
        {"practitioner": world["practitioner"].id, "motif": world["open_motif"].id, "day": MONDAY},
    ).content.decode()
    assert "Avis spécialisé" in page and world["motif"].name not in page  # staff motif hidden
    start = wall_clock(MONDAY, dt.time(10)).astimezone(dt.UTC).isoformat()
    assert start in page
    response = client.post(
        reverse("desk:referrer_book", args=[slug]),
        {
            "practitioner": world["practitioner"].id,
            "motif": world["open_motif"].id,
            "day": MONDAY,
            "start": start,
            "first_name": "Jeanne",
            "last_name": "Adressée",
            "birth_date": "1970-03-02",
            "phone": "06 12 34 56 78",
        },
    )
    assert response.status_code == 302
    mine = Appointment.objects.get(created_by=world["referrer"])
    listing = client.get(reverse("desk:referrer", args=[slug])).content.decode()
    assert "ADRESSÉE" in listing and "CONFIDENTIEL" not in listing.upper()
    # Someone else's appointment: 404, untouched; theirs: cancelled.
    other = world["staff_booked"].public_id
    assert client.post(reverse("desk:referrer_cancel", args=[slug, other])).status_code == 404
    client.post(reverse("desk:referrer_cancel", args=[slug, mine.public_id]))
    mine.refresh_from_db()
    assert mine.status == Status.CANCELLED_BY_PRACTICE
    assert Appointment.objects.get(public_id=other).status == Status.BOOKED


def test_a_referrer_gets_403_on_staff_pages(client, world):
    slug = world["organisation"].slug
    login(client, world["referrer"])
    for name in ("desk:agenda", "desk:patients", "desk:waiting_room", "desk:stats"):
        assert client.get(reverse(name, args=[slug])).status_code == 403, name
    url = reverse("desk:appointment", args=[slug, world["staff_booked"].public_id])
    assert client.get(url).status_code == 403
