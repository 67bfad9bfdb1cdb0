"""JSON API v1: the public booking contract (motifs bookable by the public only).

Endpoints are thin: they parse, call services and shape the answer.
"""

import datetime as dt
import hmac
import uuid
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

from accueil.api import idempotency
from accueil.audit import services as audit
from accueil.audit.models import ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel
from accueil.directory.models import Motif, Practitioner
from accueil.directory.services import Audience, motifs_open_to
from accueil.notify import services as waitlist
from accueil.notify.models import WaitlistEntry
from accueil.patients.services import PatientIdentity
from accueil.reception.sheets import patient_texts
from accueil.scheduling import search
from accueil.scheduling import services as scheduling
from accueil.throttle import services as throttle

router = Router()


def no_control_characters(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and no field of ours has a use for control characters."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise PydanticCustomError("control_characters", "Caractères de contrôle interdits.")
    return value


# Every free-text input of the API.
Text = Annotated[str, AfterValidator(no_control_characters)]

PUBLIC_MOTIFS = motifs_open_to(Audience.PUBLIC)
NOT_FOUND = {"error": "not_found"}


class OrganisationOut(Schema):
    id: int
    name: str


class SiteOut(Schema):
    id: int
    name: str
    address: str


class PractitionerOut(Schema):
    id: int
    name: str
    profession: str
    organisation: OrganisationOut
    sites: list[SiteOut]


class MotifOut(Schema):
    id: int
    name: str
    duration_minutes: int
    location_type: str
    bookable_by: str
    capacity: int


class SlotOut(Schema):
    start: str
    end: str
    site: int


class PatientIn(Schema):
    first_name: Text = Field(max_length=200)
    last_name: Text = Field(max_length=200)
    birth_date: dt.date
    phone: Text = Field(max_length=40)
    email: Text = Field("", max_length=254)


class AppointmentIn(Schema):
    practitioner: int
    motif: int
    start: AwareDatetime
    patient: PatientIn


class AppointmentCreated(Schema):
    id: str
    start: str
    end: str
    status: str
    manage_token: str


class AppointmentOut(Schema):
    id: str
    start: str
    end: str
    status: str
    practitioner: dict
    motif: dict
    site: SiteOut
    patient: dict


class TokenIn(Schema):
    token: Text = Field(max_length=200)
    reason: Text = Field("", max_length=300)


class MoveIn(Schema):
    token: Text = Field(max_length=200)
    start: AwareDatetime


class Error(Schema):
    error: str


class FieldErrors(Schema):
    errors: dict[str, list[str]]


class FirstAvailableOut(Schema):
    practitioner: PractitionerOut
    motif: MotifOut
    start: str
    end: str
    site: int


def iso(instant: dt.datetime) -> str:
    """ISO 8601 with the Paris UTC offset (+01:00 / +02:00)."""
    return timezone.localtime(instant).isoformat()


def practitioner_out(practitioner: Practitioner) -> dict:
    return {
        "id": practitioner.id,
        "name": practitioner.display_name,
        "profession": practitioner.profession,
        "organisation": {
            "id": practitioner.organisation_id,
            "name": practitioner.organisation.name,
        },
        "sites": [
            {"id": s.id, "name": s.name, "address": s.full_address}
            for s in practitioner.sites.all()
        ],
    }


def motif_out(motif: Motif) -> dict:
    return {
        "id": motif.id,
        "name": motif.name,
        "duration_minutes": motif.duration_minutes,
        "location_type": motif.location_type,
        "bookable_by": motif.bookable_by,
        "capacity": motif.capacity,
    }


def appointment_out(appointment: Appointment) -> dict:
    site = appointment.site
    return {
        "id": str(appointment.public_id),
        "start": iso(appointment.start),
        "end": iso(appointment.end),
        "status": appointment.status,
        "practitioner": {
            "id": appointment.practitioner_id,
            "name": appointment.practitioner.display_name,
        },
        "motif": {
            "id": appointment.motif_id,
            "name": appointment.motif.name,
            "instructions": patient_texts(appointment.organisation).for_motif(
                appointment.motif.name
            ),
        },
        "site": {"id": site.id, "name": site.name, "address": site.full_address},
        "patient": {
            "first_name": appointment.patient.first_name,
            "last_name": appointment.patient.last_name,
        },
    }


def public_practitioners():
    return (
        Practitioner.objects.filter(active=True, motifs__in=Motif.objects.filter(PUBLIC_MOTIFS))
        .distinct()
        .select_related("organisation")
        .prefetch_related("sites")
        .order_by("last_name", "first_name", "id")
    )


def field_error(field: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": {field: [message]}}, status=422)


@router.get("/practitioners", response=list[PractitionerOut])
def list_practitioners(
    request: HttpRequest,
    profession: Text = Query("", max_length=100),
    organisation: int | None = None,
):
    practitioners = public_practitioners()
    if profession:
        practitioners = practitioners.filter(profession__iexact=profession)
    if organisation is not None:
        practitioners = practitioners.filter(organisation_id=organisation)
    return [practitioner_out(p) for p in practitioners]


@router.get("/motifs", response={200: list[MotifOut], 422: FieldErrors})
def list_motifs(request: HttpRequest, practitioner: int):
    found = public_practitioners().filter(pk=practitioner).first()
    if found is None:
        return field_error("practitioner", "Praticien inconnu.")
    motifs = found.motifs.filter(PUBLIC_MOTIFS).order_by("name", "id")
    return [motif_out(m) for m in motifs]


@router.get("/slots", response={200: list[SlotOut], 422: FieldErrors})
def list_slots(
    request: HttpRequest,
    practitioner: int,
    motif: int,
    from_: dt.date = Query(..., alias="from"),
    to: dt.date = Query(...),
):
    found = public_practitioners().filter(pk=practitioner).first()
    if found is None:
        return field_error("practitioner", "Praticien inconnu.")
    chosen = found.motifs.filter(PUBLIC_MOTIFS).filter(pk=motif).first()
    if chosen is None:
        return field_error("motif", "Ce motif n'est pas proposé en ligne par ce praticien.")
    if to < from_:
        return field_error("to", "La date de fin précède la date de début.")
    if (to - from_).days >= scheduling.MAX_SEARCH_DAYS:
        return field_error("to", f"La période demandée dépasse {scheduling.MAX_SEARCH_DAYS} jours.")
    slots = scheduling.available_slots(found, chosen, from_, to)
    return [{"start": iso(s.start), "end": iso(s.end), "site": s.site_id} for s in slots]


@router.get("/first-available", response={200: list[FirstAvailableOut]})
def first_available(
    request: HttpRequest,
    profession: Text = Query("", max_length=100),
    motif: Text = Query("", max_length=100),
    organisation: int | None = None,
    postcode: Text = Query("", max_length=5),
    city: Text = Query("", max_length=100),
    limit: int = Query(10, ge=1, le=50),
):
    found = search.first_available(
        profession=profession,
        motif_name=motif,
        organisation_id=organisation,
        postcode_prefix=postcode,
        city=city,
        limit=limit,
    )
    return [
        {
            "practitioner": practitioner_out(f.practitioner),
            "motif": motif_out(f.motif),
            "start": iso(f.slot.start),
            "end": iso(f.slot.end),
            "site": f.slot.site_id,
        }
        for f in found
    ]


@router.post(
    "/appointments",
    response={201: AppointmentCreated, 409: Error, 422: FieldErrors, 429: Error},
)
def create_appointment(request: HttpRequest, payload: AppointmentIn):
    _count_post(request, throttle.BOOKING_IP)
    throttle.hit(throttle.BOOKING_PHONE, throttle.phone_key(payload.patient.phone))

    def handler() -> idempotency.Outcome:
        practitioner = (
            Practitioner.objects.select_related("organisation")
            .filter(pk=payload.practitioner)
            .first()
        )
        if practitioner is None:
            return 422, {"errors": {"practitioner": ["Praticien inconnu."]}}
        motif = Motif.objects.filter(pk=payload.motif).first()
        if motif is None:
            return 422, {"errors": {"motif": ["Motif inconnu."]}}
        identity = PatientIdentity(**payload.patient.dict())
        try:
            appointment = booking.book(
                practitioner=practitioner,
                motif=motif,
                start=payload.start,
                patient=identity,
                channel=Channel.API,
                audience=Audience.PUBLIC,
            )
        except ValidationError as exc:
            return 422, {"errors": _prefixed(exc.message_dict)}
        except booking.SlotTaken:
            return 409, {"error": "slot_taken"}
        return 201, {
            "id": str(appointment.public_id),
            "start": iso(appointment.start),
            "end": iso(appointment.end),
            "status": appointment.status,
            "manage_token": appointment.manage_token,
        }

    return idempotency.respond(request, handler)


@router.get(
    "/appointments/{appointment_id}", response={200: AppointmentOut, 404: Error, 429: Error}
)
def get_appointment(request: HttpRequest, appointment_id: str, token: str = ""):
    appointment = _by_token(request, appointment_id, token)
    if appointment is None:
        return Status(404, NOT_FOUND)
    audit.record_read(
        request,
        organisation_id=appointment.organisation_id,
        object_type=ObjectType.APPOINTMENT,
        object_id=appointment.public_id,
        channel=Channel.API,
        summary="Lecture par l'API (jeton de gestion)",
    )
    return appointment_out(appointment)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, 404: Error, 409: Error, 429: Error},
)
def cancel_appointment(request: HttpRequest, appointment_id: str, payload: TokenIn):
    _count_post(request)

    def handler() -> idempotency.Outcome:
        appointment = _by_token(request, appointment_id, payload.token)
        if appointment is None:
            return 404, NOT_FOUND
        try:
            appointment = booking.cancel(
                appointment, by_patient=True, channel=Channel.API, reason=payload.reason
            )
        except booking.NotChangeable as exc:
            return 409, {"error": exc.code}
        return 200, appointment_out(appointment)

    return idempotency.respond(request, handler)


