"""The workers: claim, send, mark; retries, drops at sending time, quiet hours, transports."""

import datetime as dt
import email
import hashlib
import json
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks import default_task_backend

from accueil.booking import services as booking
from accueil.booking.models import Channel
from accueil.directory.services import Audience
from accueil.notify import sending, tasks
from accueil.notify.models import Channel as Via
from accueil.notify.models import Kind, Message, NotificationSettings
from accueil.notify.transports import (
    BrevoSms,
    ConsoleSms,
    HttpJsonSms,
    Outgoing,
    OvhSms,
    PermanentError,
    TransientError,
)
from accueil.scheduling.services import available_slots
from tests.factories import MONDAY, NOW
from tests.notify.conftest import at, book, free_port

Status = Message.Status
SATURDAY = MONDAY - dt.timedelta(days=2)


def book_soon(practitioner, motif):
    """A booking on the real clock, a few days ahead (for code that reads the time)."""
    now = timezone.now()
    first = timezone.localdate(now) + dt.timedelta(days=3)
    slot = available_slots(practitioner, motif, first, first + dt.timedelta(days=7), now=now)[0]
    return book(practitioner, motif, slot.start, now=now)


def message(appointment, kind=Kind.CONFIRMATION, channel=Via.SMS) -> Message:
    return Message.objects.get(appointment=appointment, kind=kind, channel=channel)


def send_all(now, limit=50) -> int:
    total = 0
    while claimed := sending.send_due(now=now, limit=limit):
        total += claimed
    return total


class TestDelivery:
    def test_due_messages_are_sent_and_marked(self, monday_ten, memory_sms):
        assert send_all(NOW) == 2  # the confirmations; reminders are for Saturday
        sms = message(monday_ten)
        assert (sms.status, sms.attempts, sms.claim_token) == (Status.SENT, 1, "")
        assert sms.provider_message_id == "memory-1"
        assert sms.sent_at is not None
        assert [m.idempotency_key for m in memory_sms] == [sms.idempotency_key]
        assert memory_sms[0].sender == "Accueil"
        assert len(mail.outbox) == 1
        assert message(monday_ten, channel=Via.EMAIL).status == Status.SENT

    def test_reminders_go_out_at_their_time_only(self, monday_ten, memory_sms):
        send_all(NOW)
        assert send_all(at(SATURDAY, 9, 59)) == 0
        assert send_all(at(SATURDAY, 10)) == 2
        assert message(monday_ten, Kind.REMINDER).status == Status.SENT
        assert len(memory_sms) == 2

    def test_organisation_sms_sender(self, monday_ten, memory_sms):
        NotificationSettings.objects.create(
            organisation_id=monday_ten.organisation_id, sms_sender="DrMorel"
        )
        send_all(NOW)
        assert memory_sms[0].sender == "DrMorel"

    def test_confirmation_email_carries_the_calendar_file(self, monday_ten):
        send_all(NOW)
        sent = mail.outbox[0]
        assert sent.to == ["jeanne@example.org"]
        assert sent.extra_headers["Message-ID"].endswith("@accueil.localhost>")
        ((name, content, mimetype),) = sent.attachments
        assert (name, mimetype) == ("rendez-vous.ics", "text/calendar")
        ics = content.decode() if isinstance(content, bytes) else content
        assert f"UID:{monday_ten.public_id}@127.0.0.1" in ics
        assert "DTSTART:20270104T090000Z" in ics
        assert "SEQUENCE:0" in ics


class TestDroppedAtSendingTime:
    def test_cancelled_appointment_gets_no_reminder(self, monday_ten, memory_sms):
        send_all(NOW)
        # Cancelled behind the services' back (as if the drop were missed): the worker checks.
        type(monday_ten).objects.filter(pk=monday_ten.pk).update(status="cancelled_by_patient")
        assert send_all(at(SATURDAY, 10)) == 2
        reminder = message(monday_ten, Kind.REMINDER)
        assert (reminder.status, reminder.last_error) == (Status.DROPPED, "Rendez-vous annulé.")
        assert [m.kind for m in memory_sms] == [Kind.CONFIRMATION]

    def test_cancelled_through_the_service_no_reminder_is_ever_sent(self, monday_ten, memory_sms):
        booking.cancel(monday_ten, by_patient=True, channel=Channel.WEB, now=NOW)
        send_all(at(SATURDAY, 10))
        assert [m.kind for m in memory_sms] == [Kind.CANCELLED]

    def test_moved_appointment_old_reminder_is_dropped(self, monday_ten, memory_sms):
        reminder = message(monday_ten, Kind.REMINDER)
        type(monday_ten).objects.filter(pk=monday_ten.pk).update(
            start=at(MONDAY, 11), end=at(MONDAY, 11, 20)
        )
        send_all(at(SATURDAY, 10))
        reminder.refresh_from_db()
        assert (reminder.status, reminder.last_error) == (Status.DROPPED, "Rendez-vous déplacé.")

    def test_opt_out_after_queueing(self, monday_ten, memory_sms):
        monday_ten.patient.sms_opt_out = True
        monday_ten.patient.save()
        send_all(NOW)
        sms = message(monday_ten)
        assert (sms.status, sms.last_error) == (Status.DROPPED, "Le patient a refusé les SMS.")
        assert memory_sms == []

    def test_quiet_hours_at_sending_time_defer_without_counting_an_attempt(
        self, monday_ten, memory_sms
    ):
        night = at(dt.date(2027, 1, 1), 21)  # a retry that falls at night
        assert send_all(night) == 2
        sms = message(monday_ten)
        assert (sms.status, sms.attempts) == (Status.QUEUED, 0)
        assert sms.next_attempt_at == at(dt.date(2027, 1, 2), 8)
        assert message(monday_ten, channel=Via.EMAIL).status == Status.SENT
        assert send_all(at(dt.date(2027, 1, 2), 8)) >= 1
        assert message(monday_ten).status == Status.SENT


