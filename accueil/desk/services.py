"""The back office: what staff see and do, always within an organisation they belong to.

Views resolve the organisation from the URL with `membership_of`; every query below takes
that organisation and filters by it, so an object of another practice is never found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from accueil.booking import services as booking
from accueil.booking.models import ACTIVE_STATUSES, Appointment, AppointmentEvent, Channel, Status
from accueil.desk.models import StaffMessage
from accueil.desk.stats import late_cancellation
from accueil.directory import roles
from accueil.directory.models import Membership, Motif, Organisation, Practitioner
from accueil.directory.roles import Capability
from accueil.directory.services import Audience, motifs_open_to
from accueil.notify.services import notify_practitioner
from accueil.patients.models import Patient
from accueil.patients.services import PatientIdentity, normalise_phone
from accueil.scheduling import engine
from accueil.scheduling.models import Absence
from accueil.scheduling.services import closed_days, load_periods

# A patient not arrived this long after the start is shown as late.
LATE_AFTER = dt.timedelta(minutes=10)


def memberships(user: AbstractBaseUser) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organisation")


def membership_of(user: AbstractBaseUser, slug: str) -> Membership | None:
    """The user's membership of the organisation `slug`, None for anyone else."""
    return memberships(user).filter(organisation__slug=slug).first()


def visible_appointments(membership: Membership) -> QuerySet[Appointment]:
    """The appointments this member may see: all of the organisation's for staff, only the
    ones they booked for a referrer, none for anyone else (an analyst)."""
    appointments = Appointment.objects.filter(organisation_id=membership.organisation_id)
    if roles.may(membership, Capability.AGENDA):
        return appointments
    if roles.may(membership, Capability.REFERRER_BOOKING):
        return appointments.filter(created_by_id=membership.user_id)
    return appointments.none()


# Agenda -------------------------------------------------------------------------------------


@dataclass
class Block:
    start: dt.datetime
    end: dt.datetime
    label: str = ""


@dataclass
class Column:
    """One practitioner on one day, as the agenda grid draws it."""

    practitioner: Practitioner
    day: dt.date
    closed: bool = False
    open: list[Block] = field(default_factory=list)
    absences: list[Block] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)


def agenda(
    organisation: Organisation, practitioners: list[Practitioner], days: list[dt.date]
) -> list[Column]:
    """Columns in the order of `days` then `practitioners` (4 queries whatever their number)."""
    first, last = min(days), max(days)
    ids = [p.id for p in practitioners]
    periods = load_periods(ids, first, last)
    holidays = closed_days(organisation, first, last)
    window_start = engine.wall_clock(first, dt.time(0))
    window_end = engine.wall_clock(last + dt.timedelta(days=1), dt.time(0))
    absences = defaultdict(list)
    for absence in Absence.objects.filter(practitioner_id__in=ids, start__lt=window_end).filter(
        Q(weekly=False, end__gt=window_start)
        | Q(weekly=True) & (Q(repeat_until__isnull=True) | Q(repeat_until__gte=first))
    ):
        absences[absence.practitioner_id].append(absence)
    appointments = defaultdict(list)
    for appointment in (
        Appointment.objects.filter(
            organisation=organisation,
            practitioner_id__in=ids,
            status__in=ACTIVE_STATUSES,
            start__lt=window_end,
            end__gt=window_start,
        )
        .select_related("patient", "motif")
        .order_by("start", "id")
    ):
        day = timezone.localtime(appointment.start, engine.PARIS).date()
        appointments[(appointment.practitioner_id, day)].append(appointment)
    columns = []
    for day in days:
        for practitioner in practitioners:
            column = Column(practitioner, day, closed=day in holidays)
            if not column.closed:
                column.open = [
                    Block(engine.wall_clock(day, p.start_time), engine.wall_clock(day, p.end_time))
                    for p in periods.get(practitioner.id, [])
                    if p.occurs_on(day)
                ]
            column.absences = _absence_blocks(absences[practitioner.id], day)
            column.appointments = appointments[(practitioner.id, day)]
            columns.append(column)
    return columns


def _absence_blocks(absences: list[Absence], day: dt.date) -> list[Block]:
    day_start = engine.wall_clock(day, dt.time(0))
    day_end = engine.wall_clock(day + dt.timedelta(days=1), dt.time(0))
    blocks = []
    for absence in absences:
        rule = engine.Absence(absence.start, absence.end, absence.weekly, absence.repeat_until)
        for start, end in engine.expand_absences([rule], day, day):
            if start < day_end and end > day_start:
                blocks.append(Block(max(start, day_start), min(end, day_end), absence.reason))
    return blocks


