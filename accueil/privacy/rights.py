"""Patients' rights (GDPR articles 15 and 17): everything held about one patient, and erasure.

Both are for the practice's owners (`may_handle`), who answer the patient's request.

- `patient_data` gathers what the organisation holds about one patient: identity, the
  relatives they book for, appointments with their history, messages sent to them, staff
  messages about them, waitlist entries, calls from their phone number and who accessed
  their file (the audit log). The desk shows it as a page and a JSON download.
- `erase` anonymises the patient (the identity is replaced, free text and transcripts are
  cleared, messages emptied) and keeps the statistics: appointments stay with their status,
  motif, practitioner and dates. It is refused while an appointment is still to come: the
  practice cancels it first (the patient is told as usual), then erases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accueil.audit import services as audit
from accueil.audit.models import Action, AuditEntry, ObjectType
from accueil.booking.models import ACTIVE_STATUSES, Appointment, AppointmentEvent, Channel
from accueil.desk.models import StaffMessage
from accueil.directory import roles
from accueil.directory.models import Membership, Organisation
from accueil.notify.models import Message, WaitlistEntry
from accueil.patients import services as patients
from accueil.patients.models import Patient
from accueil.privacy import retention
from accueil.reception.models import OUTCOME_LABELS, Call
from accueil.scheduling import engine


def may_handle(membership: Membership) -> bool:
    """Exports and erasures are the practice owner's (the data controller's) decisions."""
    return roles.may(membership, roles.Capability.PRIVACY)


def _local(instant: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(instant, engine.PARIS) if instant is not None else None


def patient_data(
    organisation: Organisation, patient_id: int, now: dt.datetime | None = None
) -> dict[str, Any] | None:
    """What the organisation holds about this patient; None if it is not theirs.

    Instants are aware datetimes in Paris time (the JSON download writes them in ISO 8601)."""
    patient = (
        Patient.objects.filter(organisation=organisation, pk=patient_id)
        .select_related("managed_by")
        .first()
    )
    if patient is None:
        return None
    appointments = list(
        Appointment.objects.filter(organisation=organisation, patient=patient)
        .select_related("practitioner", "motif", "site")
        .prefetch_related("events__actor")
        .order_by("start", "id")
    )
    return {
        "organisation": organisation.name,
        "exported_at": _local(now or timezone.now()),
        "patient": _identity(patient),
        "managed_by": _person(patient.managed_by) if patient.managed_by else None,
        "relatives": [
            _person(r) for r in patient.relatives.filter(organisation=organisation).order_by("id")
        ],
        "appointments": [_appointment(a) for a in appointments],
        "messages": _messages(organisation, patient, appointments),
        "staff_messages": _staff_messages(organisation, patient),
        "waitlist": _waitlist(organisation, patient),
        "calls": _calls(organisation, patient),
        "accesses": _accesses(organisation, patient, appointments),
    }


def _identity(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birth_name": patient.birth_name,
        "birth_date": patient.birth_date,
        "phone": patient.phone,
        "email": patient.email,
        "address": patient.address,
        "postcode": patient.postcode,
        "city": patient.city,
        "sms_opt_out": patient.sms_opt_out,
        "created_at": _local(patient.created_at),
        "anonymised_at": _local(patient.anonymised_at),
    }


def _person(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birth_date": patient.birth_date,
    }


def _appointment(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": str(appointment.public_id),
        "start": _local(appointment.start),
        "end": _local(appointment.end),
        "status": appointment.get_status_display(),
        "practitioner": appointment.practitioner.display_name,
        "motif": appointment.motif.name,
        "site": appointment.site.full_address,
        "channel": appointment.get_channel_display(),
        "cancel_reason": appointment.cancel_reason,
        "created_at": _local(appointment.created_at),
        "history": [_event(e) for e in appointment.events.all()],
    }


def _event(event: AppointmentEvent) -> dict[str, Any]:
    return {
        "at": _local(event.at),
        "change": event.get_kind_display(),
        "channel": event.get_channel_display(),
        "by": event.actor.get_username() if event.actor else "",
        "from_status": event.get_from_status_display(),
        "to_status": event.get_to_status_display(),
        "previous_start": _local(event.previous_start),
        "note": event.note,
    }


def _messages(
    organisation: Organisation, patient: Patient, appointments: list[Appointment]
) -> list[dict[str, Any]]:
    messages = Message.objects.filter(organisation=organisation).filter(
        Q(patient=patient) | Q(appointment__in=appointments)
    )
    return [
        {
            "created_at": _local(m.created_at),
            "kind": m.get_kind_display(),
            "channel": m.get_channel_display(),
            "recipient": m.recipient,
            "subject": m.subject,
            "body": m.body,
            "status": m.get_status_display(),
            "sent_at": _local(m.sent_at),
        }
        for m in messages.order_by("created_at", "id")
    ]


def _staff_messages(organisation: Organisation, patient: Patient) -> list[dict[str, Any]]:
    messages = StaffMessage.objects.filter(organisation=organisation, patient=patient)
    return [
        {
            "created_at": _local(m.created_at),
            "for": m.practitioner.display_name if m.practitioner else "",
            "caller_name": m.caller_name,
            "caller_phone": m.caller_phone,
            "body": m.body,
            "urgent": m.urgent,
            "channel": m.get_channel_display(),
            "done_at": _local(m.done_at),
        }
        for m in messages.select_related("practitioner").order_by("created_at", "id")
    ]


def _waitlist_entries(organisation: Organisation, patient: Patient):
    same_person = Q(
        first_name__iexact=patient.first_name,
        last_name__iexact=patient.last_name,
        birth_date=patient.birth_date,
        phone=patient.phone,
    )
    mine = Q(patient=patient) | same_person if patient.phone else Q(patient=patient)
    return WaitlistEntry.objects.filter(organisation=organisation).filter(mine)


def _waitlist(organisation: Organisation, patient: Patient) -> list[dict[str, Any]]:
    labels = dict(WaitlistEntry.TimeOfDay.choices)
    entries = _waitlist_entries(organisation, patient).select_related("motif", "practitioner")
    return [
        {
            "joined_at": _local(e.joined_at),
            "motif": e.motif.name,
            "practitioner": e.practitioner.display_name if e.practitioner else "",
            "earliest": e.earliest,
            "latest": e.latest,
            "times_of_day": [labels[t] for t in e.times_of_day.split(",") if t in labels],
            "first_name": e.first_name,
            "last_name": e.last_name,
            "phone": e.phone,
            "email": e.email,
            "active": e.active,
        }
        for e in entries.order_by("joined_at", "id")
    ]


def _calls_of(organisation: Organisation, patient: Patient):
    """Calls from the patient's phone number (a number shared by a family brings theirs)."""
    if not patient.phone:
        return Call.objects.none()
    return Call.objects.filter(organisation=organisation, from_number=patient.phone)


