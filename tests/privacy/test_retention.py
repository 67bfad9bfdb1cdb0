"""Retention periods, at the boundary day: the day before, data is kept; on the day, it is
anonymised (or, for the audit log, deleted). A second run changes nothing."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from accueil.audit import services as audit
from accueil.audit.models import SYSTEM_CHANNEL, Action, AuditEntry, ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Appointment, AppointmentEvent, Channel, Status
from accueil.desk import services as desk
from accueil.desk.models import StaffMessage
from accueil.directory.services import Audience
from accueil.notify.models import Message, WaitlistEntry
from accueil.patients.models import Patient
from accueil.privacy import retention, tasks
from accueil.reception.models import Call, Turn
from accueil.scheduling.engine import PARIS, wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

PERIOD = 730  # the default: two years


def on(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)


def after(days: int) -> dt.datetime:
    """10:00 in Paris, `days` days after MONDAY (the day everything below happens)."""
    return on(MONDAY + dt.timedelta(days=days))


@pytest.fixture
def history(practice):
    """A cancelled appointment with its messages and a staff message, on MONDAY."""
    org, p, m = practice["organisation"], practice["practitioner"], practice["motif"]
    patient = factories.patient(org, first_name="Louise", last_name="Bernard", email="l@b.fr")
    appointment = booking.book(
        practitioner=p,
        motif=m,
        start=wall_clock(MONDAY, dt.time(9)),
        patient=patient,
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    booking.cancel(
        appointment, by_patient=True, channel=Channel.WEB, reason="Gastro-entérite", now=NOW
    )
    message = desk.leave_message(
        org,
        body="Rappeler pour les résultats de la prise de sang",
        caller_name="Louise Bernard",
        caller_phone="06 12 34 56 78",
        patient=patient,
        channel=Channel.DESK,
        now=on(MONDAY, 8),
    )
    Patient.objects.filter(pk=patient.pk).update(created_at=on(MONDAY - dt.timedelta(days=30)))
    Message.objects.filter(appointment=appointment).update(created_at=on(MONDAY, 8))
    return {"appointment": appointment, "patient": patient, "message": message}


def test_appointments_are_kept_until_the_boundary_day_then_anonymised(practice, history):
    appointment, patient = history["appointment"], history["patient"]
    token = appointment.manage_token
    assert Message.objects.filter(appointment=appointment).exists()

    report = retention.apply_retention(now=after(PERIOD - 1))
    assert report.appointments == 0
    appointment.refresh_from_db()
    assert appointment.patient_id == patient.id and appointment.cancel_reason

    report = retention.apply_retention(now=after(PERIOD))
    assert (report.appointments, report.patients, report.staff_messages) == (1, 1, 1)
    appointment.refresh_from_db()
    # Statistics kept: status, motif, practitioner, site, dates, channel.
    assert appointment.status == Status.CANCELLED_BY_PATIENT
    assert appointment.motif_id == practice["motif"].id
    assert appointment.practitioner_id == practice["practitioner"].id
    assert appointment.start == wall_clock(MONDAY, dt.time(9))
    assert appointment.channel == Channel.DESK
    # Identity and free text gone, the manage link dead.
    archive = appointment.patient
    assert archive.id != patient.id and archive.anonymised_at is not None
    assert (archive.first_name, archive.last_name, archive.phone) == ("Archives", "Anonyme", "")
    assert appointment.cancel_reason == "" and appointment.manage_token != token
    assert not AppointmentEvent.objects.filter(appointment=appointment).exclude(note="").exists()
    assert list(AppointmentEvent.objects.filter(appointment=appointment).values_list("kind")) == [
        ("booked",),
        ("cancelled",),
    ]
    for message in Message.objects.filter(appointment=appointment):
        assert (message.recipient, message.body, message.subject) == ("", "", "")
        assert message.patient_id is None
    staff_message = StaffMessage.objects.get(pk=history["message"].pk)
    assert (staff_message.body, staff_message.caller_name, staff_message.caller_phone) == (
        "",
        "",
        "",
    )
    # The patient, with nothing left, is anonymised too.
    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name, patient.phone, patient.email) == (
        "Patient",
        "Anonyme",
        "",
        "",
    )
    everything = " ".join(
        str(v)
        for model in (Patient, Appointment, AppointmentEvent, Message, StaffMessage)
        for row in model.objects.values()
        for v in row.values()
    )
    for secret in ("Louise", "Bernard", "+33612345678", "Gastro", "prise de sang", "l@b.fr"):
        assert secret not in everything


def test_a_second_run_changes_nothing(practice, history):
    retention.apply_retention(now=after(PERIOD))
    entries = AuditEntry.objects.count()
    tokens = list(Appointment.objects.values_list("manage_token", flat=True))
    report = retention.apply_retention(now=after(PERIOD + 1))
    assert report == retention.Report()
    assert AuditEntry.objects.count() == entries
    assert list(Appointment.objects.values_list("manage_token", flat=True)) == tokens
    assert Patient.objects.filter(first_name="Archives").count() == 1


def test_the_run_is_written_to_the_audit_log_per_organisation(practice, history):
    retention.apply_retention(now=after(PERIOD))
    entry = AuditEntry.objects.get(object_type=ObjectType.RETENTION)
    assert (entry.organisation_id, entry.action, entry.channel) == (
        practice["organisation"].id,
        Action.UPDATE,
        SYSTEM_CHANNEL,
    )
    assert "1 rendez-vous anonymisés" in entry.summary
    assert "1 patients anonymisés" in entry.summary


def test_a_patient_with_a_recent_appointment_keeps_their_identity(practice, history):
    patient = history["patient"]
    later = booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=wall_clock(MONDAY + dt.timedelta(days=7), dt.time(9)),
        patient=patient,
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    retention.apply_retention(now=after(PERIOD))
    patient.refresh_from_db()
    later.refresh_from_db()
    assert patient.last_name == "Bernard" and later.patient_id == patient.id
    old = Appointment.objects.get(pk=history["appointment"].pk)
    assert old.patient.first_name == "Archives"


def test_a_carer_stays_while_a_relative_is_still_known(practice):
    org = practice["organisation"]
    parent = factories.patient(org, last_name="Durand")
    child = factories.patient(org, first_name="Léo", last_name="Durand", managed_by=parent)
    booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=wall_clock(MONDAY + dt.timedelta(days=30), dt.time(9)),
        patient=child,
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    Patient.objects.update(created_at=on(MONDAY - dt.timedelta(days=30)))
    retention.apply_retention(now=after(PERIOD))
    assert Patient.objects.get(pk=parent.pk).anonymised_at is None
    retention.apply_retention(now=after(PERIOD + 30))
    assert Patient.objects.get(pk=child.pk).anonymised_at is not None
    assert Patient.objects.get(pk=parent.pk).anonymised_at is not None


def test_waitlist_entries_past_the_period_are_anonymised(practice):
    org = practice["organisation"]
    entry = WaitlistEntry.objects.create(
        organisation=org,
        motif=practice["motif"],
        first_name="Louise",
        last_name="Bernard",
        birth_date=dt.date(1990, 5, 17),
        phone="+33612345678",
        email="l@b.fr",
        joined_at=on(MONDAY),
    )
    retention.apply_retention(now=after(PERIOD - 1))
    entry.refresh_from_db()
    assert entry.last_name == "Bernard" and entry.active
    assert retention.apply_retention(now=after(PERIOD)).waitlist_entries == 1
    entry.refresh_from_db()
    assert (entry.first_name, entry.last_name, entry.phone, entry.email, entry.active) == (
        "Patient",
        "Anonyme",
        "",
        "",
        False,
    )


def make_call(org, started_at: dt.datetime) -> Call:
    call = Call.objects.create(
        organisation=org,
        from_number="+33612345678",
        to_number="+33322000000",
        channel="twilio",
        external_id="CA123",
        status=Call.Status.ENDED,
        outcomes=["booked"],
        state={"identity": {"last_name": "Bernard"}},
        summary="Mme Bernard, douleurs abdominales, rendez-vous pris",
        turn_count=1,
        started_at=started_at,
        ended_at=started_at + dt.timedelta(minutes=2),
    )
    Turn.objects.create(call=call, index=0, caller_text="", say="Bonjour", at=started_at)
    Turn.objects.create(
        call=call, index=1, caller_text="j'ai mal au ventre", say="Votre nom ?", at=started_at
    )
    return call


def test_calls_are_kept_until_the_boundary_day_then_anonymised(practice):
    call = make_call(practice["organisation"], on(MONDAY, 23))  # late evening, still MONDAY
    assert retention.apply_retention(now=after(PERIOD - 1)).calls == 0
    call.refresh_from_db()
    assert call.summary and call.from_number
    assert retention.apply_retention(now=after(PERIOD)).calls == 1
    call.refresh_from_db()
    assert (call.from_number, call.external_id, call.summary, call.state) == ("", "", "", {})
    assert (call.status, call.outcomes, call.turn_count) == (Call.Status.ENDED, ["booked"], 1)
    assert call.started_at == on(MONDAY, 23)
    assert set(Turn.objects.filter(call=call).values_list("caller_text", "say")) == {("", "")}
    assert Turn.objects.filter(call=call).count() == 2
    assert retention.apply_retention(now=after(PERIOD + 1)).calls == 0


def test_call_period_is_a_setting(practice, settings):
    settings.RETENTION_CALL_DAYS = 30
    make_call(practice["organisation"], on(MONDAY))
    assert retention.apply_retention(now=after(29)).calls == 0
    assert retention.apply_retention(now=after(30)).calls == 1


def test_audit_entries_are_purged_after_their_period(practice, settings):
    org = practice["organisation"]
    for hour in (0, 23):
        audit.record(
            organisation_id=org.id,
            action=Action.READ,
            object_type=ObjectType.AGENDA,
            object_id="",
            channel=Channel.DESK,
            at=on(MONDAY).replace(hour=hour, minute=30),
        )
    assert settings.AUDIT_RETENTION_DAYS == 365
    assert retention.apply_retention(now=after(364)).audit_entries == 0
    assert AuditEntry.objects.filter(object_type=ObjectType.AGENDA).count() == 2
    report = retention.apply_retention(now=after(365))
    assert report.audit_entries == 2
    assert not AuditEntry.objects.filter(object_type=ObjectType.AGENDA).exists()
    (entry,) = AuditEntry.objects.filter(object_type=ObjectType.RETENTION)
    assert entry.summary == "2 entrées du journal supprimées"


def test_future_and_recent_data_is_never_touched(practice, history):
    assert retention.apply_retention(now=NOW) == retention.Report()


def test_command_and_task(practice, history, monkeypatch):
    monkeypatch.setattr(retention.timezone, "now", lambda: after(PERIOD))
    out = io.StringIO()
    call_command("retention", stdout=out)
    assert "1 rendez-vous anonymisés" in out.getvalue()
    out = io.StringIO()
    call_command("retention", stdout=out)
    assert out.getvalue().strip() == "Conservation : rien à faire."
    assert tasks.apply_retention.call()["appointments"] == 0
