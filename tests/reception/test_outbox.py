"""A booking by phone queues the patient's confirmation in the notification outbox, like any
channel's booking (the outbox reads the appointment events)."""

import pytest

from accueil.notify.models import Kind, Message
from accueil.reception import services
from tests.reception.agenda import KNOWN_CALLER, NOW, build_practice

pytestmark = pytest.mark.django_db


def test_a_phone_booking_queues_the_confirmation_sms():
    build_practice()
    call = services.start_call(to="+33322000000", from_=KNOWN_CALLER, now=NOW).call
    for text in ["un rendez-vous vendredi", "dupont", "3 mars 1985", "le premier"]:
        answer = services.take_turn(call.id, text, now=NOW)
    assert answer.outcome == "booked"
    confirmations = Message.objects.filter(kind=Kind.CONFIRMATION)
    assert confirmations.exists()
    assert {m.recipient for m in confirmations if m.channel == "sms"} == {KNOWN_CALLER}
