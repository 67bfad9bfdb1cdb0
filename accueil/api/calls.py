"""Calls API: telephony platforms (or any client) drive the virtual receptionist.

Bearer token `ACCUEIL_TELEPHONY_TOKEN` (an empty setting refuses everything). Thin
endpoints: the work is in `accueil.reception.services`.

    GET  /api/v1/organisations              public directory of numbers answered
    POST /api/v1/calls {"to", "from", "desk_missed"}
                                            201 {id, say, status, queue, ring}
    POST /api/v1/calls/{id}/turns {"text"}  {say, status, outcome}; 409 once the call ended
    POST /api/v1/calls/{id}/hangup          the caller hung up (receptionist or queue)
    GET  /api/v1/calls/{id}                 transcript, outcomes, summary, appointments

A new call goes where `secretariat.services.arrive` says, as with the Twilio webhook
(docs/decisions/0013-call-arrival-routing.md), and `status` tells the telephony side:
    "open"       the receptionist answers: `say` the greeting, then turns
    "queued"     the remote secretariat's queue: `id` is the queued call, `queue.position`
    "ring_desk"  ring `ring.number` for `ring.seconds`, then POST again with
                 "desk_missed": true if nobody picked up (`id` is null: nothing started)
"""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer

from accueil.api.v1 import Text
from accueil.reception import services
from accueil.reception.models import Call
from accueil.secretariat import routing
from accueil.secretariat import services as secretariat
from accueil.secretariat.models import QueuedCall
from accueil.throttle import services as throttle

QUEUED_SAY = "Merci de patienter, un secrétaire du cabinet va vous répondre."


class TelephonyToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        expected = settings.ACCUEIL_TELEPHONY_TOKEN
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            return "telephony"
        return None


router = Router(auth=TelephonyToken(), tags=["calls"])

PhoneText = Annotated[Text, Field(min_length=1, max_length=32)]


class SiteOut(Schema):
    id: int
    name: str
    address: str
    phone: str


class OrganisationOut(Schema):
    id: int
    name: str
    phone: str
    sites: list[SiteOut]


class CallIn(Schema):
    to: PhoneText
    from_: Annotated[Text, Field(max_length=32, alias="from")] = ""
    desk_missed: bool = False

    model_config = {"populate_by_name": True}


class QueueOut(Schema):
    position: int | None
    secretariat: str


class RingOut(Schema):
    number: str
    seconds: int


class CallOut(Schema):
    id: uuid.UUID | None
    say: str
    status: str
    queue: QueueOut | None = None
    ring: RingOut | None = None


class HangupOut(Schema):
    status: str


class TurnIn(Schema):
    text: Annotated[Text, Field(max_length=2000)]


class TurnOut(Schema):
    say: str
    status: str
    outcome: str | None
    transfer_to: str | None = None


class TranscriptLine(Schema):
    index: int
    caller: str
    agent: str
    at: str


class CallDetail(Schema):
    id: uuid.UUID
    organisation: dict
    from_: str = Field(alias="from")
    to: str
    status: str
    outcome: str | None
    outcomes: list[str]
    summary: str
    transfer_to: str
    appointment_ids: list[int]
    started_at: str
    ended_at: str | None
    duration_seconds: int | None
    transcript: list[TranscriptLine]


class Error(Schema):
    error: str


class FieldErrors(Schema):
    errors: dict[str, list[str]]


@router.get("/organisations", response=list[OrganisationOut])
def organisations(request: HttpRequest):
    return services.public_organisations()


@router.post("/calls", response={201: CallOut, 422: FieldErrors, 429: Error})
def start_call(request: HttpRequest, payload: CallIn):
    # One number calling again and again (the receptionist texts callers): 429.
    if payload.from_.strip():
        throttle.hit(throttle.CALL_NUMBER, throttle.phone_key(payload.from_))
    try:
        arrival = secretariat.arrive(payload.to, payload.from_, desk_missed=payload.desk_missed)
        if arrival.step is routing.Step.QUEUE:
            queued = arrival.queued
            return Status(
                201,
                {
                    "id": queued.public_id,
                    "say": QUEUED_SAY,
                    "status": arrival.step.value,
                    "queue": {
                        "position": arrival.position,
                        "secretariat": arrival.route.contract.secretariat.name,
                    },
                },
            )
        if arrival.step is routing.Step.RING_DESK:
            ring = {"number": arrival.desk_number, "seconds": arrival.route.seconds}
            return Status(201, {"id": None, "say": "", "status": arrival.step.value, "ring": ring})
        result = services.start_call(to=payload.to, from_=payload.from_, channel="api")
    except ValidationError as exc:
        return Status(422, {"errors": exc.message_dict})
    return Status(201, {"id": result.call.id, "say": result.say, "status": result.status})


@router.post("/calls/{call_id}/hangup", response={200: HangupOut, 404: Error})
def hang_up(request: HttpRequest, call_id: uuid.UUID):
    """The caller hung up: a receptionist's call ends; a queued call still waiting is
    abandoned (billed only if the contract says so), one being answered goes to wrap-up."""
    call = services.hang_up(call_id)
    if call is not None:
        return Status(200, {"status": call.status})
    queued = QueuedCall.objects.filter(public_id=call_id).values_list("id", flat=True).first()
    if queued is None:
        return Status(404, {"error": "not_found"})
    return Status(200, {"status": secretariat.caller_hung_up(queued).status})


@router.post("/calls/{call_id}/turns", response={200: TurnOut, 404: Error, 409: Error})
def take_turn(request: HttpRequest, call_id: uuid.UUID, payload: TurnIn):
    try:
        result = services.take_turn(call_id, payload.text)
    except services.CallNotFound:
        return Status(404, {"error": "not_found"})
    except services.CallEnded:
        return Status(409, {"error": "call_ended"})
    return Status(
        200,
        {
            "say": result.say,
            "status": result.status,
            "outcome": result.outcome,
            "transfer_to": result.transfer_to or None,
        },
    )


@router.get("/calls/{call_id}", response={200: CallDetail, 404: Error})
def call_detail(request: HttpRequest, call_id: uuid.UUID):
    call = Call.objects.select_related("organisation").filter(pk=call_id).first()
    if call is None:
        return Status(404, {"error": "not_found"})
    return Status(200, services.call_detail(call))
