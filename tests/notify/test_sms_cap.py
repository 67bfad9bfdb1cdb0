"""SMS pumping: at most SMS_DAILY_CAP_PER_NUMBER SMS to one number in a Paris day, all
practices and kinds together; the others are dropped with a reason staff can read."""

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accueil.notify import sending
from accueil.notify.models import Channel, Kind, Message
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.abuse_limits]

NUMBER = "+33612345678"
_keys = itertools.count()


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.SMS_QUIET_HOURS = ""


def queue(org, n: int, *, recipient: str = NUMBER, channel: str = Channel.SMS) -> None:
    now = timezone.now()
    for i in range(n):
        Message.objects.create(
            organisation=org,
            kind=Kind.REMINDER,
            channel=channel,
            recipient=recipient,
            body=f"Rappel {i}",
            scheduled_for=now,
            next_attempt_at=now,
            idempotency_key=f"cap-{next(_keys)}",
        )


def statuses(recipient: str = NUMBER) -> list[str]:
    return list(
        Message.objects.filter(recipient=recipient).order_by("id").values_list("status", flat=True)
    )


@pytest.mark.parametrize("cap", [3, 0], ids=["capped", "no cap (negative control)"])
def test_sms_over_the_daily_cap_are_not_sent(settings, memory_sms, cap):
    settings.SMS_DAILY_CAP_PER_NUMBER = cap
    org, other = factories.organisation(), factories.organisation()
    queue(org, 2)
    queue(other, 3)  # another practice texting the same number counts too
    queue(org, 2, recipient="+33699999999")
    sending.send_due()
    if cap:
        assert [m.recipient for m in memory_sms].count(NUMBER) == 3
        assert sorted(statuses()) == ["dropped", "dropped", "sent", "sent", "sent"]
        dropped = Message.objects.filter(status="dropped")
        assert {m.last_error for m in dropped} == {
            "Plafond de 3 SMS par jour atteint pour ce numéro (protection anti-abus)."
        }
    else:
        assert [m.recipient for m in memory_sms].count(NUMBER) == 5
    assert statuses("+33699999999") == ["sent", "sent"]  # other numbers are not affected


def test_e_mails_are_neither_capped_nor_counted(settings, memory_sms, mailoutbox):
    settings.SMS_DAILY_CAP_PER_NUMBER = 1
    org = factories.organisation()
    queue(org, 3, recipient="jeanne@example.org", channel=Channel.EMAIL)
    queue(org, 1)
    sending.send_due()
    assert set(statuses("jeanne@example.org")) == {"sent"}
    assert statuses() == ["sent"]


def test_the_cap_counts_today_only(settings, memory_sms):
    settings.SMS_DAILY_CAP_PER_NUMBER = 1
    org = factories.organisation()
    queue(org, 1)
    sending.send_due()
    Message.objects.filter(status="sent").update(sent_at=timezone.now() - dt.timedelta(days=1))
    queue(org, 1)
    sending.send_due()
    assert statuses() == ["sent", "sent"]


def test_staff_see_why_in_undelivered_messages(settings, memory_sms, practice):
    settings.SMS_DAILY_CAP_PER_NUMBER = 1
    org = practice["organisation"]
    queue(org, 2)
    sending.send_due()
    client = Client()
    factories.login_verified(client, practice["owner"])
    page = client.get(reverse("desk:undelivered", args=[org.slug]))
    assert "Plafond de 1 SMS par jour atteint pour ce numéro" in page.content.decode()
