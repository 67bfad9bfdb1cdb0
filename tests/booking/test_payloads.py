"""XSS and SQL payloads typed in every free-text field of the public forms and the API are
stored as given (inert) and shown escaped, never raw, on every page that displays them: the
confirmation and manage pages, and the desk's agenda, appointment page and patient file.

The text fields are discovered from the forms and the API schemas, so a field added later
is covered without editing this test."""

import datetime as dt
import json
from html import escape

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.urls import reverse

from accueil.api import v1
from accueil.booking import forms as public_forms
from accueil.booking.models import Appointment, AppointmentEvent
from accueil.notify.models import WaitlistEntry
from accueil.patients.models import Patient
from tests.booking import test_views as pages
from tests.booking.test_views import IDENTITY, manage_url, nine
from tests.booking.test_waitlist_views import join_url

pytestmark = pytest.mark.django_db

frozen_now = pages.frozen_now
cabinet = pages.cabinet

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE patients_patient; --",
    "Robert'); DELETE FROM booking_appointment WHERE ('1'='1",
    "{{7*7}}{% debug %}",
    "\u202egnp.exe\u200b<b onmouseover=alert(1)>x</b>",  # right-to-left override, zero width
]
# Fields that are not free text: validated into something else (phone, e-mail, dates).
NOT_FREE_TEXT = {"phone", "email"}


def text_fields(form_class: type[forms.Form]) -> list[str]:
    return [
        name
        for name, field in form_class.base_fields.items()
        if type(field) is forms.CharField and name not in NOT_FREE_TEXT
    ]


def schema_text_fields(schema) -> list[str]:
    return [
        name
        for name, info in schema.model_fields.items()
        if info.annotation is str and name not in NOT_FREE_TEXT | {"token"}
    ]


def assert_inert(html: str, payload: str, *, shown: bool = True) -> None:
    """Never raw; shown escaped (as typed, or in capitals or title case as some pages write
    names) when the page displays it."""
    variants = {payload, payload.upper(), payload.title()}
    if any(ch in payload for ch in "<>\"'&"):
        for variant in variants:
            assert variant not in html
    if shown:
        assert any(escape(variant) in html for variant in variants)
    assert "alert(1)</script>" not in html and "<img src=x" not in html


def assert_tables_intact() -> None:
    tables = connection.introspection.table_names()
    assert {"patients_patient", "booking_appointment"} <= set(tables)


@pytest.fixture
def desk(cabinet, client):
    from tests import factories

    user = factories.staff(cabinet["organisation"])
    staff = Client()
    factories.login_verified(staff, user)
    return staff


def desk_pages(desk, appointment: Appointment) -> list[str]:
    slug = appointment.organisation.slug
    urls = [
        reverse("desk:agenda", args=[slug]) + f"?jour={dt.date(2027, 1, 4).isoformat()}",
        reverse("desk:appointment", args=[slug, appointment.public_id]),
        reverse("desk:patient", args=[slug, appointment.patient_id]),
    ]
    if appointment.patient.managed_by_id:
        urls.append(reverse("desk:patient", args=[slug, appointment.patient.managed_by_id]))
    out = []
    for url in urls:
        response = desk.get(url)
        assert response.status_code == 200, url
        out.append(response.content.decode())
    return out


def test_the_forms_have_text_fields_to_attack():
    assert set(text_fields(public_forms.BookingForm)) == {
        "first_name",
        "last_name",
        "relative_first_name",
        "relative_last_name",
    }
    assert text_fields(public_forms.CancelForm) == ["reason"]
    assert set(schema_text_fields(v1.PatientIn)) == {"first_name", "last_name"}
    assert schema_text_fields(v1.TokenIn) == ["reason"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_booking_form_and_manage_link(cabinet, desk, payload):
    client = Client()
    data = {**IDENTITY, "creneau": pages.public.slot_key(nine(0)), "for_relative": "on"}
    data["relative_birth_date"] = "02/04/2018"
    data.update(dict.fromkeys(text_fields(public_forms.BookingForm), payload))
    response = client.post(pages.book_url(cabinet), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    appointment = Appointment.objects.get()
    patient, guardian = appointment.patient, appointment.patient.managed_by
    for person in (patient, guardian):
        assert (person.first_name, person.last_name) == (payload, payload)
    assert_tables_intact()
    confirmation = client.get(response["Location"]).content.decode()
    manage = client.get(manage_url(appointment)).content.decode()
    for html in (confirmation, manage, *desk_pages(desk, appointment)):
        assert_inert(html, payload)
    # The cancel reason, shown on the desk's appointment page.
    reason = dict.fromkeys(text_fields(public_forms.CancelForm), payload)
    client.post(manage_url(appointment, "booking:cancel"), reason)
    appointment.refresh_from_db()
    assert appointment.cancel_reason == payload
    assert_inert(desk_pages(desk, appointment)[1], payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_waitlist_form(cabinet, payload):
    org, p, m = cabinet["organisation"], cabinet["practitioner"], cabinet["motif"]
    data = {**IDENTITY, **dict.fromkeys(text_fields(public_forms.WaitlistForm), payload)}
    response = Client().post(join_url(org, p, m), data)
    assert response.status_code == 200
    entry = WaitlistEntry.objects.get()
    assert (entry.first_name, entry.last_name) == (payload, payload)
    assert_inert(response.content.decode(), payload, shown=False)  # the page names no one
    leave = Client().get(reverse("booking:waitlist_leave", args=[entry.token]))
    assert leave.status_code == 200


@pytest.mark.parametrize("payload", PAYLOADS)
def test_api_bodies(cabinet, desk, payload):
    p, m = cabinet["practitioner"], cabinet["motif"]
    patient = {"birth_date": "1984-07-12", "phone": "0612345678", "email": ""}
    patient.update(dict.fromkeys(schema_text_fields(v1.PatientIn), payload))
    body = {"practitioner": p.id, "motif": m.id, "start": nine(0).isoformat(), "patient": patient}
    client = Client()
    created = client.post("/api/v1/appointments", json.dumps(body), "application/json")
    assert created.status_code == 201, created.content
    token = created.json()["manage_token"]
    appointment = Appointment.objects.get()
    for html in desk_pages(desk, appointment):
        assert_inert(html, payload)
    assert (appointment.patient.first_name, appointment.patient.last_name) == (payload, payload)
    read = client.get(f"/api/v1/appointments/{appointment.public_id}", {"token": token})
    assert read.json()["patient"] == {"first_name": payload, "last_name": payload}
    cancel = {"token": token, **dict.fromkeys(schema_text_fields(v1.TokenIn), payload)}
    url = f"/api/v1/appointments/{appointment.public_id}/cancel"
    assert client.post(url, json.dumps(cancel), "application/json").status_code == 200
    assert AppointmentEvent.objects.filter(appointment=appointment, kind="cancelled").exists()
    appointment.refresh_from_db()
    assert appointment.cancel_reason == payload
    assert_tables_intact()
    assert_inert(desk_pages(desk, appointment)[1], payload)  # the reason, on the desk


@pytest.mark.parametrize("payload", PAYLOADS[2:4])
def test_sql_in_fields_that_are_not_free_text_is_a_french_error(cabinet, payload):
    for field, error in (
        ("phone", "Numéro de téléphone invalide."),
        ("email", "Adresse e-mail invalide."),
    ):
        response = pages.post_booking(Client(), cabinet, nine(0), **{field: payload})
        assert response.status_code == 200
        page = pages.text(response)
        assert error in page or "au plus 40 caractères" in page  # phone: max_length
    assert not Patient.objects.exists()
    assert_tables_intact()