@router.post(
    "/appointments/{appointment_id}/move",
    response={200: AppointmentOut, 404: Error, 409: Error, 422: FieldErrors, 429: Error},
)
def move_appointment(request: HttpRequest, appointment_id: str, payload: MoveIn):
    _count_post(request)

    def handler() -> idempotency.Outcome:
        appointment = _by_token(request, appointment_id, payload.token)
        if appointment is None:
            return 404, NOT_FOUND
        try:
            appointment = booking.move(
                appointment, start=payload.start, channel=Channel.API, audience=Audience.PUBLIC
            )
        except ValidationError as exc:
            return 422, {"errors": exc.message_dict}
        except booking.SlotTaken:
            return 409, {"error": "slot_taken"}
        except booking.NotChangeable as exc:
            return 409, {"error": exc.code}
        return 200, appointment_out(appointment)

    return idempotency.respond(request, handler)


class WaitlistIn(Schema):
    motif: int
    practitioner: int | None = None
    patient: PatientIn
    earliest: dt.date | None = None
    latest: dt.date | None = None
    times_of_day: list[Literal["morning", "afternoon", "evening"]] = Field(
        default_factory=list, max_length=3
    )


class WaitlistJoined(Schema):
    token: str
    motif: int
    practitioner: int | None


@router.post("/waitlist", response={201: WaitlistJoined, 422: FieldErrors, 429: Error})
def join_waitlist(request: HttpRequest, payload: WaitlistIn):
    """Be told (SMS, e-mail) when a matching slot frees up; the token lets one leave."""
    _count_post(request, throttle.WAITLIST_IP)
    throttle.hit(throttle.WAITLIST_PHONE, throttle.phone_key(payload.patient.phone))
    motif = Motif.objects.filter(PUBLIC_MOTIFS, pk=payload.motif).first()
    if motif is None:
        return Status(422, {"errors": {"motif": ["Motif inconnu."]}})
    practitioner = None
    if payload.practitioner is not None:
        practitioner = Practitioner.objects.filter(pk=payload.practitioner).first()
        if practitioner is None:
            return Status(422, {"errors": {"practitioner": ["Praticien inconnu."]}})
    try:
        entry = waitlist.join_waitlist(
            motif=motif,
            identity=PatientIdentity(**payload.patient.dict()),
            practitioner=practitioner,
            earliest=payload.earliest,
            latest=payload.latest,
            times_of_day=payload.times_of_day,
        )
    except ValidationError as exc:
        return Status(422, {"errors": _prefixed(exc.message_dict)})
    return Status(
        201, {"token": entry.token, "motif": motif.id, "practitioner": entry.practitioner_id}
    )


