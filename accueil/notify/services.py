"""What to send, to whom and when: the outbox side of notifications, and the waitlist.

`on_appointment_event()` is called by `booking.services._record` inside the transaction of
every move and cancellation, and `booking_messages()` gives `booking.services.book` the rows
of a new booking, which it writes with the appointment (decision 0012): the messages commit
or roll back with the change. Rows are sent later by the workers (`sending.py`); the ones
due at once are kicked by a django-tasks task enqueued when the transaction commits.

Rules:
- Confirmation, moved and cancelled messages by SMS and e-mail as the organisation chose;
  reminders (default 48 h before by SMS and e-mail, optionally 2 h before by SMS).
- "48 h before" means two calendar days before at the same wall-clock time, which is what a
  patient expects ("the reminder came on Saturday at 10:00 for Monday at 10:00"), also
  across a daylight-saving change; a remainder of hours (2 h) is absolute time.
- No SMS in quiet hours (20:00-08:00 Paris): deferred to 08:00, or dropped when 08:00 comes
  after the appointment (or after the waitlist offer expires).
- SMS only to French mobile numbers (SMS_ALLOWED_REGIONS) and never to patients who opted
  out: such messages are recorded as dropped with the reason, so staff see what happened.
- A move or cancellation drops the pending messages about the old time; the worker checks
  again at sending time.
- When a slot frees up, up to WAITLIST_OFFERS_PER_SLOT waiters are offered it, in joining
  order; the first to book it through `book()` wins, the others stay on the list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accueil import sqlbatch
from accueil.booking.french import french_datetime
from accueil.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentEvent,
    Channel,
    Status,
)
from accueil.directory.models import Membership, Motif, Organisation, Practitioner, Site
from accueil.directory.services import Audience, may_book
from accueil.notify import texts
from accueil.notify.models import Channel as Via
from accueil.notify.models import (
    Kind,
    Message,
    MessageTemplate,
    NotificationSettings,
    WaitlistEntry,
    WaitlistOffer,
)
from accueil.notify.sms import mask_phone, sms_refusal
from accueil.patients.models import Patient
from accueil.patients.services import PatientIdentity, check_identity
from accueil.reception import sheets
from accueil.reception.instructions import PublicTexts
from accueil.scheduling import engine
from accueil.scheduling.services import available_slots

PARIS = engine.PARIS
_suppressed: ContextVar[bool] = ContextVar("notify_suppressed", default=False)

# Messages that speak of one start of an appointment: stale once it moves or is cancelled.
ABOUT_A_START = (Kind.CONFIRMATION, Kind.REMINDER, Kind.MOVED)


class OfferUnavailable(Exception):
    """The waitlist offer expired, was used, or its slot was taken."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """No notification for changes made inside (demo data, imports of existing agendas)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def settings_for(organisation_id: int) -> NotificationSettings:
    """The organisation's settings, or the defaults (unsaved) when it has none."""
    found = NotificationSettings.objects.filter(organisation_id=organisation_id).first()
    return found or NotificationSettings(organisation_id=organisation_id)


# --- Time rules ----------------------------------------------------------------------------


def reminder_time(start: dt.datetime, hours: int) -> dt.datetime:
    """When a reminder `hours` before `start` goes out: whole days are calendar days at the
    same Paris wall-clock time, the remainder is absolute hours."""
    days, rest = divmod(hours, 24)
    local = start.astimezone(PARIS)
    day = local.date() - dt.timedelta(days=days)
    # In UTC: arithmetic on a Paris-aware datetime would be wall-clock arithmetic.
    return engine.wall_clock(day, local.time()).astimezone(dt.UTC) - dt.timedelta(hours=rest)


def quiet_hours() -> tuple[dt.time, dt.time] | None:
    """(start, end) of the SMS quiet hours in Paris time, or None when disabled."""
    value = settings.SMS_QUIET_HOURS.strip()
    if not value:
        return None
    first, _, last = value.partition("-")
    return dt.time.fromisoformat(first.strip()), dt.time.fromisoformat(last.strip())


def in_quiet_hours(instant: dt.datetime) -> bool:
    window = quiet_hours()
    if window is None:
        return False
    start, end = window
    time = instant.astimezone(PARIS).time()
    return time >= start or time < end if start > end else start <= time < end


def sms_deliverable_at(instant: dt.datetime) -> dt.datetime:
    """`instant`, or the end of the quiet hours it falls in (08:00 Paris by default)."""
    if not in_quiet_hours(instant):
        return instant
    _, end = quiet_hours()  # type: ignore[misc]
    local = instant.astimezone(PARIS)
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return engine.wall_clock(day, end).astimezone(dt.UTC)


