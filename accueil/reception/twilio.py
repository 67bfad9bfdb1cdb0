"""Twilio-compatible voice webhook: TwiML answers driven by the same receptionist.

A practice forwards its number to a Twilio number whose "A call comes in" webhook is
POST {base}/telephony/twilio/voice and whose status callback is
POST {base}/telephony/twilio/status. Each answer is `<Say language="fr-FR">` inside a
`<Gather input="speech" language="fr-FR" hints=...>` whose action posts the recognised text
(SpeechResult) to /telephony/twilio/gather; transfers and put-through are `<Dial>`, the end
of a call `<Hangup/>`. Where a new call goes first (the remote secretariat's queue, the
desk, the receptionist) is `secretariat.services.arrive`'s decision, as for the calls API;
a call for the secretariat gets `<Enqueue>` (secretariat/bridge.py).

Every request must carry a valid X-Twilio-Signature (HMAC-SHA1 of the
URL Twilio called followed by the POST parameters sorted by name, keyed by the account's
auth token, base64), checked against TWILIO_AUTH_TOKEN; an empty setting refuses all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accueil.directory.models import Motif, Practitioner
from accueil.reception import services
from accueil.reception.models import Call
from accueil.secretariat import bridge, routing
from accueil.secretariat import services as secretariat

logger = logging.getLogger(__name__)

LANGUAGE = "fr-FR"
GATHER_TIMEOUT_SECONDS = 6
MAX_HINTS = 80


# Signature -------------------------------------------------------------------------------


def signature(token: str, url: str, params: dict[str, list[str]]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(token, url + k1 + v1 + k2 + v2 ...)),
    parameters sorted by name (and values of one name sorted)."""
    data = url + "".join(k + v for k in sorted(params) for v in sorted(params[k]))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_url(request: HttpRequest) -> str:
    base = settings.TWILIO_WEBHOOK_BASE_URL.rstrip("/")
    return base + request.get_full_path() if base else request.build_absolute_uri()


