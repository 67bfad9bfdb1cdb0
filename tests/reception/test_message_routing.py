"""Messages routed by the instruction sheet: the desk inbox always, SMS and/or e-mail to the
practitioner as the category says, urgent ones raised, everything in one transaction, and
never the caller's words in an SMS or a log."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import transaction

from accueil.booking.models import Channel
from accueil.desk.models import StaffMessage
from accueil.notify import services as notify
from accueil.notify.models import Channel as Via
from accueil.notify.models import Kind, Message
from accueil.reception import services
from accueil.scheduling.engine import PARIS
from tests import factories

NOON = dt.datetime(2027, 1, 5, 12, 0, tzinfo=PARIS)
NIGHT = dt.datetime(2027, 1, 5, 23, 30, tzinfo=PARIS)
BODY = "Ma prise de sang montre une glycémie à 2,1 g/l, je m'inquiète."


@pytest.fixture
def practice(db):
    org, practitioner, _ = factories.agenda()
    practitioner.last_name = "Lemoine"
    practitioner.pro_mobile = "+33611000001"
    practitioner.pro_email = "lemoine@pro.example.org"
    practitioner.save()
    return org, practitioner


def with_routes(org, route, *, urgent=False, practitioner="Lemoine", key="resultats"):
    sheet = services.current_sheet(org)[1]
    for category in sheet["messages"]["categories"]:
        if category["key"] == key:
            category.update(route=route, urgent=urgent, practitioner=practitioner)
    services.save_sheet(org, sheet)


def take(org, category="resultats", *, now=NOON, **kw):
    kw.setdefault("caller_name", "Marie Dupont")
    kw.setdefault("caller_phone", "06 12 34 56 78")
    return services.take_message(
        org, body=BODY, channel=Channel.PHONE_AGENT, now=now, category=category, **kw
    )


def outbox():
    return list(Message.objects.filter(kind=Kind.PRACTITIONER_MESSAGE).order_by("channel"))


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (["desk"], []),
        (["desk", "sms"], [(Via.SMS, "+33611000001")]),
        (["desk", "email"], [(Via.EMAIL, "lemoine@pro.example.org")]),
        (
            ["desk", "sms", "email"],
            [(Via.EMAIL, "lemoine@pro.example.org"), (Via.SMS, "+33611000001")],
        ),
        ("sms", [(Via.SMS, "+33611000001")]),  # a version saved when routes were one word
    ],
)
def test_routing_table(practice, route, expected):
    org, practitioner = practice
    with_routes(org, route)
    message = take(org)
    assert StaffMessage.objects.get() == message  # the inbox always has it
    assert (message.practitioner, message.category) == (practitioner, "resultats")
    assert message.category_label == "Résultats d'examen"
    assert [(m.channel, m.recipient) for m in outbox()] == expected
    assert all(m.status == Message.Status.QUEUED for m in outbox())


def test_nothing_is_sent_when_the_sheet_says_inbox_only(practice):
    org, practitioner = practice
    with_routes(org, ["desk"])
    for category in ("renouvellement", "resultats", "administratif", "autre", "inconnue"):
        take(org, category, practitioner=practitioner)
    assert StaffMessage.objects.count() == 5
    assert Message.objects.count() == 0


def test_each_category_has_its_own_routing(practice):
    org, practitioner = practice
    sheet = services.current_sheet(org)[1]
    routes = {"renouvellement": ["desk", "email"], "resultats": ["desk", "sms"]}
    for category in sheet["messages"]["categories"]:
        category["route"] = routes.get(category["key"], ["desk"])
        category["practitioner"] = "Lemoine"
    services.save_sheet(org, sheet)
    sent = {}
    for key in ("renouvellement", "resultats", "administratif"):
        message = take(org, key)
        sent[key] = [
            m.channel
            for m in Message.objects.filter(idempotency_key__startswith=f"pm{message.id}-")
        ]
    assert sent == {"renouvellement": [Via.EMAIL], "resultats": [Via.SMS], "administratif": []}


def test_unknown_category_follows_the_catch_all_and_none_stays_in_the_inbox(practice):
    org, _ = practice
    with_routes(org, ["desk", "sms"], key="autre")
    take(org, "pas-une-categorie")
    assert [m.channel for m in outbox()] == [Via.SMS]
    take(org, None)  # e.g. an emergency note of the receptionist: for the desk only
    assert len(outbox()) == 1
    assert StaffMessage.objects.filter(category="").count() == 1


def test_sms_needs_a_practitioner_and_a_mobile(practice):
    org, practitioner = practice
    with_routes(org, ["desk", "sms"], practitioner=None)
    take(org)  # nobody named by the caller nor by the sheet
    assert outbox() == []
    practitioner.pro_mobile = ""
    practitioner.save()
    take(org, practitioner=practitioner)
    assert outbox() == []
    assert StaffMessage.objects.count() == 2


def test_email_without_a_professional_address_goes_to_the_staff_accounts(practice):
    org, practitioner = practice
    practitioner.pro_email = ""
    practitioner.save()
    user = factories.staff(org, email="dr.lemoine@example.org")
    user.memberships.update(practitioner=practitioner)
    with_routes(org, ["desk", "email"])
    take(org)
    assert [m.recipient for m in outbox()] == ["dr.lemoine@example.org"]


def test_the_sms_carries_a_summary_and_a_link_never_the_callers_words(practice, caplog):
    org, _ = practice
    with_routes(org, ["desk", "sms", "email"])
    with caplog.at_level(logging.DEBUG):
        message = take(org)
    for row in outbox():
        text = row.subject + row.body
        assert "Résultats d'examen" in text
        assert f"/desk/{org.slug}/messages/" in text
        for private in ("glycémie", "Dupont", "Marie", "06 12", "+3361234"):
            assert private not in text
    assert message.body == BODY  # the whole message stays in the inbox, behind login
    for record in caplog.records:
        assert "glycémie" not in record.getMessage()
        assert "Dupont" not in record.getMessage()


def test_urgent_category_raises_the_message(practice):
    org, _ = practice
    with_routes(org, ["desk", "sms"], urgent=True)
    message = take(org)
    assert message.urgent
    assert outbox()[0].body.split(" : ", 1)[1].startswith("URGENT : ")
    with_routes(org, ["desk", "sms"], urgent=False)
    assert not take(org).urgent
    assert take(org, urgent=True).urgent  # the caller's own urgency is kept


def test_quiet_hours_apply_to_practitioners_unless_urgent_and_they_chose_so(practice, settings):
    org, practitioner = practice
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    morning = dt.datetime(2027, 1, 6, 8, 0, tzinfo=PARIS)
    with_routes(org, ["desk", "sms"], urgent=False)
    take(org, now=NIGHT)
    with_routes(org, ["desk", "sms"], urgent=True)
    take(org, now=NIGHT)  # urgent, but the practitioner did not opt in
    practitioner.urgent_sms_anytime = True
    practitioner.save()
    take(org, now=NIGHT)
    with_routes(org, ["desk", "sms"], urgent=False)
    take(org, now=NIGHT)  # opted in, but not urgent
    scheduled = [
        m.scheduled_for
        for m in Message.objects.filter(kind=Kind.PRACTITIONER_MESSAGE).order_by("id")
    ]
    assert scheduled == [morning, morning, NIGHT, morning]


def test_inbox_and_outbox_rows_commit_together(practice):
    org, _ = practice
    with_routes(org, ["desk", "sms", "email"])
    with pytest.raises(RuntimeError), transaction.atomic():
        take(org)
        assert StaffMessage.objects.count() == 1 and len(outbox()) == 2
        raise RuntimeError("the call's turn fails after the message")
    assert StaffMessage.objects.count() == 0
    assert Message.objects.count() == 0


def test_a_failing_outbox_leaves_no_message_in_the_inbox(practice, monkeypatch):
    org, _ = practice
    with_routes(org, ["desk", "sms"])

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(notify, "queue", broken)
    with pytest.raises(RuntimeError):
        take(org)
    assert StaffMessage.objects.count() == 0


def test_the_receptionist_routes_through_the_same_service(practice):
    org, practitioner = practice
    org.phone = "03 22 00 00 00"
    org.save()
    with_routes(org, ["desk", "sms"])
    started = services.start_call(to="+33322000000", from_="+33687654321", now=NOON)
    for text in (
        "j'appelle pour avoir les résultats de ma prise de sang",
        "paul martin",
        BODY,
    ):
        reply = services.take_turn(started.call.id, text, now=NOON)
    assert reply.outcome == "message_taken"
    message = StaffMessage.objects.get()
    assert (message.category, message.channel, message.practitioner) == (
        "resultats",
        Channel.PHONE_AGENT,
        practitioner,
    )
    assert [(m.channel, m.recipient) for m in outbox()] == [(Via.SMS, "+33611000001")]
    assert "glycémie" not in outbox()[0].body
