"""Retention: what is kept, for how long, and what is left afterwards.

Run daily (`python manage.py retention`, or the django-tasks task `tasks.apply_retention`).
Periods count in days from the Paris day the data is about: with 730 days, an appointment
of 4 January 2027 is anonymised on 4 January 2029 (730 days later), not on the 3rd.

- Appointments past `RETENTION_APPOINTMENT_DAYS`: the patient is replaced by the
  organisation's archive patient (no identity), free text is cleared (cancel reason, notes
  of the history), the manage token is replaced; status, motif, practitioner, site, dates
  and channel stay for statistics. Their messages lose recipient and text.
- Messages, staff messages and waitlist entries past the same period lose their personal
  content; patients left with nothing recent (no appointment, no relative still known) are
  anonymised.
- Calls past `RETENTION_CALL_DAYS`: caller number, transcript, summary and state cleared;
  status, outcomes, times and turn count stay.
- Audit entries past `AUDIT_RETENTION_DAYS` are deleted (the one deletion the log allows).
- Rate-limit counters (accueil/throttle) of windows that have ended are deleted.

Every step only touches rows not yet processed: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accueil.audit import services as audit
from accueil.audit.models import SYSTEM_CHANNEL, Action, ObjectType
from accueil.booking.models import Appointment, AppointmentEvent, new_manage_token
from accueil.desk.models import StaffMessage
from accueil.notify.models import Message, WaitlistEntry
from accueil.patients import services as patients
from accueil.patients.models import Patient
from accueil.reception.models import Call, Turn
from accueil.scheduling import engine
from accueil.throttle import services as throttle

BATCH = 500
ARCHIVE_FIRST_NAME = "Archives"
ANONYMISED_NOTE = "Anonymisé (durée de conservation)"


@dataclass
class Report:
    """What one run changed, in total and per organisation."""

    appointments: int = 0
    messages: int = 0
    staff_messages: int = 0
    waitlist_entries: int = 0
    patients: int = 0
    calls: int = 0
    audit_entries: int = 0
    rate_limit_counters: int = 0  # not per organisation
    per_organisation: dict[int, Counter] = field(default_factory=dict)

    def count(self, organisation_id: int, what: str, n: int) -> None:
        if n:
            setattr(self, what, getattr(self, what) + n)
            self.per_organisation.setdefault(organisation_id, Counter())[what] += n


def cutoff(days: int, now: dt.datetime) -> dt.datetime:
    """Data about a Paris day before this instant is past its period of `days` days."""
    today = timezone.localtime(now, engine.PARIS).date()
    return engine.wall_clock(today - dt.timedelta(days=days - 1), dt.time(0))


def apply_retention(now: dt.datetime | None = None) -> Report:
    now = now or timezone.now()
    report = Report()
    records = cutoff(settings.RETENTION_APPOINTMENT_DAYS, now)
    _appointments(records, now, report)
    _messages(records, report)
    _staff_messages(records, report)
    _waitlist(records, report)
    _patients(records, now, report)
    _calls(cutoff(settings.RETENTION_CALL_DAYS, now), report)
    for organisation_id, n in audit.purge_before(
        cutoff(settings.AUDIT_RETENTION_DAYS, now)
    ).items():
        report.count(organisation_id, "audit_entries", n)
    report.rate_limit_counters = throttle.purge_expired(now)
    _record(report, now)
    return report


def archive_patient(organisation_id: int, now: dt.datetime) -> Patient:
    """The organisation's patient without identity that old appointments are moved to."""
    archive = (
        Patient.objects.filter(
            organisation_id=organisation_id,
            anonymised_at__isnull=False,
            first_name=ARCHIVE_FIRST_NAME,
        )
        .order_by("id")
        .first()
    )
    if archive is None:
        archive = Patient.objects.create(
            organisation_id=organisation_id,
            first_name=ARCHIVE_FIRST_NAME,
            last_name=patients.ANONYMOUS_LAST_NAME,
            birth_date=patients.ANONYMOUS_BIRTH_DATE,
            sms_opt_out=True,
            anonymised_at=now,
        )
    return archive


def _appointments(before: dt.datetime, now: dt.datetime, report: Report) -> None:
    pending = (
        Appointment.objects.filter(start__lt=before)
        .exclude(patient__anonymised_at__isnull=False, patient__first_name=ARCHIVE_FIRST_NAME)
        .order_by("organisation_id", "id")
        .values_list("organisation_id", "id")
    )
    by_organisation: dict[int, list[int]] = {}
    for organisation_id, appointment_id in pending:
        by_organisation.setdefault(organisation_id, []).append(appointment_id)
    for organisation_id, ids in by_organisation.items():
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            with transaction.atomic():
                archive = archive_patient(organisation_id, now)
                anonymise_appointments(chunk, archive)
            report.count(organisation_id, "appointments", len(chunk))


