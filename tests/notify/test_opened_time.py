"""Time opened in an agenda (absence removed, period added) is offered to the waitlist,
and a message left for a practitioner tells them by e-mail."""

import datetime as dt

import pytest

from accueil.booking.models import Channel
from accueil.desk.services import leave_message
from accueil.directory.models import Membership
from accueil.notify import services
from accueil.notify.models import Kind, Message, WaitlistOffer
from accueil.scheduling.services import add_absence, remove_absence, save_period
from tests import factories
from tests.factories import MONDAY, NOW
from tests.notify.conftest import at, identity

pytestmark = pytest.mark.django_db


def test_removing_an_absence_offers_its_time_to_the_waitlist(agenda):
    _, practitioner, motif = agenda
    absence, _ = add_absence(practitioner, at(MONDAY, 9), at(MONDAY, 12), reason="Congrès")
    entry = services.join_waitlist(
        motif=motif, identity=identity(email=""), earliest=MONDAY, latest=MONDAY
    )
    assert not WaitlistOffer.objects.exists()
    remove_absence(absence)
    (offer,) = WaitlistOffer.objects.all()
    assert offer.entry == entry
    assert at(MONDAY, 9) <= offer.start < at(MONDAY, 12)
    assert Message.objects.filter(kind=Kind.WAITLIST_OFFER).exists()


def test_a_new_opening_period_offers_its_slots(agenda):
    org, practitioner, motif = agenda
    saturday = MONDAY + dt.timedelta(days=5)
    services.join_waitlist(
        motif=motif, identity=identity(email=""), earliest=saturday, latest=saturday
    )
    save_period(
        practitioner,
        None,
        site=practitioner.sites.get(),
        motifs=[motif],
        start_time=dt.time(9),
        end_time=dt.time(10),
        single_date=saturday,
    )
    (offer,) = WaitlistOffer.objects.all()
    assert offer.start.date() == saturday


def test_a_message_for_a_practitioner_emails_them_without_its_content(agenda):
    org, practitioner, _ = agenda
    doctor = factories.staff(org, Membership.Role.PRACTITIONER, email="dr@example.org")
    Membership.objects.filter(user=doctor).update(practitioner=practitioner)
    leave_message(
        org,
        body="Résultats de prise de sang à voir",
        channel=Channel.DESK,
        now=NOW,
        practitioner=practitioner,
        urgent=True,
    )
    (email,) = Message.objects.filter(kind=Kind.PRACTITIONER_MESSAGE)
    assert email.recipient == "dr@example.org"
    assert "prise de sang" not in email.body and "URGENT" in email.subject + email.body