class TestRetries:
    def test_500_then_200_gives_one_delivery(self, monday_ten, fake_sms):
        fake_sms.script = ["500"]
        send_all(NOW)
        sms = message(monday_ten)
        assert (sms.status, sms.attempts) == (Status.QUEUED, 1)
        assert sms.last_error == "Erreur temporaire du fournisseur (HTTP 500)."
        assert sms.next_attempt_at == NOW + dt.timedelta(seconds=30)
        assert send_all(NOW + dt.timedelta(seconds=29)) == 0
        send_all(NOW + dt.timedelta(seconds=30))
        sms.refresh_from_db()
        assert (sms.status, sms.attempts, sms.last_error) == (Status.SENT, 2, "")
        assert fake_sms.delivered == 1
        assert len(fake_sms.requests) == 2
        assert {r["headers"]["Idempotency-Key"] for r in fake_sms.requests} == {sms.idempotency_key}

    def test_timeout_is_retried(self, monday_ten, fake_sms):
        fake_sms.script = ["hang"]
        send_all(NOW)
        sms = message(monday_ten)
        assert (sms.status, sms.last_error) == (Status.QUEUED, "Délai dépassé chez le fournisseur.")
        send_all(NOW + dt.timedelta(minutes=1))
        sms.refresh_from_db()
        assert sms.status == Status.SENT

    def test_slow_but_in_time_is_fine(self, monday_ten, fake_sms):
        fake_sms.script = ["slow"]
        send_all(NOW)
        assert message(monday_ten).status == Status.SENT

    def test_exponential_backoff_then_permanent_failure(self, monday_ten, fake_sms, settings):
        settings.NOTIFY_MAX_ATTEMPTS = 4
        fake_sms.default = "500"
        now = NOW
        delays = []
        for _ in range(4):
            send_all(now)
            sms = message(monday_ten)
            if sms.status != Status.QUEUED:
                break
            delays.append(sms.next_attempt_at - now)
            now = sms.next_attempt_at
        assert delays == [dt.timedelta(seconds=s) for s in (30, 60, 120)]
        assert (sms.status, sms.attempts) == (Status.FAILED, 4)
        assert sms.last_error.endswith("Abandon après 4 essais.")

    def test_refused_request_fails_at_once_with_the_reason(self, monday_ten, fake_sms):
        fake_sms.script = ["400"]
        send_all(NOW)
        sms = message(monday_ten)
        assert (sms.status, sms.attempts) == (Status.FAILED, 1)
        assert sms.last_error == "Refusé par le fournisseur (HTTP 400)."

    def test_backoff_is_capped(self, settings):
        settings.NOTIFY_RETRY_BASE_SECONDS = 30
        settings.NOTIFY_RETRY_MAX_SECONDS = 3600
        assert sending.retry_delay(1) == dt.timedelta(seconds=30)
        assert sending.retry_delay(20) == dt.timedelta(hours=1)


