"""Twilio webhooks of the audio bridge (bridge.py): the waiting caller's waitUrl and action
URL, and the operator's leg. Signed like the receptionist's (reception.twilio.twilio_view).
"""

from __future__ import annotations

import logging
import uuid

from django.http import HttpRequest, HttpResponse

from accueil.reception.twilio import say, twilio_view, twiml
from accueil.secretariat import bridge, services
from accueil.secretariat.models import QueuedCall

logger = logging.getLogger(__name__)

OPERATOR_STEP = "operateur"
# Twilio's QueueResult values after which the caller is gone.
GONE = {"hangup", "bridged", "redirected-from-bridged", "queue-full", "error", "system-error"}
FAILED = {"queue-full", "error", "system-error"}


def _queued(request: HttpRequest) -> QueuedCall | None:
    sid = request.POST.get("CallSid", "")
    if not sid:
        return None
    return (
        QueuedCall.objects.filter(twilio_call_sid=sid)
        .select_related("client")
        .order_by("-id")
        .first()
    )


def _ordinal(n: int) -> str:
    return "premier" if n == 1 else f"{n}e"


@twilio_view
def wait(request: HttpRequest) -> HttpResponse:
    """Played in a loop while the caller waits; `<Leave/>` once an operator took the call."""
    queued = _queued(request)
    seconds = _int(request.POST.get("QueueTime"))
    if request.GET.get("etape") == OPERATOR_STEP:
        if queued is None or queued.status != QueuedCall.Status.ON_CALL:
            return twiml("<Leave/>")
        if seconds >= bridge.OPERATOR_WAIT_SECONDS:
            return twiml("<Leave/>")  # the operator did not pick up: see `left`
        return twiml(say("Un secrétaire va vous répondre."), '<Pause length="4"/>')
    if queued is None or queued.status != QueuedCall.Status.WAITING:
        return twiml("<Leave/>")
    if seconds < 5:
        position = services.queue_position(queued) or 1
        text = (
            f"Bonjour, vous êtes bien au secrétariat de {queued.client.name}. Nos secrétaires "
            f"sont en ligne, merci de patienter. Vous êtes le {_ordinal(position)} en attente."
        )
    else:
        text = "Merci de patienter, un secrétaire va vous répondre."
    return twiml(say(text), '<Pause length="3"/>')


@twilio_view
def left(request: HttpRequest) -> HttpResponse:
    """The Enqueue's action: how the caller left a queue (Twilio's QueueResult)."""
    queued = _queued(request)
    result = request.POST.get("QueueResult", "")
    operator_step = request.GET.get("etape") == OPERATOR_STEP
    if queued is None:
        return twiml("<Hangup/>")
    if result in GONE:
        # Still waiting: abandoned (not billed unless the contract says so); taken: the
        # conversation is over and the operator writes the wrap-up.
        services.caller_hung_up(queued.id)
        if result in FAILED:
            logger.warning("queued call %s left Twilio's queue: %s", queued.id, result)
            return twiml(
                say("Nous ne pouvons pas prendre votre appel. Merci de rappeler plus tard."),
                "<Hangup/>",
            )
        return twiml("<Hangup/>")
    if result != "leave":
        return twiml()  # redirected elsewhere by the REST API: nothing to add
    queued.refresh_from_db()
    if operator_step or queued.bridge != QueuedCall.Bridge.REQUESTED:
        # Nobody will pick this caller up in Twilio: the console shows the number to call.
        if queued.status == QueuedCall.Status.ON_CALL and operator_step:
            QueuedCall.objects.filter(pk=queued.pk).update(bridge=QueuedCall.Bridge.FAILED)
        return twiml(
            say("Un secrétaire a pris votre appel et va vous rappeler très vite. Au revoir."),
            "<Hangup/>",
        )
    if queued.status != QueuedCall.Status.ON_CALL:
        return twiml("<Hangup/>")
    return twiml(say("Je vous mets en relation."), bridge.enqueue_for_operator(queued))


@twilio_view
def operator_leg(request: HttpRequest, call_id: uuid.UUID) -> HttpResponse:
    """The operator answered the call Twilio placed to them: connect them to their caller."""
    queued = QueuedCall.objects.filter(public_id=call_id).select_related("client").first()
    if queued is None or queued.status != QueuedCall.Status.ON_CALL or not queued.taken_by_id:
        return twiml(say("Cet appel n'est plus en attente."), "<Hangup/>")
    return twiml(say(f"Appel pour {queued.client.name}."), bridge.dial_operator_queue(queued))


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
