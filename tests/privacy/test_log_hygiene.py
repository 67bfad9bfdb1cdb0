"""No patient name, phone number or message text in the logs at INFO and above.

Every logger's records are captured (the root's handlers, and those of loggers that do not
propagate) while a patient books on the web form, through the API and at the desk, the
confirmation goes out through the console SMS transport, and a caller books and leaves a
message with the virtual receptionist. Phone numbers are looked for in every spelling
(+33 6..., 06 12 34 56 78, 06.12..., 612345678)."""

import datetime as dt
import json
import logging
import re
import secrets
import unicodedata

import pytest
from django.test import Client
from django.urls import reverse

from accueil.booking import public
from accueil.booking import views as booking_views
from accueil.booking.models import Appointment
from accueil.desk.models import StaffMessage
from accueil.notify import sending
from accueil.notify.models import Message
from accueil.reception import services as reception
from accueil.reception.models import Turn
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW
from tests.reception.agenda import KNOWN_CALLER, build_practice
from tests.reception.agenda import NOW as CALL_TIME

pytestmark = pytest.mark.django_db

NATIONAL_DIGITS = "612345678"  # +33 6 12 34 56 78, the test patients' phone


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def logs(settings):
    settings.NOTIFY_SMS_TRANSPORT = "console"
    handler = Capture()
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    level = root.level
    root.setLevel(logging.INFO)
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
    root.setLevel(level)


