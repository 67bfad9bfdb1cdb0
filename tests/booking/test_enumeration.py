"""No one learns whether someone is a patient of a practice from the public site or the API:
booking and joining the waitlist answer exactly alike (status, page, messages sent, modulo
the new ids and tokens) whether a patient with that phone, name or birth date exists or not,
and an unknown appointment and a wrong token get the same 404."""

import datetime as dt
import json
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accueil.booking.models import Appointment
from accueil.notify.models import Message, WaitlistEntry
from tests import factories
from tests.booking import test_views as pages
from tests.booking.test_views import IDENTITY, book_directly, nine, post_booking
from tests.booking.test_waitlist_views import join_url

pytestmark = pytest.mark.django_db

frozen_now = pages.frozen_now
cabinet = pages.cabinet

# Jeanne Lefèvre, 12/07/1984, 06 12 34 56 78: the identity every request below gives.
SAME = {"first_name": "Jeanne", "last_name": "Lefèvre", "birth_date": dt.date(1984, 7, 12)}
PHONE = "+33612345678"
EXISTING = {
    "nobody": None,
    "same phone, another birth date": {**SAME, "birth_date": dt.date(1990, 1, 1), "phone": PHONE},
    "same phone, another name": {**SAME, "first_name": "Paul", "phone": PHONE},
    "same name and birth date, another phone": {**SAME, "phone": "+33698765432"},
    "the very same patient, with an appointment": {**SAME, "phone": PHONE},
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def scrub(text: str, secrets: dict[str, str]) -> str:
    for secret, placeholder in secrets.items():
        text = text.replace(secret, placeholder)
    return CSRF.sub("CSRF", text)


def outcome(cabinet, existing: str, run) -> object:
    """What `run` answers with the patient `existing` in the practice; rolled back after."""
    with transaction.atomic():
        fields = EXISTING[existing]
        if fields is not None:
            patient = factories.patient(cabinet["organisation"], **fields)
            if "appointment" in existing:
                book_directly(cabinet, nine(0), patient=patient)
        result = run()
        transaction.set_rollback(True)
    return result


def messages_of(secrets: dict[str, str], **lookup) -> list[tuple]:
    found = Message.objects.filter(**lookup).order_by("kind", "channel")
    return [(m.kind, m.channel, m.recipient, scrub(m.subject + m.body, secrets)) for m in found]


def web_booking(cabinet):
    client = Client()
    response = post_booking(client, cabinet, nine(40))
    appointment = Appointment.objects.get(start=nine(40))
    secrets = {str(appointment.public_id): "ID", appointment.manage_token: "TOKEN"}
    page = client.get(response["Location"])
    return (
        response.status_code,
        scrub(response["Location"], secrets),
        page.status_code,
        scrub(page.content.decode(), secrets),
        messages_of(secrets, appointment=appointment),
    )


def api_booking(cabinet):
    p, m = cabinet["practitioner"], cabinet["motif"]
    patient = {**IDENTITY, "birth_date": "1984-07-12"}
    del patient["consent"]
    body = {"practitioner": p.id, "motif": m.id, "start": nine(40).isoformat(), "patient": patient}
    response = Client().post("/api/v1/appointments", json.dumps(body), "application/json")
    appointment = Appointment.objects.get(start=nine(40))
    secrets = {str(appointment.public_id): "ID", appointment.manage_token: "TOKEN"}
    return (
        response.status_code,
        scrub(response.content.decode(), secrets),
        messages_of(secrets, appointment=appointment),
    )


def web_waitlist(cabinet):
    org, p, m = cabinet["organisation"], cabinet["practitioner"], cabinet["motif"]
    response = Client().post(join_url(org, p, m), IDENTITY)
    entry = WaitlistEntry.objects.get()
    return response.status_code, scrub(response.content.decode(), {entry.token: "TOKEN"})


def api_waitlist(cabinet):
    patient = {**IDENTITY, "birth_date": "1984-07-12"}
    del patient["consent"]
    body = {"motif": cabinet["motif"].id, "patient": patient}
    response = Client().post("/api/v1/waitlist", json.dumps(body), "application/json")
    entry = WaitlistEntry.objects.get()
    return response.status_code, scrub(response.content.decode(), {entry.token: "TOKEN"})


@pytest.mark.parametrize("run", [web_booking, api_booking, web_waitlist, api_waitlist])
def test_the_same_answer_whether_the_patient_exists_or_not(cabinet, run):
    answers = {existing: outcome(cabinet, existing, lambda: run(cabinet)) for existing in EXISTING}
    baseline = answers.pop("nobody")
    assert baseline[0] in (200, 201, 302)
    for existing, answer in answers.items():
        assert answer == baseline, existing


def test_unknown_appointments_and_wrong_tokens_look_alike(client, cabinet):
    appointment = book_directly(cabinet, nine(0))
    unknown = "6f1c1d8e-2b6a-4f4e-9a39-0c6f1a7f0b11"
    web = [
        client.get(reverse("booking:manage", args=[unknown, appointment.manage_token])),
        client.get(reverse("booking:manage", args=[appointment.public_id, "x" * 32])),
    ]
    assert [r.status_code for r in web] == [404, 404]
    assert web[0].content == web[1].content
    api = [
        client.get(f"/api/v1/appointments/{unknown}", {"token": appointment.manage_token}),
        client.get(f"/api/v1/appointments/{appointment.public_id}", {"token": "x" * 32}),
        client.get("/api/v1/appointments/not-a-uuid", {"token": "x"}),
    ]
    assert {(r.status_code, r.content) for r in api} == {(404, b'{"error": "not_found"}')}