def agenda_stamp(organisation: Organisation) -> str:
    """Changes whenever an appointment or an absence of the organisation changes.

    Open agendas poll it every few seconds: an unchanged stamp costs two small queries and
    no rendering. The last event is found from the newest down (the primary key index),
    not by aggregating the organisation's whole history.
    """
    last_event = (
        AppointmentEvent.objects.filter(appointment__organisation=organisation)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    absences = Absence.objects.filter(practitioner__organisation=organisation).aggregate(
        last=Max("id"), count=Count("id")
    )
    return f"{last_event or 0}.{absences['last'] or 0}.{absences['count']}"


# Waiting room -------------------------------------------------------------------------------


@dataclass
class Arrival:
    appointment: Appointment
    arrived_at: dt.datetime | None
    waiting: dt.timedelta | None
    late: bool


def waiting_room(organisation: Organisation, now: dt.datetime) -> list[Arrival]:
    """Today's appointments in time order, with arrival times and who is late."""
    today = timezone.localtime(now, engine.PARIS).date()
    appointments = list(
        Appointment.objects.filter(
            organisation=organisation,
            status__in=ACTIVE_STATUSES,
            start__gte=engine.wall_clock(today, dt.time(0)),
            start__lt=engine.wall_clock(today + dt.timedelta(days=1), dt.time(0)),
        )
        .select_related("patient", "motif", "practitioner")
        .order_by("start", "id")
    )
    arrived_at = dict(
        AppointmentEvent.objects.filter(appointment__in=appointments, to_status=Status.ARRIVED)
        .values("appointment_id")
        .annotate(at=Max("at"))
        .values_list("appointment_id", "at")
    )
    rows = []
    for appointment in appointments:
        at = arrived_at.get(appointment.id) if appointment.status == Status.ARRIVED else None
        rows.append(
            Arrival(
                appointment=appointment,
                arrived_at=at,
                waiting=now - at if at else None,
                late=appointment.status == Status.BOOKED and now > appointment.start + LATE_AFTER,
            )
        )
    return rows


# Patients -----------------------------------------------------------------------------------

DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def visible_patients(membership: Membership) -> QuerySet[Patient]:
    """The patients this member may look up: the organisation's for staff, those of the
    appointments they booked for a referrer, none for anyone else."""
    patients = Patient.objects.filter(organisation_id=membership.organisation_id)
    if roles.may(membership, Capability.PATIENTS):
        return patients
    if roles.may(membership, Capability.REFERRER_BOOKING):
        return patients.filter(appointments__created_by_id=membership.user_id).distinct()
    return patients.none()


def search_patients(membership: Membership, query: str, limit: int = 20) -> list[Patient]:
    """Patients by name words, birth date (JJ/MM/AAAA) or phone, as staff type them."""
    query = " ".join(query.split())
    if len(query) < 2:
        return []
    patients = visible_patients(membership)
    birth_date = _parse_french_date(query)
    if birth_date is not None:
        patients = patients.filter(birth_date=birth_date)
    elif sum(c.isdigit() for c in query) >= 6:
        try:
            patients = patients.filter(phone=normalise_phone(query))
        except ValidationError:
            digits = "".join(c for c in query if c.isdigit())
            patients = patients.filter(phone__contains=digits.lstrip("0"))
    else:
        for word in query.split(" "):
            patients = patients.filter(
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(birth_name__icontains=word)
            )
    return list(patients.order_by("last_name", "first_name", "birth_date")[:limit])


def _parse_french_date(text: str) -> dt.date | None:
    match = DATE_FR.match(text)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@dataclass
class PatientFile:
    patient: Patient
    relatives: list[Patient]
    appointments: list[Appointment]
    no_shows: int
    late_cancellations: int


def patient_file(membership: Membership, patient_id: int) -> PatientFile | None:
    organisation = membership.organisation
    patient = (
        visible_patients(membership).filter(pk=patient_id).select_related("managed_by").first()
    )
    if patient is None:
        return None
    appointments = list(
        patient.appointments.filter(organisation=organisation)
        .select_related("practitioner", "motif", "site")
        .order_by("-start")
    )
    late = (
        patient.appointments.filter(organisation=organisation).filter(late_cancellation()).count()
    )
    return PatientFile(
        patient=patient,
        relatives=list(patient.relatives.filter(organisation=organisation)),
        appointments=appointments,
        no_shows=sum(a.status == Status.NO_SHOW for a in appointments),
        late_cancellations=late,
    )


# Messages -----------------------------------------------------------------------------------


def open_messages(organisation: Organisation) -> list[StaffMessage]:
    """Messages still to handle, urgent first, then oldest first."""
    return list(
        StaffMessage.objects.filter(organisation=organisation, done_at__isnull=True)
        .select_related("practitioner", "patient")
        .order_by("-urgent", "created_at")
    )


def leave_message(
    organisation: Organisation,
    *,
    body: str,
    channel: str,
    now: dt.datetime,
    practitioner: Practitioner | None = None,
    patient: Patient | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    urgent: bool = False,
    actor: AbstractBaseUser | None = None,
    category: str = "",
    category_label: str = "",
    notify: bool = True,
) -> StaffMessage:
    """A message for the practice; every channel (desk, receptionist, operators) uses it.

    The practitioner it is for, if any, is told by e-mail (through the outbox) unless
    `notify` is False: a caller's message is routed by the instruction sheet instead
    (`reception.services.take_message`, in the same transaction)."""
    errors: dict[str, list[str]] = {}
    body = body.strip()
    if not body:
        errors["body"] = ["Le message est vide."]
    elif len(body) > 2000:
        errors["body"] = ["Message trop long (2 000 caractères au plus)."]
    phone = ""
    if caller_phone.strip():
        try:
            phone = normalise_phone(caller_phone)
        except ValidationError as exc:
            errors["caller_phone"] = exc.messages
    if practitioner is not None and practitioner.organisation_id != organisation.id:
        errors["practitioner"] = ["Praticien inconnu de cet établissement."]
    if patient is not None and patient.organisation_id != organisation.id:
        errors["patient"] = ["Patient inconnu de cet établissement."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        message = StaffMessage.objects.create(
            organisation=organisation,
            practitioner=practitioner,
            patient=patient,
            caller_name=" ".join(caller_name.split())[:200],
            caller_phone=phone,
            body=body,
            urgent=urgent,
            category=category[:40],
            category_label=category_label[:200],
            channel=channel,
            created_at=now,
            created_by=actor,
        )
        if notify and practitioner is not None:
            # An e-mail that a message waits in the desk (no content: health data stays).
            notify_practitioner(
                organisation, practitioner, reference=f"m{message.id}", urgent=urgent, now=now
            )
    return message


def mark_message_done(
    organisation: Organisation, message_id: int, actor: AbstractBaseUser, now: dt.datetime
) -> bool:
    """True when the message existed in this organisation and was still open."""
    return bool(
        StaffMessage.objects.filter(
            organisation=organisation, pk=message_id, done_at__isnull=True
        ).update(done_at=now, done_by=actor)
    )


# Referrers ----------------------------------------------------------------------------------
# An outside professional books, for their patient, the motifs open to referrers, and sees
# or cancels only what they booked. Every function checks the role itself: a view that
# forgot to would still get nothing of anyone else's.


def _check_referrer(membership: Membership) -> None:
    if not roles.may(membership, Capability.REFERRER_BOOKING):
        raise PermissionDenied


def referrer_practitioners(organisation: Organisation) -> QuerySet[Practitioner]:
    """Active practitioners offering at least one motif open to referrers."""
    open_ids = Motif.objects.filter(organisation=organisation).filter(
        motifs_open_to(Audience.REFERRER)
    )
    return organisation.practitioners.filter(active=True, motifs__in=open_ids).distinct()


def referrer_motifs(organisation: Organisation) -> QuerySet[Motif]:
    return Motif.objects.filter(organisation=organisation).filter(motifs_open_to(Audience.REFERRER))


def referrer_appointments(membership: Membership) -> QuerySet[Appointment]:
    """What this referrer booked in the organisation, newest start first."""
    _check_referrer(membership)
    return (
        visible_appointments(membership)
        .select_related("practitioner", "motif", "site", "patient")
        .order_by("-start")
    )


def book_for_referrer(
    membership: Membership,
    *,
    practitioner: Practitioner,
    motif: Motif,
    start: dt.datetime,
    identity: PatientIdentity,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book through the one booking service, as a referrer: only motifs open to referrers
    (ValidationError otherwise), the referrer recorded as the author."""
    _check_referrer(membership)
    if practitioner.organisation_id != membership.organisation_id:
        raise ValidationError({"practitioner": ["Praticien inconnu de cet établissement."]})
    return booking.book(
        practitioner=practitioner,
        motif=motif,
        start=start,
        patient=identity,
        channel=Channel.REFERRER,
        audience=Audience.REFERRER,
        actor=membership.user,
        now=now,
    )


def cancel_for_referrer(
    membership: Membership, public_id, *, reason: str = "", now: dt.datetime | None = None
) -> Appointment | None:
    """Cancel an upcoming appointment this referrer booked; None if it is not theirs."""
    now = now or timezone.now()
    appointment = referrer_appointments(membership).filter(public_id=public_id).first()
    if appointment is None:
        return None
    if appointment.start <= now:
        raise booking.NotChangeable("too_late", "Ce rendez-vous est passé.")
    return booking.cancel(
        appointment,
        by_patient=False,
        channel=Channel.REFERRER,
        reason=reason,
        actor=membership.user,
        now=now,
    )