def is_valid(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    given = request.headers.get("X-Twilio-Signature", "")
    if not token or not given:
        return False
    params = {key: request.POST.getlist(key) for key in request.POST}
    expected = signature(token, signed_url(request), params)
    return hmac.compare_digest(expected.encode(), given.encode())


def twilio_view(view):
    @csrf_exempt
    @require_POST
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_valid(request):
            return HttpResponseForbidden("Signature invalide.")
        return view(request, *args, **kwargs)

    return wrapped


# TwiML -----------------------------------------------------------------------------------


def twiml(*verbs: str) -> HttpResponse:
    body = '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


def say(text: str) -> str:
    return f'<Say language="{LANGUAGE}">{escape(text)}</Say>'


def gather(text: str, action: str, hints: str) -> str:
    attributes = (
        f'input="speech" language="{LANGUAGE}" action={quoteattr(action)} method="POST" '
        f'speechTimeout="auto" timeout="{GATHER_TIMEOUT_SECONDS}" actionOnEmptyResult="true"'
    )
    if hints:
        attributes += f" hints={quoteattr(hints)}"
    # Without speech, Twilio goes on to the next verb: the redirect reports the silence.
    return f"<Gather {attributes}>{say(text)}</Gather>" + (
        f'<Redirect method="POST">{escape(action)}</Redirect>'
    )


def dial(number: str, *, action: str = "", timeout: int | None = None) -> str:
    attributes = ""
    if action:
        attributes += f' action={quoteattr(action)} method="POST"'
    if timeout:
        attributes += f' timeout="{timeout}"'
    return f"<Dial{attributes}>{escape(number)}</Dial>"


def hints_for(organisation_id: int) -> str:
    """Speech hints: practitioners' names and the motifs callers ask for."""
    words: list[str] = []
    for first, last in Practitioner.objects.filter(
        organisation_id=organisation_id, active=True
    ).values_list("first_name", "last_name"):
        words += [f"docteur {last}", f"{first} {last}"]
    words += list(
        Motif.objects.filter(organisation_id=organisation_id, active=True).values_list(
            "name", flat=True
        )
    )
    words += ["rendez-vous", "annuler", "déplacer", "ordonnance", "résultats"]
    clean = [w.replace(",", " ") for w in dict.fromkeys(words)]
    return ", ".join(clean[:MAX_HINTS])


def _answer(call: Call, text: str, status: str, transfer_to: str = "") -> HttpResponse:
    if status == Call.Status.OPEN:
        return twiml(
            gather(text, reverse("reception:twilio-gather"), hints_for(call.organisation_id))
        )
    if status == Call.Status.TRANSFERRED:
        queued = secretariat.waiting_handover(call)
        if queued is not None and queued.twilio_call_sid:
            # The remote secretariat took the hand-over: its queue instead of the number.
            return twiml(say(text), bridge.enqueue_caller(queued))
    if status == Call.Status.TRANSFERRED and (transfer_to or call.transfer_to):
        return twiml(say(text), dial(transfer_to or call.transfer_to))
    return twiml(say(text), "<Hangup/>")


# Views -----------------------------------------------------------------------------------


@twilio_view
def voice(request: HttpRequest) -> HttpResponse:
    """A call comes in (or comes back after the desk did not pick up): the secretariat's
    queue, the desk first, or the receptionist (secretariat.routing.arrive)."""
    sid = request.POST.get("CallSid", "")
    to, from_ = request.POST.get("To", ""), request.POST.get("From", "")
    existing = services.call_by_external_id(sid)
    if existing is not None and existing.status == Call.Status.OPEN:
        return _answer(existing, "Je vous écoute.", existing.status)
    desk_missed = request.GET.get("overflow") == "1"
    if desk_missed and request.POST.get("DialCallStatus") == "completed":
        return twiml("<Hangup/>")  # the desk took the call
    try:
        arrival = secretariat.arrive(to, from_, desk_missed=desk_missed, twilio_call_sid=sid)
    except ValidationError:
        return twiml(say("Ce numéro n'est pas attribué. Au revoir."), "<Hangup/>")
    if arrival.step is routing.Step.QUEUE:
        return twiml(bridge.enqueue_caller(arrival.queued))
    if arrival.step is routing.Step.RING_DESK:
        # The desk rings first; this webhook is asked again when nobody picks up.
        return twiml(
            dial(
                arrival.desk_number,
                action=reverse("reception:twilio-voice") + "?overflow=1",
                timeout=arrival.route.seconds,
            )
        )
    try:
        result = services.start_call(to=to, from_=from_, channel="twilio", external_id=sid)
    except ValidationError:
        return twiml(say("Ce numéro n'est pas attribué. Au revoir."), "<Hangup/>")
    return _answer(result.call, result.say, result.status)


@twilio_view
def gather_result(request: HttpRequest) -> HttpResponse:
    """What the caller said (SpeechResult), or nothing when the gather timed out."""
    call = services.call_by_external_id(request.POST.get("CallSid", ""))
    if call is None:
        return twiml(say("Cet appel est terminé. Au revoir."), "<Hangup/>")
    text = request.POST.get("SpeechResult", "")
    try:
        result = services.take_turn(call.id, text)
    except (services.CallEnded, services.CallNotFound):
        return twiml("<Hangup/>")
    return _answer(result.call, result.say, result.status, result.transfer_to)


@twilio_view
def status_callback(request: HttpRequest) -> HttpResponse:
    """Twilio reports the end of the call: a caller who hung up ends an open call."""
    if request.POST.get("CallStatus") in {"completed", "busy", "failed", "no-answer", "canceled"}:
        call = services.call_by_external_id(request.POST.get("CallSid", ""))
        if call is not None:
            services.hang_up(call.id)
    return HttpResponse(status=204)