def fold(text: str) -> str:
    """Lower case without accents: "LEFÈVRE" and "lefevre" are the same name."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def leaks(text: str, names: list[str], phone_digits: str, bodies: list[str]) -> list[str]:
    found = [name for name in names if fold(name) in fold(text)]
    digits_joined = re.sub(r"(?<=\d)[\s.\-]+(?=\d)", "", text)  # 06 12 34 56 78 → 0612345678
    if phone_digits in digits_joined:
        found.append(phone_digits)
    found += [body for body in bodies if body and body in text]
    return found


def assert_clean(logs: Capture, names: list[str], phone_digits: str = NATIONAL_DIGITS) -> None:
    bodies = [m.body for m in Message.objects.all()]
    bodies += [m.body for m in StaffMessage.objects.all()]
    bodies += [t.caller_text for t in Turn.objects.all()]
    assert logs.lines, "nothing was logged: the capture would prove nothing"
    assert leaks(logs.text, names, phone_digits, bodies) == [], logs.text


def send_the_outbox():
    assert sending.send_due(limit=100, now=NOW + dt.timedelta(minutes=1)) > 0


def test_the_check_finds_every_spelling_of_a_leak():
    names, bodies = ["Lefèvre"], ["Votre rendez-vous du lundi"]
    for line in (
        "sms to +33612345678",
        "sms to 06 12 34 56 78",
        "sms to 06.12.34.56.78",
        "caller 612345678",
        "patient LEFEVRE",
        "text: Votre rendez-vous du lundi",
    ):
        assert leaks(line, names, NATIONAL_DIGITS, bodies), line
    assert leaks("sms to +336••••••78 [console-1a2b]", names, NATIONAL_DIGITS, bodies) == []


@pytest.fixture
def agenda(practice, monkeypatch):
    monkeypatch.setattr(booking_views, "_now", lambda: NOW)
    return practice


def test_a_web_booking_logs_no_patient_data(client, agenda, logs):
    org, p, m = agenda["organisation"], agenda["practitioner"], agenda["motif"]
    url = reverse("booking:book", args=[org.slug, p.id, m.id])
    start = wall_clock(MONDAY, dt.time(9))
    form = {
        "first_name": "Jeanne",
        "last_name": "Lefèvre",
        "birth_date": "12/07/1984",
        "phone": "06 12 34 56 78",
        "email": "jeanne@example.org",
        "consent": "on",
        "creneau": public.slot_key(start),
    }
    assert client.post(url, {**form, "phone": "01"}).status_code == 200  # a field error
    assert client.post(url, form).status_code == 302
    appointment = Appointment.objects.get()
    client.get(reverse("booking:manage", args=[appointment.public_id, appointment.manage_token]))
    client.get(reverse("booking:manage", args=[appointment.public_id, "wrong-token"]))  # 404
    send_the_outbox()
    assert_clean(logs, ["Jeanne", "Lefèvre", "jeanne@example.org"])


def test_an_api_booking_logs_no_patient_data(agenda, logs, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    p, m = agenda["practitioner"], agenda["motif"]
    body = {
        "practitioner": p.id,
        "motif": m.id,
        "start": wall_clock(MONDAY, dt.time(9)).isoformat(),
        "patient": {
            "first_name": "Jeanne",
            "last_name": "Lefèvre",
            "birth_date": "1984-07-12",
            "phone": "+33 6 12 34 56 78",
            "email": "jeanne@example.org",
        },
    }
    client = Client()
    post = {"content_type": "application/json"}
    assert client.post("/api/v1/appointments", json.dumps(body), **post).status_code == 201
    assert client.post("/api/v1/appointments", json.dumps(body), **post).status_code == 409
    bad = {**body, "patient": {**body["patient"], "phone": "+1 202 555 0123"}}
    assert client.post("/api/v1/appointments", json.dumps(bad), **post).status_code == 422
    send_the_outbox()
    for digits in (NATIONAL_DIGITS, "2025550123"):
        assert_clean(logs, ["Jeanne", "Lefèvre", "jeanne@example.org"], phone_digits=digits)


def test_a_desk_booking_logs_no_patient_data(client, agenda, logs):
    factories.login_verified(client, agenda["member"])
    slug = agenda["organisation"].slug
    start = wall_clock(MONDAY, dt.time(9))
    form = {
        "practitioner": agenda["practitioner"].id,
        "motif": agenda["motif"].id,
        "day": MONDAY.isoformat(),
        "start": start.isoformat(),
        "new_patient": "1",
        "first_name": "Inès",
        "last_name": "Caron",
        "birth_date": "1975-03-02",
        "phone": "06 12 34 56 78",
    }
    assert client.post(reverse("desk:new_appointment", args=[slug]), form).status_code == 302
    client.get(reverse("desk:patients", args=[slug]), {"q": "Caron"})
    client.get(reverse("desk:patients", args=[slug]), {"q": "06 12 34 56 78"})
    send_the_outbox()
    assert_clean(logs, ["Inès", "Caron"])


def test_a_receptionist_call_logs_no_caller_data(logs):
    build_practice()
    call = reception.start_call(to="+33322000000", from_=KNOWN_CALLER, now=CALL_TIME).call
    for text in [
        "un rendez-vous vendredi",
        "dupont",
        "3 mars 1985",
        "le premier",
        "et je voudrais aussi un renouvellement d'ordonnance",
        "marie dupont",
        "mon traitement pour la tension le docteur lemoine le connaît",
        "non merci au revoir",
    ]:
        answer = reception.take_turn(call.id, text, now=CALL_TIME)
    assert "booked" in answer.call.outcomes
    assert StaffMessage.objects.exists()
    assert_clean(logs, ["Marie", "Dupont", "tension"])


def test_manage_link_tokens_never_reach_the_logs(client, logs):
    """A 404 logs its path ("Not Found: /rdv/..."): the token in it is replaced."""
    token = secrets.token_urlsafe(24)  # as booking.services makes them
    other_id = "00000000-0000-4000-8000-000000000000"
    for path in (
        f"/rdv/{other_id}/{token}/",
        f"/rdv/{other_id}/{token}/annuler/",
        f"/rdv/offre/{token}/",
        f"/liste-attente/{token}/quitter/",
    ):
        assert client.get(path).status_code in (404, 405), path  # both log the path
    assert "Not Found: /rdv/" in logs.text, "the 404s were not logged: nothing proved"
    assert token not in logs.text, logs.text
    assert f"/rdv/{other_id}/[jeton]/annuler/" in logs.text  # "Method Not Allowed (GET)"
    assert "/liste-attente/[jeton]/quitter/" in logs.text
