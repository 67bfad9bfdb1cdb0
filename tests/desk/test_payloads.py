"""XSS and SQL payloads typed in the desk's forms (new patient, staff messages, the
instruction sheet) are stored as given and shown escaped; the sheet's YAML is read safely
(no Python tag runs) and uploads are size-limited."""

import io
import unicodedata

import pytest
from django import forms
from django.urls import reverse

from accueil.booking.models import Appointment
from accueil.desk import forms as desk_forms
from accueil.desk.models import StaffMessage
from accueil.reception import instructions, services
from accueil.reception.models import InstructionSheet
from tests.booking.test_payloads import PAYLOADS, assert_inert, assert_tables_intact
from tests.desk import test_calls_pages as calls_pages
from tests.desk import test_views as desk_views

pytestmark = pytest.mark.django_db

desk = desk_views.desk
lilas = calls_pages.lilas
owner = calls_pages.owner
NOT_FREE_TEXT = {"phone", "caller_phone"}


def text_fields(form_class) -> list[str]:
    return [
        name
        for name, field in form_class.base_fields.items()
        if type(field) is forms.CharField and name not in NOT_FREE_TEXT
    ]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_new_patient_booked_at_the_desk(desk, practice, payload):
    fields = text_fields(desk_forms.NewPatientForm)
    assert set(fields) == {"first_name", "last_name"}
    body = desk_views.book_form(
        practice,
        desk_views.nine(),
        new_patient="1",
        birth_date="1975-03-02",
        phone="06 11 22 33 44",
        **dict.fromkeys(fields, payload),
    )
    response = desk.post(desk_views.url(practice, "new_appointment"), body)
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.patient.first_name, appointment.patient.last_name) == (payload, payload)
    assert_tables_intact()
    slug = practice["organisation"].slug
    for url in (
        reverse("desk:agenda", args=[slug]) + "?jour=2027-01-04",
        reverse("desk:appointment", args=[slug, appointment.public_id]),
        reverse("desk:patient", args=[slug, appointment.patient_id]),
        reverse("desk:patients", args=[slug]) + "?q=" + payload[:20],
    ):
        assert_inert(page(desk, url), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_staff_messages(desk, practice, payload):
    fields = text_fields(desk_forms.MessageForm)
    assert set(fields) == {"caller_name", "body"}
    response = desk.post(desk_views.url(practice, "messages"), dict.fromkeys(fields, payload))
    assert response.status_code == 302
    message = StaffMessage.objects.get()
    assert (message.caller_name, message.body) == (payload, payload)
    assert_inert(page(desk, desk_views.url(practice, "messages")), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_instruction_sheet_text(owner, lilas, payload):
    sheet = {**services.current_sheet(lilas.organisation)[1], "greeting": payload}
    text = instructions.to_yaml(sheet)
    response = calls_pages.sheet_post(owner, lilas, text)
    assert response.status_code == 302, response.content.decode()[-2000:]
    stored = services.current_sheet(lilas.organisation)[1]["greeting"]
    # The sheet's own rule turns invisible format characters (U+202E, U+200B) into spaces.
    assert stored == payload or any(unicodedata.category(c) == "Cf" for c in payload)
    assert_inert(page(owner, calls_pages.url(lilas, "instructions")), stored)


@pytest.mark.parametrize(
    "content",
    [
        b"greeting: !!python/object/apply:os.system ['true']\n",
        b"greeting: !!python/object/new:subprocess.Popen [['true']]\n",
        b"greeting: !!python/name:os.system\n",
    ],
)
def test_a_python_tag_in_an_uploaded_sheet_is_refused_cleanly(owner, lilas, content):
    upload = io.BytesIO(content)
    upload.name = "consignes.yaml"
    response = owner.post(calls_pages.url(lilas, "instructions"), {"text": "", "file": upload})
    assert response.status_code == 200
    assert "YAML illisible" in response.content.decode()
    assert not InstructionSheet.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_parsed(owner, lilas, monkeypatch):
    parsed = []
    monkeypatch.setattr(services.instructions, "from_yaml", lambda text: parsed.append(text))
    upload = io.BytesIO(b"greeting: " + b"x" * 200_000)
    upload.name = "consignes.yaml"
    response = owner.post(calls_pages.url(lilas, "instructions"), {"text": "", "file": upload})
    assert "Fichier trop gros" in response.content.decode()
    assert parsed == []
    assert not InstructionSheet.objects.exists()