# --- Links and placeholder values ----------------------------------------------------------


def site_root() -> str:
    return settings.SITE_ROOT.rstrip("/")


def manage_link(appointment: Appointment) -> str:
    return f"{site_root()}/rdv/{appointment.public_id}/{appointment.manage_token}/"


def offer_link(offer: WaitlistOffer) -> str:
    return f"{site_root()}{settings.WAITLIST_OFFER_PATH.replace('{token}', offer.token)}"


def _phone_for_display(phone: str) -> str:
    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _places(motif: Motif, site: Site) -> tuple[str, str]:
    """({place}, {place_short})."""
    where = {
        Motif.LocationType.HOME: ("à votre domicile", "à domicile"),
        Motif.LocationType.PHONE: ("par téléphone : vous serez appelé(e)", "par téléphone"),
        Motif.LocationType.VIDEO: ("en vidéo : le lien vous sera envoyé", "en vidéo"),
    }
    return where.get(motif.location_type, (f"{site.name}, {site.full_address}", site.name))


def _common_values(organisation: Organisation, person: Patient | WaitlistEntry) -> dict:
    return {
        "organisation": organisation.name,
        "organisation_phone": _phone_for_display(organisation.phone),
        "patient_first_name": person.first_name,
        "patient_last_name": person.last_name,
    }


def appointment_values(
    appointment: Appointment,
    site: Site,
    organisation: Organisation,
    patient: Patient,
    patient_texts: PublicTexts,
) -> dict[str, str]:
    """`patient_texts`: the instruction sheet's, the one home of the motif's instructions
    (decision 0014); read once for many appointments of one organisation."""
    motif = appointment.motif
    place, place_short = _places(motif, site)
    instructions = patient_texts.for_motif(motif.name)
    return {
        **_common_values(organisation, patient),
        "date": french_datetime(appointment.start),
        "practitioner": appointment.practitioner.display_name,
        "motif": motif.name,
        "place": place,
        "place_short": place_short,
        "instructions": f"{instructions}\n\n" if instructions else "",
        "manage_link": manage_link(appointment),
        "site_link": f"{site_root()}/{organisation.slug}/",
        "cancelled_by": (
            "à votre demande"
            if appointment.status == Status.CANCELLED_BY_PATIENT
            else "par le cabinet"
        ),
    }


# --- Queueing ------------------------------------------------------------------------------


@dataclass
class Draft:
    """A message about to be written."""

    kind: str
    channel: str
    recipient: str
    key: str
    when: dt.datetime
    values: dict[str, str]
    patient: Patient | None = None
    appointment: Appointment | None = None
    offer: WaitlistOffer | None = None
    # An SMS deferred past this instant (by quiet hours) is pointless: dropped.
    deadline: dt.datetime | None = None
    # False: an SMS goes out even in the quiet hours (urgent, practitioner's own choice).
    quiet_hours: bool = True