def anonymise_appointments(ids: list[int], patient: Patient) -> None:
    """Free text cleared, manage links dead, messages emptied; the patient replaced."""
    AppointmentEvent.objects.filter(appointment_id__in=ids).exclude(note="").update(note="")
    empty_messages(Message.objects.filter(appointment_id__in=ids))
    Appointment.objects.filter(id__in=ids).update(patient=patient, cancel_reason="")
    Appointment.objects.bulk_update(
        [Appointment(id=i, manage_token=new_manage_token()) for i in ids],
        ["manage_token"],
        batch_size=BATCH,
    )


def empty_messages(messages) -> int:
    """Recipient and text removed; a message still waiting is never sent."""
    messages.filter(status=Message.Status.QUEUED).update(
        status=Message.Status.DROPPED, last_error=ANONYMISED_NOTE
    )
    return messages.exclude(recipient="", subject="", body="", patient=None).update(
        recipient="", subject="", body="", patient=None
    )


def _messages(before: dt.datetime, report: Report) -> None:
    old = Message.objects.filter(created_at__lt=before).exclude(
        recipient="", subject="", body="", patient=None
    )
    for organisation_id in old.values_list("organisation_id", flat=True).distinct():
        n = empty_messages(old.filter(organisation_id=organisation_id))
        report.count(organisation_id, "messages", n)


def _staff_messages(before: dt.datetime, report: Report) -> None:
    old = StaffMessage.objects.filter(created_at__lt=before).exclude(
        caller_name="", caller_phone="", body="", patient=None
    )
    for organisation_id in old.values_list("organisation_id", flat=True).distinct():
        n = old.filter(organisation_id=organisation_id).update(
            caller_name="", caller_phone="", body="", patient=None
        )
        report.count(organisation_id, "staff_messages", n)


def anonymise_waitlist(entries) -> int:
    return entries.exclude(last_name=patients.ANONYMOUS_LAST_NAME, phone="", email="").update(
        first_name=patients.ANONYMOUS_FIRST_NAME,
        last_name=patients.ANONYMOUS_LAST_NAME,
        birth_date=patients.ANONYMOUS_BIRTH_DATE,
        phone="",
        email="",
        patient=None,
        active=False,
    )


def _waitlist(before: dt.datetime, report: Report) -> None:
    old = WaitlistEntry.objects.filter(joined_at__lt=before)
    for organisation_id in old.values_list("organisation_id", flat=True).distinct():
        n = anonymise_waitlist(old.filter(organisation_id=organisation_id))
        report.count(organisation_id, "waitlist_entries", n)


def _patients(before: dt.datetime, now: dt.datetime, report: Report) -> None:
    """Patients known for longer than the period with nothing recent left: no appointment,
    no relative still identified, no recent message or waitlist entry. Repeated so that a
    carer whose last relative was just anonymised follows."""
    while True:
        idle = Patient.objects.filter(anonymised_at__isnull=True, created_at__lt=before).exclude(
            Exists(Appointment.objects.filter(patient=OuterRef("pk")))
            | Exists(Patient.objects.filter(managed_by=OuterRef("pk"), anonymised_at__isnull=True))
            | Exists(StaffMessage.objects.filter(patient=OuterRef("pk")))
            | Exists(WaitlistEntry.objects.filter(patient=OuterRef("pk")))
        )
        found = Counter(idle.values_list("organisation_id", flat=True))
        if not found:
            return
        patients.anonymise(idle, now)
        for organisation_id, n in found.items():
            report.count(organisation_id, "patients", n)


def anonymise_calls(calls) -> int:
    """Caller number, transcript, summary and state removed from these calls."""
    Turn.objects.filter(call__in=calls).exclude(caller_text="", say="").update(
        caller_text="", say=""
    )
    return calls.exclude(from_number="", external_id="", summary="", state={}).update(
        from_number="", external_id="", summary="", state={}
    )


def _calls(before: dt.datetime, report: Report) -> None:
    old = Call.objects.filter(started_at__lt=before).exclude(
        from_number="", external_id="", summary="", state={}
    )
    for organisation_id in old.values_list("organisation_id", flat=True).distinct():
        with transaction.atomic():
            n = anonymise_calls(old.filter(organisation_id=organisation_id))
        report.count(organisation_id, "calls", n)


LABELS = {
    "appointments": "rendez-vous anonymisés",
    "messages": "messages vidés",
    "staff_messages": "messages du secrétariat vidés",
    "waitlist_entries": "inscriptions en liste d'attente anonymisées",
    "patients": "patients anonymisés",
    "calls": "appels anonymisés",
    "audit_entries": "entrées du journal supprimées",
    "rate_limit_counters": "compteurs anti-abus expirés supprimés",
}


def _record(report: Report, now: dt.datetime) -> None:
    """One audit entry per organisation touched, with its counts."""
    for organisation_id, counts in report.per_organisation.items():
        audit.record(
            organisation_id=organisation_id,
            action=Action.UPDATE,
            object_type=ObjectType.RETENTION,
            object_id=timezone.localtime(now, engine.PARIS).date().isoformat(),
            channel=SYSTEM_CHANNEL,
            summary=", ".join(f"{n} {LABELS[what]}" for what, n in counts.items()),
            at=now,
        )