@router.delete("/waitlist/{token}", response={204: None, 404: Error, 429: Error})
def leave_waitlist(request: HttpRequest, token: str):
    _count_post(request)
    found = throttle.token_lookup(
        request, lambda: WaitlistEntry.objects.filter(token=token, active=True).first()
    )
    if found is None:
        return Status(404, NOT_FOUND)
    waitlist.leave_waitlist(token)
    return Status(204, None)


def _count_post(request: HttpRequest, *scopes: str) -> None:
    """Rate limits of a POST or DELETE, per client address: every one (API_IP) and those of
    its kind; before any work, so that nothing is half-done when one is refused (429)."""
    for scope in (throttle.API_IP, *scopes):
        throttle.hit_address(scope, request)


def _by_token(request: HttpRequest, appointment_id: str, token: str) -> Appointment | None:
    """The appointment if the token matches; None alike for unknown ids and wrong tokens.
    Misses are counted per address (token guessing)."""
    return throttle.token_lookup(request, lambda: _find_by_token(appointment_id, token))


def _find_by_token(appointment_id: str, token: str) -> Appointment | None:
    try:
        public_id = uuid.UUID(appointment_id)
    except ValueError:
        return None
    appointment = (
        Appointment.objects.select_related("practitioner", "motif", "site", "patient")
        .filter(public_id=public_id)
        .first()
    )
    expected = appointment.manage_token if appointment else "x" * 32
    if not hmac.compare_digest(expected.encode(), token.encode()) or appointment is None:
        return None
    return appointment


def _prefixed(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Identity fields are nested under `patient` in the request body."""
    identity_fields = {"first_name", "last_name", "birth_date", "phone", "email", "birth_name"}
    return {(f"patient.{k}" if k in identity_fields else k): v for k, v in errors.items()}