def build_message(
    organisation_id: int,
    draft: Draft,
    now: dt.datetime,
    own_texts: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> Message:
    """The outbox row for a draft: rendered text, send time, or dropped with the reason.
    `own_texts`: the organisation's texts (texts.organisation_texts), when already loaded."""
    if own_texts is None:
        own_texts = texts.organisation_texts(organisation_id)
    subject, body = (
        own_texts.get((draft.kind, draft.channel)) or texts.DEFAULTS[(draft.kind, draft.channel)]
    )
    subject = texts.render(subject, draft.values)
    body = texts.render(body, draft.values)
    refusal = ""
    when = max(draft.when, now)
    if draft.channel == Via.SMS:
        body = texts.sms_text(body)
        refusal = sms_refusal(draft.recipient)
        if not refusal and draft.patient is not None and draft.patient.sms_opt_out:
            refusal = "Le patient a refusé les SMS."
        if draft.quiet_hours:
            when = sms_deliverable_at(when)
        if not refusal and draft.deadline is not None and when >= draft.deadline:
            refusal = "Heures de silence : le SMS arriverait trop tard."
    return Message(
        organisation_id=organisation_id,
        appointment=draft.appointment,
        appointment_start=draft.appointment.start if draft.appointment else None,
        patient=draft.patient,
        offer=draft.offer,
        kind=draft.kind,
        channel=draft.channel,
        recipient=draft.recipient,
        subject=subject[:200],
        body=body,
        status=Message.Status.DROPPED if refusal else Message.Status.QUEUED,
        last_error=refusal,
        scheduled_for=when,
        next_attempt_at=when,
        idempotency_key=draft.key[:100],
    )


def queue(
    organisation_id: int,
    drafts: Iterable[Draft],
    now: dt.datetime,
    own_texts: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> list[Message]:
    """Write the messages (in the caller's transaction); the ones due now are kicked to a
    worker when it commits. `own_texts` as for `build_message`."""
    drafts = list(drafts)
    if not drafts:
        return []
    if own_texts is None:
        own_texts = texts.organisation_texts(organisation_id)
    messages = Message.objects.bulk_create(
        [build_message(organisation_id, draft, now, own_texts) for draft in drafts],
        batch_size=1000,
    )
    queued(messages, now)
    return messages


def queued(messages: Iterable[Message], now: dt.datetime) -> None:
    """Messages just inserted: the ones due now are kicked to a worker on commit."""
    due = [m.id for m in messages if m.status == Message.Status.QUEUED and m.scheduled_for <= now]
    if due:
        from accueil.notify.tasks import kick

        kick(due)


def _contact(patient: Patient) -> tuple[Patient, Patient]:
    """(whose phone, whose e-mail): the patient's, else the parent or carer's."""
    carer = patient.managed_by if patient.managed_by_id else None
    by_phone = patient if patient.phone or carer is None else carer
    by_email = patient if patient.email or carer is None else carer
    return by_phone, by_email


def _channels(patient: Patient, sms: bool, email: bool) -> list[tuple[str, str, Patient]]:
    by_phone, by_email = _contact(patient)
    chosen = []
    if sms and by_phone.phone:
        chosen.append((Via.SMS, by_phone.phone, by_phone))
    if email and by_email.email:
        chosen.append((Via.EMAIL, by_email.email, by_email))
    return chosen


@dataclass(frozen=True)
class AppointmentContext:
    """What messages about an organisation's appointments read: its places (with the
    organisation), its settings (defaults when it has none) and its own texts."""

    sites: dict[int, Site]
    prefs: NotificationSettings
    own_texts: dict[tuple[str, str], tuple[str, str]]
    patient_texts: PublicTexts  # the instruction sheet's, for `{instructions}`


@functools.cache
def _sites_query() -> tuple[str, Callable[[list[tuple]], list[Site]]]:
    """The organisation's places with the organisation and its settings, compiled once:
    the SQL differs only by the organisation id, its one parameter."""
    (sql, params), sites = sqlbatch.select(
        Site.objects.select_related("organisation__notification_settings").filter(organisation_id=0)
    )
    if list(params) != [0]:
        raise RuntimeError(f"Unexpected parameters {params!r}")
    return sql, sites


def appointment_context(
    organisation_id: int,
) -> tuple[list[sqlbatch.Statement], Callable[..., AppointmentContext]]:
    """The reads of `AppointmentContext` as statements for a batch (booking.services sends
    them with its locking read), and what makes the context of their rows."""
    sql, sites = _sites_query()
    sheet_statement, patient_texts = sheets.motif_instructions_statement(organisation_id)

    def context(
        site_rows: list[tuple], text_rows: list[tuple], sheet_rows: list[tuple]
    ) -> AppointmentContext:
        by_id = {site.id: site for site in sites(site_rows)}
        prefs = NotificationSettings(organisation_id=organisation_id)
        if by_id:
            with contextlib.suppress(NotificationSettings.DoesNotExist):
                prefs = next(iter(by_id.values())).organisation.notification_settings
        return AppointmentContext(
            by_id, prefs, texts.texts_of_rows(text_rows), patient_texts(sheet_rows)
        )

    statements = [
        (sql, [organisation_id]),
        texts.organisation_texts_statement(organisation_id),
        sheet_statement,
    ]
    return statements, context


def load_context(organisation_id: int) -> AppointmentContext:
    statements, context = appointment_context(organisation_id)
    return context(*sqlbatch.run(statements))


def on_appointment_event(
    event: AppointmentEvent, context: AppointmentContext | None = None
) -> None:
    """The messages an appointment change causes (called inside the change's transaction)."""
    if _suppressed.get() or event.kind == AppointmentEvent.Kind.STATUS_CHANGED:
        return
    appointment = event.appointment
    now = event.at
    context = context or load_context(appointment.organisation_id)
    if event.kind in (AppointmentEvent.Kind.MOVED, AppointmentEvent.Kind.CANCELLED):
        reason = "Rendez-vous déplacé." if event.kind == AppointmentEvent.Kind.MOVED else None
        drop_pending(appointment, reason or "Rendez-vous annulé.")
    queue(appointment.organisation_id, _drafts(event, context), now, context.own_texts)
    prefs = context.prefs
    if event.kind == AppointmentEvent.Kind.CANCELLED and prefs.waitlist_offers:
        on_slot_freed(appointment.practitioner, appointment.start, appointment.end, now=now)
    elif (
        event.kind == AppointmentEvent.Kind.MOVED and prefs.waitlist_offers and event.previous_start
    ):
        freed = event.previous_start
        duration = appointment.end - appointment.start
        on_slot_freed(appointment.practitioner, freed, freed + duration, now=now)


def booking_messages(event: AppointmentEvent, context: AppointmentContext) -> list[Message]:
    """The outbox rows of a new booking (confirmation, reminders), not written yet: the
    caller inserts them in its transaction, then calls `queued()`. A booking drops no
    message and frees no slot, so this is all `on_appointment_event` would do for it."""
    if event.kind != AppointmentEvent.Kind.BOOKED:
        raise ValueError("Only a booking's messages are written by the caller.")
    if _suppressed.get():
        return []
    return [
        build_message(event.appointment.organisation_id, draft, event.at, context.own_texts)
        for draft in _drafts(event, context)
    ]


def _drafts(event: AppointmentEvent, context: AppointmentContext) -> list[Draft]:
    appointment = event.appointment
    now = event.at
    site, prefs = context.sites[appointment.site_id], context.prefs
    patient = appointment.patient
    values = appointment_values(
        appointment, site, site.organisation, patient, context.patient_texts
    )
    drafts: list[Draft] = []

    def about(kind: str, sms: bool, email: bool, key: str, when: dt.datetime) -> None:
        for channel, recipient, person in _channels(patient, sms, email):
            drafts.append(
                Draft(
                    kind=kind,
                    channel=channel,
                    recipient=recipient,
                    key=f"a{appointment.id}-e{event.id}-{key}-{channel}",
                    when=when,
                    values=values,
                    patient=person,
                    appointment=appointment,
                    deadline=appointment.start,
                )
            )

    def reminders() -> None:
        plan = [(prefs.reminder_hours, prefs.reminder_sms, prefs.reminder_email)]
        if prefs.second_reminder:
            plan.append((prefs.second_reminder_hours, True, False))
        for hours, sms, email in plan:
            when = reminder_time(appointment.start, hours)
            if hours and when > now:
                about(Kind.REMINDER, sms, email, f"reminder{hours}h", when)

    confirm_sms, confirm_email = prefs.confirmation_sms, prefs.confirmation_email
    if event.kind == AppointmentEvent.Kind.BOOKED:
        about(Kind.CONFIRMATION, confirm_sms, confirm_email, "confirmation", now)
        reminders()
    elif event.kind == AppointmentEvent.Kind.MOVED:
        values["previous_date"] = french_datetime(event.previous_start or appointment.start)
        about(Kind.MOVED, confirm_sms, confirm_email, "moved", now)
        reminders()
    elif event.kind == AppointmentEvent.Kind.CANCELLED:
        about(Kind.CANCELLED, confirm_sms, confirm_email, "cancelled", now)
    return drafts


def drop_pending(appointment: Appointment, reason: str) -> int:
    """Drop the queued messages about the appointment's current time (not yet claimed)."""
    return Message.objects.filter(
        appointment=appointment, status=Message.Status.QUEUED, kind__in=ABOUT_A_START
    ).update(status=Message.Status.DROPPED, last_error=reason)


def notify_practitioner(
    organisation: Organisation,
    practitioner: Practitioner,
    *,
    reference: str,
    urgent: bool = False,
    category: str = "",
    sms: bool = False,
    email: bool = True,
    now: dt.datetime | None = None,
) -> list[Message]:
    """Tell a practitioner that a message waits in the desk, by e-mail and/or SMS, in the
    caller's transaction. Data minimisation: the texts carry the category and a link to the
    desk, never who called nor what they said (health data stays in Accueil, behind login).

    E-mail: the practitioner's professional address, else their staff accounts' addresses.
    SMS: their professional mobile; outside urgent ones they opted into at any hour
    (`urgent_sms_anytime`), an SMS waits for the end of the quiet hours as patients' do.
    `reference` makes the idempotency keys (e.g. "m42" for staff message 42)."""
    now = now or timezone.now()
    try:
        link = site_root() + reverse("desk:messages", args=[organisation.slug])
    except NoReverseMatch:
        link = f"{site_root()}/desk/{organisation.slug}/"
    values = {
        "organisation": organisation.name,
        "practitioner": practitioner.display_name,
        "urgent": "URGENT : " if urgent else "",
        "desk_link": link,
        "category": category or "message",
    }
    drafts = []
    if email:
        if practitioner.pro_email:
            addresses = [("pro", practitioner.pro_email)]
        else:
            members = Membership.objects.filter(
                organisation=organisation, practitioner=practitioner
            ).select_related("user")
            addresses = [(f"u{m.user_id}", m.user.email) for m in members if m.user.email]
        drafts += [
            Draft(
                kind=Kind.PRACTITIONER_MESSAGE,
                channel=Via.EMAIL,
                recipient=address,
                key=f"p{reference}-{who}-email",
                when=now,
                values=values,
            )
            for who, address in addresses
        ]
    if sms and practitioner.pro_mobile:
        drafts.append(
            Draft(
                kind=Kind.PRACTITIONER_MESSAGE,
                channel=Via.SMS,
                recipient=practitioner.pro_mobile,
                key=f"p{reference}-sms",
                when=now,
                values=values,
                quiet_hours=not (urgent and practitioner.urgent_sms_anytime),
            )
        )
    return queue(organisation.id, drafts, now)


# --- Staff views ---------------------------------------------------------------------------


def messages_of(appointment: Appointment) -> QuerySet[Message]:
    """What was sent (or not, and why) about an appointment, oldest first."""
    return Message.objects.filter(appointment=appointment).order_by("scheduled_for", "id")


def undelivered(
    organisation: Organisation, since: dt.datetime, now: dt.datetime | None = None
) -> QuerySet[Message]:
    """Failed or dropped messages of the organisation written since `since` or due between
    `since` and now (a reminder queued weeks ago that failed yesterday), newest first."""
    now = now or timezone.now()
    return (
        Message.objects.filter(
            organisation=organisation,
            status__in=[Message.Status.FAILED, Message.Status.DROPPED],
        )
        .filter(Q(created_at__gte=since) | Q(scheduled_for__gte=since, scheduled_for__lte=now))
        .select_related("appointment", "patient")
        .order_by("-scheduled_for", "-id")
    )


def mask_recipient(channel: str, recipient: str) -> str:
    """What staff lists show of a recipient: "06 •• •• •• 78", "j•••@example.org"."""
    if channel == Via.EMAIL:
        local, at, domain = recipient.partition("@")
        return f"{local[:1]}•••{at}{domain}"
    try:
        number = phonenumbers.parse(recipient, "FR")
    except phonenumbers.NumberParseException:
        number = None
    groups = []
    if number is not None:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        groups = national.split()
    if len(groups) < 3:
        return mask_phone(recipient)
    hidden = ["•" * len(group) for group in groups[1:-1]]
    return " ".join([groups[0], *hidden, groups[-1]])


# --- Settings pages ------------------------------------------------------------------------

MAX_REMINDER_HOURS = 7 * 24
# What French operators accept as an alphanumeric sender: 3 to 11 letters or digits, at
# least one letter.
SMS_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{3,11}$")
MAX_TEMPLATE_LENGTH = 2000


def save_settings(
    organisation: Organisation,
    *,
    confirmation_sms: bool,
    confirmation_email: bool,
    reminder_hours: int,
    reminder_sms: bool,
    reminder_email: bool,
    second_reminder: bool,
    second_reminder_hours: int,
    waitlist_offers: bool,
    sms_sender: str,
) -> NotificationSettings:
    """What the organisation sends from now on (messages already queued keep their time)."""
    errors: dict[str, list[str]] = {}
    if not 1 <= reminder_hours <= MAX_REMINDER_HOURS:
        errors["reminder_hours"] = [f"Entre 1 et {MAX_REMINDER_HOURS} heures (une semaine)."]
    if not 1 <= second_reminder_hours <= MAX_REMINDER_HOURS:
        errors["second_reminder_hours"] = [f"Entre 1 et {MAX_REMINDER_HOURS} heures (une semaine)."]
    elif (
        second_reminder
        and "reminder_hours" not in errors
        and (second_reminder_hours >= reminder_hours)
    ):
        errors["second_reminder_hours"] = [
            "Le second rappel part après le premier : indiquez moins d'heures avant le "
            f"rendez-vous que pour le premier rappel ({reminder_hours} h)."
        ]
    sender = sms_sender.strip()
    if sender and not SMS_SENDER.match(sender):
        errors["sms_sender"] = [
            "De 3 à 11 lettres ou chiffres, sans espace ni accent, dont au moins une lettre."
        ]
    if errors:
        raise ValidationError(errors)
    prefs = settings_for(organisation.id)
    prefs.confirmation_sms = confirmation_sms
    prefs.confirmation_email = confirmation_email
    prefs.reminder_hours = reminder_hours
    prefs.reminder_sms = reminder_sms
    prefs.reminder_email = reminder_email
    prefs.second_reminder = second_reminder
    prefs.second_reminder_hours = second_reminder_hours
    prefs.waitlist_offers = waitlist_offers
    prefs.sms_sender = sender
    prefs.save()
    return prefs


def clean_template(kind: str, channel: str, *, body: str, subject: str = "") -> tuple[str, str]:
    """(subject, body) as they would be saved: line ends of any browser, trimmed, no subject
    for an SMS. ValidationError (French, per field) unless `texts.check_template` and the
    desk's rules (an e-mail has a subject, no control characters, 2,000 characters) pass."""
    body = texts.normalise(body)
    subject = " ".join(subject.split()) if channel == Via.EMAIL else ""
    errors: dict[str, list[str]] = {}
    if any(ord(c) < 32 and c not in "\n\t" for c in body):
        errors["body"] = ["Caractères de contrôle interdits."]
    elif len(body) > MAX_TEMPLATE_LENGTH:
        errors["body"] = [f"Texte trop long ({MAX_TEMPLATE_LENGTH} caractères au plus)."]
    if channel == Via.EMAIL and not subject:
        errors["subject"] = ["L'objet de l'e-mail est obligatoire."]
    elif len(subject) > 200:
        errors["subject"] = ["Objet trop long (200 caractères au plus)."]
    if not errors:
        try:
            texts.check_template(kind, channel, subject, body)
        except ValidationError as exc:
            errors = exc.message_dict
    if errors:
        raise ValidationError(errors)
    return subject, body


def save_template(
    organisation: Organisation, kind: str, channel: str, *, body: str, subject: str = ""
) -> MessageTemplate:
    """The organisation's own text for a kind and channel, used for messages queued from now."""
    if (kind, channel) not in texts.DEFAULTS:
        raise ValueError(f"No message {kind} by {channel}")
    subject, body = clean_template(kind, channel, subject=subject, body=body)
    template, _ = MessageTemplate.objects.update_or_create(
        organisation=organisation,
        kind=kind,
        channel=channel,
        defaults={"subject": subject, "body": body},
    )
    return template


def reset_template(organisation: Organisation, kind: str, channel: str) -> bool:
    """Back to the default text; False when the organisation had no text of its own."""
    deleted, _ = MessageTemplate.objects.filter(
        organisation=organisation, kind=kind, channel=channel
    ).delete()
    return bool(deleted)


# --- Waitlist ------------------------------------------------------------------------------

TIMES_OF_DAY = {
    WaitlistEntry.TimeOfDay.MORNING: (dt.time(0), dt.time(12)),
    WaitlistEntry.TimeOfDay.AFTERNOON: (dt.time(12), dt.time(17)),
    WaitlistEntry.TimeOfDay.EVENING: (dt.time(17), dt.time(23, 59, 59)),
}


def check_waitlist_request(
    motif: Motif,
    practitioner: Practitioner | None,
    earliest: dt.date | None,
    latest: dt.date | None,
    times_of_day: Iterable[str],
    today: dt.date,
) -> None:
    """ValidationError (French, per field) unless the public may wait for this motif."""
    errors: dict[str, list[str]] = {}
    if not motif.active or not may_book(motif, Audience.PUBLIC):
        errors["motif"] = ["Ce motif ne peut pas être réservé en ligne."]
    if practitioner is not None and (
        not practitioner.active
        or practitioner.organisation_id != motif.organisation_id
        or not motif.practitioners.filter(pk=practitioner.pk).exists()
    ):
        errors["practitioner"] = ["Ce praticien ne propose pas ce motif."]
    if earliest and latest and latest < earliest:
        errors["latest"] = ["La fin de la période doit suivre son début."]
    elif latest and latest < today:
        errors["latest"] = ["Cette période est passée."]
    unknown = set(times_of_day) - set(WaitlistEntry.TimeOfDay.values)
    if unknown:
        errors["times_of_day"] = ["Moment de la journée inconnu."]
    if errors:
        raise ValidationError(errors)


def join_waitlist(
    *,
    motif: Motif,
    identity: PatientIdentity,
    practitioner: Practitioner | None = None,
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    times_of_day: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Put a patient on the waitlist of a motif; joining twice returns the same entry."""
    now = now or timezone.now()
    today = timezone.localtime(now, PARIS).date()
    times = sorted(set(times_of_day))
    check_waitlist_request(motif, practitioner, earliest, latest, times, today)
    identity = check_identity(identity, today)
    with transaction.atomic():
        entry = WaitlistEntry.objects.filter(
            organisation_id=motif.organisation_id,
            motif=motif,
            practitioner=practitioner,
            active=True,
            first_name__iexact=identity.first_name,
            last_name__iexact=identity.last_name,
            birth_date=identity.birth_date,
            phone=identity.phone,
        ).first()
        if entry is not None:
            return entry
        patient = Patient.objects.filter(
            organisation_id=motif.organisation_id,
            first_name__iexact=identity.first_name,
            last_name__iexact=identity.last_name,
            birth_date=identity.birth_date,
            phone=identity.phone,
        ).first()
        return WaitlistEntry.objects.create(
            organisation_id=motif.organisation_id,
            motif=motif,
            practitioner=practitioner,
            earliest=earliest,
            latest=latest,
            times_of_day=",".join(times),
            patient=patient,
            first_name=identity.first_name,
            last_name=identity.last_name,
            birth_date=identity.birth_date,
            phone=identity.phone,
            email=identity.email,
            joined_at=now,
        )


def leave_waitlist(token: str) -> None:
    WaitlistEntry.objects.filter(token=token).update(active=False)


def _fits(entry: WaitlistEntry, start: dt.datetime) -> bool:
    local = start.astimezone(PARIS)
    if entry.earliest and local.date() < entry.earliest:
        return False
    if entry.latest and local.date() > entry.latest:
        return False
    if not entry.times_of_day:
        return True
    return any(
        TIMES_OF_DAY[part][0] <= local.time() < TIMES_OF_DAY[part][1]
        for part in entry.times_of_day.split(",")
        if part in TIMES_OF_DAY
    )


def offer_opened_time(sender, *, practitioner: Practitioner, start, end, **kwargs) -> None:
    """Receiver of `scheduling.signals.time_opened` (an absence removed, a period added)."""
    on_slot_freed(practitioner, start, end)


def on_slot_freed(
    practitioner: Practitioner,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> list[WaitlistOffer]:
    """Offer the free slots starting in [start, end) of this practitioner to the waitlist.

    Call it when time frees up: a cancellation (done by `on_appointment_event`), an absence
    removed, a new opening period. Each free slot goes to at most WAITLIST_OFFERS_PER_SLOT
    matching waiters in joining order; each waiter gets at most one slot per call, and
    never the same slot twice.
    """
    now = (now or timezone.now()).astimezone(dt.UTC)
    organisation_id = practitioner.organisation_id
    if not settings_for(organisation_id).waitlist_offers:
        return []
    entries = list(
        WaitlistEntry.objects.filter(
            organisation_id=organisation_id,
            active=True,
            motif__practitioners=practitioner,
            motif__active=True,
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
        .select_related("motif", "patient", "organisation")
        .order_by("joined_at", "id")
    )
    if not entries:
        return []
    first = timezone.localtime(max(start, now), PARIS).date()
    last = timezone.localtime(end, PARIS).date()
    slots_of: dict[int, list[engine.Slot]] = {}
    offers: list[WaitlistOffer] = []
    per_slot: dict[tuple[int, dt.datetime], int] = {}
    limit = settings.WAITLIST_OFFERS_PER_SLOT
    ttl = dt.timedelta(minutes=settings.WAITLIST_OFFER_TTL_MINUTES)
    for entry in entries:
        motif = entry.motif
        if not may_book(motif, Audience.PUBLIC):
            continue
        if motif.id not in slots_of:
            slots_of[motif.id] = [
                slot
                for slot in available_slots(practitioner, motif, first, last, now=now)
                if start <= slot.start < end
            ]
        already = set(
            WaitlistOffer.objects.filter(entry=entry, practitioner=practitioner).values_list(
                "start", flat=True
            )
        )
        deliver = sms_deliverable_at(now) if entry.phone else now
        for slot in slots_of[motif.id]:
            if slot.start in already or per_slot.get((motif.id, slot.start), 0) >= limit:
                continue
            if not _fits(entry, slot.start) or deliver >= slot.start:
                continue
            per_slot[(motif.id, slot.start)] = per_slot.get((motif.id, slot.start), 0) + 1
            offer = WaitlistOffer.objects.create(
                entry=entry,
                practitioner=practitioner,
                motif=motif,
                site_id=slot.site_id,
                start=slot.start,
                end=slot.end,
                created_at=now,
                expires_at=min(deliver + ttl, slot.start),
            )
            offers.append(offer)
            _queue_offer(offer, entry, practitioner, now)
            break
    return offers


def _queue_offer(
    offer: WaitlistOffer, entry: WaitlistEntry, practitioner: Practitioner, now: dt.datetime
) -> None:
    site = Site.objects.get(pk=offer.site_id)
    place, place_short = _places(entry.motif, site)
    values = {
        **_common_values(entry.organisation, entry),
        "date": french_datetime(offer.start),
        "practitioner": practitioner.display_name,
        "motif": entry.motif.name,
        "place": place,
        "place_short": place_short,
        "offer_link": offer_link(offer),
        "offer_expires": french_datetime(offer.expires_at, year=False),
    }
    drafts = []
    for channel, recipient in ((Via.SMS, entry.phone), (Via.EMAIL, entry.email)):
        if recipient:
            drafts.append(
                Draft(
                    kind=Kind.WAITLIST_OFFER,
                    channel=channel,
                    recipient=recipient,
                    key=f"o{offer.id}-{channel}",
                    when=now,
                    values=values,
                    patient=entry.patient,
                    offer=offer,
                    deadline=offer.expires_at,
                )
            )
    queue(entry.organisation_id, drafts, now)


def accept_offer(token: str, *, now: dt.datetime | None = None) -> Appointment:
    """Book the offered slot for the waiter, through `book()` like any booking.

    OfferUnavailable("unknown" | "expired" | "used") when the offer cannot be used;
    booking.SlotTaken ("already taken") when someone else booked the slot first: the offer
    is marked taken and the waiter stays on the list for the next freed slot.
    """
    # booking.services calls this module from _record: imported here, not at module level.
    from accueil.booking import services as booking

    now = now or timezone.now()
    taken = False
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_for_update()
            .select_related("entry", "practitioner", "motif")
            .filter(token=token)
            .first()
        )
        if offer is None:
            raise OfferUnavailable("unknown", "Cette proposition n'existe pas.")
        if offer.status == WaitlistOffer.Status.TAKEN:
            raise booking.SlotTaken()
        if offer.status != WaitlistOffer.Status.OFFERED:
            raise OfferUnavailable("used", "Cette proposition n'est plus valable.")
        if offer.expires_at <= now:
            offer.status = WaitlistOffer.Status.EXPIRED
            offer.save(update_fields=["status"])
            expired = True
        else:
            expired = False
            entry = offer.entry
            identity = PatientIdentity(
                first_name=entry.first_name,
                last_name=entry.last_name,
                birth_date=entry.birth_date,
                phone=entry.phone,
                email=entry.email,
            )
            try:
                appointment = booking.book(
                    practitioner=offer.practitioner,
                    motif=offer.motif,
                    start=offer.start,
                    patient=entry.patient or identity,
                    channel=Channel.WEB,
                    audience=Audience.PUBLIC,
                    now=now,
                )
            except booking.SlotTaken:
                taken = True
                offer.status = WaitlistOffer.Status.TAKEN
                offer.save(update_fields=["status"])
            else:
                offer.status = WaitlistOffer.Status.ACCEPTED
                offer.appointment = appointment
                offer.save(update_fields=["status", "appointment"])
                entry.active = False
                entry.save(update_fields=["active"])
                _close_other_offers(offer)
    if expired:
        raise OfferUnavailable("expired", "Cette proposition a expiré.")
    if taken:
        raise booking.SlotTaken()
    return appointment


def _close_other_offers(accepted: WaitlistOffer) -> None:
    """The slot is gone: the other offers of it are taken (their waiters stay listed)."""
    same_slot = WaitlistOffer.objects.filter(
        practitioner_id=accepted.practitioner_id,
        start=accepted.start,
        status=WaitlistOffer.Status.OFFERED,
    ).exclude(pk=accepted.pk)
    if accepted.motif.capacity > 1:
        seats = Appointment.objects.filter(
            practitioner_id=accepted.practitioner_id,
            start=accepted.start,
            status__in=ACTIVE_STATUSES,
        ).count()
        if seats < accepted.motif.capacity:
            return
    same_slot.update(status=WaitlistOffer.Status.TAKEN)


def slot_still_free(offer: WaitlistOffer) -> bool:
    """No active appointment took the offered time (a group session: a seat remains)."""
    overlapping = Appointment.objects.filter(
        practitioner_id=offer.practitioner_id,
        status__in=ACTIVE_STATUSES,
        start__lt=offer.end,
        end__gt=offer.start,
    )
    if offer.motif.capacity > 1:
        others = overlapping.exclude(start=offer.start, motif_id=offer.motif_id).exists()
        seats = overlapping.filter(start=offer.start, motif_id=offer.motif_id).count()
        return not others and seats < offer.motif.capacity
    return not overlapping.exists()