class TestExactlyOnceWindow:
    def test_worker_killed_after_sending_resends_with_the_same_key(
        self, monday_ten, fake_sms, settings
    ):
        """Claimed and sent, then the worker died before marking: after the lease the
        message is claimed again and sent with the same key; a provider that deduplicates
        delivers it once."""
        fake_sms.dedupe = True
        (claimed,) = sending.claim(now=NOW, ids=[message(monday_ten).id])
        sending.get_transport("sms").send(sending.outgoing(claimed))  # ...then the crash
        assert fake_sms.delivered == 1
        lease = dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
        assert sending.claim(now=NOW + lease - dt.timedelta(seconds=1), ids=[claimed.id]) == []
        send_all(NOW + lease)
        sms = message(monday_ten)
        assert (sms.status, sms.attempts) == (Status.SENT, 2)
        assert len(fake_sms.requests) == 2
        assert fake_sms.delivered == 1

    def test_a_worker_that_lost_its_lease_cannot_mark(self, monday_ten, memory_sms, settings):
        lease = dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
        (slow,) = sending.claim(now=NOW, ids=[message(monday_ten).id])
        (fresh,) = sending.claim(now=NOW + lease, ids=[slow.id])
        assert sending._mark(slow, status=Status.FAILED, last_error="old") is False
        assert sending.deliver(fresh, now=NOW + lease) == Status.SENT
        assert message(monday_ten).status == Status.SENT

    def test_stopping_worker_gives_back_the_rest_of_its_batch(self, monday_ten, memory_sms):
        calls = iter([False, True])
        assert sending.send_due(now=NOW, should_stop=lambda: next(calls)) == 2
        statuses = sorted(m.status for m in Message.objects.filter(kind=Kind.CONFIRMATION))
        assert statuses == [Status.QUEUED, Status.SENT]
        released = Message.objects.get(kind=Kind.CONFIRMATION, status=Status.QUEUED)
        assert (released.attempts, released.claim_token) == (0, "")
        assert send_all(NOW) == 1


class TestTransports:
    def test_smtp_server_receives_the_confirmation_with_its_ics(self, monday_ten, smtp_server):
        send_all(NOW)
        assert message(monday_ten, channel=Via.EMAIL).status == Status.SENT
        (envelope,) = smtp_server.envelopes
        assert envelope.rcpt_tos == ["jeanne@example.org"]
        parsed = email.message_from_bytes(envelope.content)
        assert "confirm" in parsed["Subject"]
        parts = {part.get_content_type(): part for part in parsed.walk()}
        assert "text/calendar" in parts
        assert b"BEGIN:VEVENT" in parts["text/calendar"].get_payload(decode=True)

    def test_smtp_server_down_is_a_transient_error(self, monday_ten, settings):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
        send_all(NOW)
        sent = message(monday_ten, channel=Via.EMAIL)
        assert (sent.status, sent.last_error) == (Status.QUEUED, "Serveur e-mail injoignable.")

    def test_generic_http_payload_template_and_auth(self, settings, fake_sms):
        settings.SMS_HTTP_PAYLOAD = json.dumps(
            {"msisdn": "{to}", "message": {"text": "{text}", "from": "{sender}"}, "n": 1}
        )
        settings.SMS_HTTP_AUTH_HEADER = "Authorization: Bearer s3cret"
        settings.SMS_HTTP_ID_FIELD = "id"
        transport = HttpJsonSms()
        text = 'Texte "cité" {to} \\ fin'
        provider_id = transport.send(
            Outgoing("sms", "+33612345678", text, "key-1", kind="reminder", sender="Cab")
        )
        assert provider_id == "fake-1"
        (request,) = fake_sms.requests
        assert request["path"] == "/sms"
        assert request["headers"]["Authorization"] == "Bearer s3cret"
        assert request["headers"]["Idempotency-Key"] == "key-1"
        assert request["json"] == {
            "msisdn": "+33612345678",
            "message": {"text": text, "from": "Cab"},
            "n": 1,
        }

    def test_brevo(self, settings, fake_sms):
        settings.SMS_BREVO_URL = fake_sms.url + "/v3/transactionalSMS/send"
        settings.SMS_BREVO_API_KEY = "xkeysib-test"
        provider_id = BrevoSms().send(
            Outgoing("sms", "+33612345678", "Rappel : RDV", "k", kind="reminder", sender="Cabinet")
        )
        assert provider_id == "fake-1"
        (request,) = fake_sms.requests
        assert request["path"] == "/v3/transactionalSMS/send"
        assert request["headers"]["api-key"] == "xkeysib-test"
        assert request["json"] == {
            "sender": "Cabinet",
            "recipient": "33612345678",
            "content": "Rappel : RDV",
            "type": "transactional",
            "tag": "accueil-reminder",
            "unicodeEnabled": False,
        }

    def test_ovh_signed_request(self, settings, fake_sms):
        settings.SMS_OVH_ENDPOINT = fake_sms.url + "/1.0"
        settings.SMS_OVH_SERVICE_NAME = "sms-ab12345-1"
        settings.SMS_OVH_APPLICATION_KEY = "AK"
        settings.SMS_OVH_APPLICATION_SECRET = "AS"
        settings.SMS_OVH_CONSUMER_KEY = "CK"
        settings.SMS_SENDER = ""
        provider_id = OvhSms().send(
            Outgoing("sms", "+33612345678", "Rappel ê", "key", kind="reminder", sender="")
        )
        assert provider_id == "fake-1"
        (request,) = fake_sms.requests
        headers, body = request["headers"], request["raw"].decode()
        assert request["path"] == "/1.0/sms/sms-ab12345-1/jobs"
        url = f"{fake_sms.url}/1.0/sms/sms-ab12345-1/jobs"
        signed = f"AS+CK+POST+{url}+{body}+{headers['X-Ovh-Timestamp']}"
        assert headers["X-Ovh-Signature"] == "$1$" + hashlib.sha1(signed.encode()).hexdigest()
        assert (headers["X-Ovh-Application"], headers["X-Ovh-Consumer"]) == ("AK", "CK")
        payload = request["json"]
        assert payload["receivers"] == ["+33612345678"]
        assert payload["coding"] == "8bit"  # "ê" is not GSM-7
        assert payload["noStopClause"] is True
        assert payload["senderForResponse"] is True
        assert len(payload["tag"]) <= 20

    def test_ovh_invalid_receiver_is_permanent(self, settings, monkeypatch):
        transport = OvhSms()
        monkeypatch.setattr(transport, "post", lambda *a: {"ids": [], "invalidReceivers": ["x"]})
        with pytest.raises(PermanentError):
            transport.send(Outgoing("sms", "+33612345678", "t", "k"))

    def test_provider_unreachable_is_transient(self, settings):
        settings.SMS_BREVO_URL = f"http://127.0.0.1:{free_port()}/send"
        with pytest.raises(TransientError):
            BrevoSms().send(Outgoing("sms", "+33612345678", "t", "k"))

    def test_console_logs_no_number_and_no_text_at_info(self, caplog):
        with caplog.at_level(logging.INFO, logger="accueil.notify.transports"):
            ConsoleSms().send(
                Outgoing("sms", "+33612345678", "Bonjour Jeanne Lefèvre", "k", kind="reminder")
            )
        info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
        assert len(info) == 1
        assert "+33612345678" not in info[0] and "612345678" not in info[0]
        assert "Jeanne" not in info[0] and "Bonjour" not in info[0]
        assert "+336••••••78" in info[0]


