"""The audio bridge: a caller waiting in Twilio reaches the operator who took the call.

Twilio holds the audio, Accueil decides who answers (docs/decisions/0013-call-arrival-routing.md):

1. A call for the secretariat gets `<Enqueue>` into the secretariat's waiting queue
   ("accueil-secretariat-<id>"), with a waitUrl that speaks French while the caller waits
   and an action URL that records how the caller left (hung up: abandoned).
2. An operator takes the call in the console (services.take_next_call picks it in Accueil's
   own order: urgent, listed, longest waiting, skills). `connect` then asks Twilio's REST API
   to call the operator's phone or SIP address (`Operator.phone`), whose TwiML is
   `<Dial><Queue>` on the operator's own queue ("accueil-operateur-<id>").
3. The caller's next waitUrl request sees the call taken and answers `<Leave/>`; the action
   URL moves the caller into that operator's queue, where the operator's `<Dial><Queue>`
   picks them up. An operator has one call at a time, so their queue holds exactly the caller
   they took: Twilio's first-in-first-out never picks a caller other than the screen pop's.

4. « Raccrocher » in the console: `disconnect` ends the caller's call through the REST API,
   which ends the operator's leg bridged to it.

Without TWILIO_ACCOUNT_SID (or without the operator's phone) nothing is dialled: the caller is
told a secretary will call back, and the console shows the number to call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import httpx
from django.conf import settings
from django.urls import reverse

from accueil.secretariat.models import Operator, QueuedCall

logger = logging.getLogger(__name__)

# How long a taken caller waits in the operator's queue before being told to expect a call back.
OPERATOR_WAIT_SECONDS = 60
RING_OPERATOR_SECONDS = 25


class BridgeError(Exception):
    """Twilio refused or did not answer the request to call the operator."""


def waiting_queue(secretariat_id: int) -> str:
    return f"accueil-secretariat-{secretariat_id}"


def operator_queue(operator_id: int) -> str:
    return f"accueil-operateur-{operator_id}"


def enqueue_verb(name: str, *, wait_url: str, action: str) -> str:
    return (
        f'<Enqueue action={quoteattr(action)} method="POST" waitUrl={quoteattr(wait_url)} '
        f'waitUrlMethod="POST">{escape(name)}</Enqueue>'
    )


def enqueue_caller(queued: QueuedCall) -> str:
    """Step 1: the caller waits in the secretariat's queue."""
    return enqueue_verb(
        waiting_queue(queued.secretariat_id),
        wait_url=reverse("secretariat_telephony:wait"),
        action=reverse("secretariat_telephony:left"),
    )


def enqueue_for_operator(queued: QueuedCall) -> str:
    """Step 3: the taken caller moves to the queue the operator's leg dials."""
    step = "?etape=operateur"
    return enqueue_verb(
        operator_queue(queued.taken_by_id),
        wait_url=reverse("secretariat_telephony:wait") + step,
        action=reverse("secretariat_telephony:left") + step,
    )


def dial_operator_queue(queued: QueuedCall) -> str:
    """The operator's leg: take the one caller of the operator's queue."""
    return f"<Dial><Queue>{escape(operator_queue(queued.taken_by_id))}</Queue></Dial>"


# Twilio's REST API ---------------------------------------------------------------------------


@dataclass
class TwilioCalls:
    """Originates calls through Twilio's REST API (POST .../Accounts/{sid}/Calls.json)."""

    account_sid: str
    auth_token: str
    caller_id: str
    webhook_base_url: str
    api_url: str = "https://api.twilio.com"
    timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> TwilioCalls | None:
        """None when the bridge is off (any of the account, token, caller id or public URL
        missing)."""
        values = (
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            settings.TWILIO_CALLER_ID,
            settings.TWILIO_WEBHOOK_BASE_URL,
        )
        if not all(values):
            return None
        return cls(
            *values,
            api_url=settings.TWILIO_API_URL.rstrip("/"),
            timeout=settings.TWILIO_TIMEOUT_SECONDS,
        )

    def originate(self, *, to: str, path: str) -> str:
        """Call `to`; when it answers, Twilio fetches the TwiML at `path`. The new CallSid."""
        url = f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Calls.json"
        data = {
            "To": to,
            "From": self.caller_id,
            "Url": self.webhook_base_url.rstrip("/") + path,
            "Method": "POST",
            "Timeout": str(RING_OPERATOR_SECONDS),
        }
        try:
            response = httpx.post(
                url, data=data, auth=(self.account_sid, self.auth_token), timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise BridgeError(type(exc).__name__) from exc
        if response.status_code not in (200, 201):
            raise BridgeError(f"HTTP {response.status_code}")
        try:
            return str(response.json()["sid"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BridgeError("unreadable answer") from exc

    def complete(self, call_sid: str) -> None:
        """End a call in progress (POST .../Calls/{sid}.json Status=completed)."""
        url = f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Calls/{call_sid}.json"
        try:
            response = httpx.post(
                url,
                data={"Status": "completed"},
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise BridgeError(type(exc).__name__) from exc
        if response.status_code not in (200, 201):
            raise BridgeError(f"HTTP {response.status_code}")


def connect(queued: QueuedCall, operator: Operator) -> str:
    """After `take_next_call`, outside its transaction (no lock held over the network): ring
    the operator for a caller waiting in Twilio. Returns the call's new `bridge` state."""
    if not queued.twilio_call_sid:
        return QueuedCall.Bridge.NONE  # the calls API's telephony brings the audio itself
    transport = TwilioCalls.from_settings()
    state = QueuedCall.Bridge.OFF
    if transport is not None and operator.phone:
        path = reverse("secretariat_telephony:operator", args=[queued.public_id])
        try:
            transport.originate(to=operator.phone, path=path)
        except BridgeError as exc:
            logger.warning("bridge to operator %s failed: %s", operator.id, exc)
            state = QueuedCall.Bridge.FAILED
        else:
            state = QueuedCall.Bridge.REQUESTED
    QueuedCall.objects.filter(pk=queued.pk).update(bridge=state)
    queued.bridge = state
    return state


def disconnect(queued: QueuedCall) -> bool:
    """After `services.hang_up`, outside its transaction: the operator's « Raccrocher » ends
    the caller's call in Twilio too (which ends the operator's leg bridged to it). False
    when there is nothing to end or Twilio refused (the caller may have hung up first)."""
    transport = TwilioCalls.from_settings()
    if not queued.twilio_call_sid or queued.bridge != QueuedCall.Bridge.REQUESTED or not transport:
        return False
    try:
        transport.complete(queued.twilio_call_sid)
    except BridgeError as exc:
        logger.warning("hanging up queued call %s in Twilio failed: %s", queued.id, exc)
        return False
    return True
