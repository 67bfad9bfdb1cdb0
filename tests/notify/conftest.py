import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller

from accueil.booking import services as booking
from accueil.booking.models import Channel
from accueil.directory.services import Audience
from accueil.notify.transports import MemorySms, reset_transports
from accueil.patients.services import PatientIdentity
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW
from tests.notify.fake_sms import FakeSmsProvider


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return wall_clock(day, dt.time(hour, minute))


def identity(**kw) -> PatientIdentity:
    kw.setdefault("first_name", "Jeanne")
    kw.setdefault("last_name", "Lefèvre")
    kw.setdefault("birth_date", dt.date(1984, 7, 12))
    kw.setdefault("phone", "06 12 34 56 78")
    kw.setdefault("email", "jeanne@example.org")
    return PatientIdentity(**kw)


def book(practitioner, motif, start, *, now=NOW, patient=None, **kw):
    return booking.book(
        practitioner=practitioner,
        motif=motif,
        start=start,
        patient=patient or identity(**kw),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=now,
    )


@pytest.fixture
def agenda(db):
    org, practitioner, motif = factories.agenda()
    return org, practitioner, motif


@pytest.fixture
def monday_ten(agenda):
    """A booked appointment on Monday 4 January 2027 at 10:00, booked on Friday 1st."""
    _, practitioner, motif = agenda
    return book(practitioner, motif, at(MONDAY, 10))


@pytest.fixture
def memory_sms(settings):
    settings.NOTIFY_SMS_TRANSPORT = "memory"
    MemorySms.outbox.clear()
    yield MemorySms.outbox
    MemorySms.outbox.clear()


@pytest.fixture
def fake_sms(settings):
    """The generic HTTP transport pointed at a local fake provider."""
    with FakeSmsProvider() as provider:
        settings.NOTIFY_SMS_TRANSPORT = "http"
        settings.SMS_HTTP_URL = provider.url + "/sms"
        settings.SMS_TIMEOUT_SECONDS = 0.5
        settings.NOTIFY_RETRY_BASE_SECONDS = 30
        yield provider
        reset_transports()


class Recorder:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) and Django's SMTP backend pointed at it."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield recorder
    finally:
        controller.stop()