class TestKick:
    def test_commit_enqueues_a_task_that_sends_the_new_messages(
        self, agenda, memory_sms, settings, django_capture_on_commit_callbacks
    ):
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        settings.SMS_QUIET_HOURS = ""  # the task runs on the real clock
        _, practitioner, motif = agenda
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            appointment = book_soon(practitioner, motif)
        assert len(callbacks) == 1
        (result,) = default_task_backend.results
        assert result.task.module_path == "accueil.notify.tasks.send_messages"
        confirmations = Message.objects.filter(appointment=appointment, kind=Kind.CONFIRMATION)
        assert sorted(result.args[0]) == sorted(confirmations.values_list("id", flat=True))
        assert message(appointment).status == Status.QUEUED
        assert tasks.send_messages.call(*result.args) == 2
        assert message(appointment).status == Status.SENT
        assert tasks.send_messages.call(*result.args) == 0  # already sent: nothing to claim

    def test_with_the_immediate_backend_the_booking_is_confirmed_at_once(
        self, agenda, memory_sms, settings, django_capture_on_commit_callbacks
    ):
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        settings.SMS_QUIET_HOURS = ""  # the task runs on the real clock
        _, practitioner, motif = agenda
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book_soon(practitioner, motif)
        assert message(appointment).status == Status.SENT
        assert [m.kind for m in memory_sms] == [Kind.CONFIRMATION]

    def test_no_kick_when_disabled(self, agenda, settings, django_capture_on_commit_callbacks):
        settings.NOTIFY_SEND_ON_COMMIT = False
        _, practitioner, motif = agenda
        with django_capture_on_commit_callbacks() as callbacks:
            book(practitioner, motif, at(MONDAY, 10))
        assert callbacks == []


def test_notify_worker_command_once(agenda, memory_sms, settings):
    settings.SMS_QUIET_HOURS = ""  # the command runs on the real clock
    _, practitioner, motif = agenda
    appointment = book_soon(practitioner, motif)
    call_command("notify_worker", once=True, interval=0)
    assert message(appointment).status == Status.SENT
    assert message(appointment, channel=Via.EMAIL).status == Status.SENT


def test_move_sends_the_new_time_and_an_updated_calendar_entry(monday_ten, memory_sms):
    send_all(NOW)
    booking.move(
        monday_ten, start=at(MONDAY, 11), channel=Channel.WEB, audience=Audience.PUBLIC, now=NOW
    )
    send_all(NOW)
    moved = mail.outbox[-1]
    assert "déplacé" in moved.subject
    ics = moved.attachments[0][1]
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "SEQUENCE:1" in ics and "DTSTART:20270104T100000Z" in ics