def _calls(organisation: Organisation, patient: Patient) -> list[dict[str, Any]]:
    calls = _calls_of(organisation, patient).prefetch_related("turns").order_by("started_at")
    return [
        {
            "id": str(c.id),
            "started_at": _local(c.started_at),
            "ended_at": _local(c.ended_at),
            "from_number": c.from_number,
            "status": c.get_status_display(),
            "outcomes": [OUTCOME_LABELS.get(o, o) for o in c.outcomes],
            "summary": c.summary,
            "turns": [
                {"at": _local(t.at), "caller": t.caller_text, "receptionist": t.say}
                for t in c.turns.all()
            ],
        }
        for c in calls
    ]


def _accesses(
    organisation: Organisation, patient: Patient, appointments: list[Appointment]
) -> list[dict[str, Any]]:
    """Who read or changed the file and its appointments (as far as the log goes back)."""
    entries = AuditEntry.objects.filter(organisation=organisation).filter(
        Q(object_type=ObjectType.PATIENT, object_id=str(patient.id))
        | Q(
            object_type=ObjectType.APPOINTMENT,
            object_id__in=[str(a.public_id) for a in appointments],
        )
    )
    return [
        {
            "at": _local(e.at),
            "action": e.get_action_display(),
            "object": e.get_object_type_display(),
            "by": e.actor_label,
            "channel": audit.channel_label(e.channel),
        }
        for e in entries.order_by("at", "id")
    ]


def erase(
    organisation: Organisation,
    patient_id: int,
    *,
    actor: AbstractBaseUser,
    now: dt.datetime | None = None,
) -> Patient | None:
    """Anonymise the patient on their request; None if not the organisation's patient.

    ValidationError while an appointment is still to come. Erasing an erased patient
    changes nothing. Written to the audit log in the same transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        patient = (
            Patient.objects.select_for_update()
            .filter(organisation=organisation, pk=patient_id)
            .first()
        )
        if patient is None or patient.anonymised_at is not None:
            return patient
        appointments = Appointment.objects.filter(organisation=organisation, patient=patient)
        coming = appointments.filter(status__in=ACTIVE_STATUSES, end__gt=now).count()
        if coming:
            raise ValidationError(
                f"Ce patient a {coming} rendez-vous à venir : annulez-les avant l'effacement."
            )
        ids = list(appointments.values_list("id", flat=True))
        retention.anonymise_appointments(ids, patient)
        retention.empty_messages(Message.objects.filter(organisation=organisation, patient=patient))
        StaffMessage.objects.filter(organisation=organisation, patient=patient).update(
            caller_name="", caller_phone="", body=""
        )
        retention.anonymise_waitlist(_waitlist_entries(organisation, patient))
        retention.anonymise_calls(_calls_of(organisation, patient))
        patients.anonymise(Patient.objects.filter(pk=patient.pk), now)
        audit.record(
            organisation_id=organisation.id,
            action=Action.DELETE,
            object_type=ObjectType.PATIENT,
            object_id=patient.id,
            channel=Channel.DESK,
            actor=actor,
            summary=f"Effacement à la demande du patient ({len(ids)} rendez-vous anonymisés, "
            "conservés pour les statistiques)",
            at=now,
        )
    patient.refresh_from_db()
    return patient
