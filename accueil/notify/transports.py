"""How a message leaves: one small class per channel and provider.

Each transport sends one `Outgoing` and returns the provider's message id, or raises
`TransientError` (worth retrying: 5xx, 429, timeouts, connection errors) or `PermanentError`
(would fail again as is: refused number, bad credentials, 4xx). A transport that
`deduplicates` is given the message's idempotency key in a way its provider honours, so a
message resent after a worker crash is delivered once (docs/architecture.md, "exactly once").

Selected by NOTIFY_SMS_TRANSPORT (console, http, brevo, ovh, memory, or a dotted path) and
NOTIFY_EMAIL_TRANSPORT (smtp: Django's EMAIL_BACKEND). Logs never show a phone number, a
name or a text at INFO level: numbers are masked, texts only at DEBUG.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from accueil.notify import texts
from accueil.notify.sms import is_gsm7, mask_phone, sms_length

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs, detached from the database."""

    channel: str
    recipient: str
    body: str
    idempotency_key: str
    kind: str = ""
    subject: str = ""
    sender: str = ""  # SMS sender name
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (filename, content, mimetype)


class TransientError(Exception):
    """The provider may accept the same message later."""


class PermanentError(Exception):
    """The provider will refuse this message as it is."""


class Transport:
    name: ClassVar[str] = ""
    channel: ClassVar[str] = ""
    # The provider drops a second request carrying the same idempotency key.
    deduplicates: ClassVar[bool] = False

    def send(self, message: Outgoing) -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (called when settings change, e.g. in tests)."""


# --- SMS ---------------------------------------------------------------------------------


class ConsoleSms(Transport):
    """Development default: writes a line to the log instead of sending."""

    name = "console"
    channel = "sms"

    def send(self, message: Outgoing) -> str:
        length = sms_length(message.body)
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info(
            "SMS (console) %s to %s: %d segment(s) %s [%s]",
            message.kind,
            mask_phone(message.recipient),
            length.segments,
            length.encoding,
            provider_id,
        )
        logger.debug("SMS (console) text: %s", message.body)
        return provider_id


class MemorySms(Transport):
    """Keeps what it sends in `MemorySms.outbox` (tests, like Django's locmem e-mail)."""

    name = "memory"
    channel = "sms"
    outbox: ClassVar[list[Outgoing]] = []
    _lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        with self._lock:
            MemorySms.outbox.append(message)
            return f"memory-{len(MemorySms.outbox)}"


class HttpSms(Transport):
    """Base of the HTTP JSON providers: one keep-alive client, errors classified."""

    provider = "fournisseur"

    def __init__(self) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(settings.SMS_TIMEOUT_SECONDS))

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, content: bytes, headers: dict[str, str]) -> Any:
        """POST and return the decoded JSON answer (None if empty)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json", **headers}
        try:
            response = self._client.post(url, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientError(f"Délai dépassé chez le {self.provider}.") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"{self.provider.capitalize()} injoignable.") from exc
        status = response.status_code
        if status >= 500 or status in (408, 425, 429):
            raise TransientError(f"Erreur temporaire du {self.provider} (HTTP {status}).")
        if status >= 400:
            raise PermanentError(f"Refusé par le {self.provider} (HTTP {status}).")
        try:
            return response.json() if response.content else None
        except ValueError:
            return None


class HttpJsonSms(HttpSms):
    """Any provider taking one JSON POST per SMS (SMS_HTTP_* settings).

    SMS_HTTP_PAYLOAD is a JSON document whose strings may name {to}, {text}, {sender},
    {key} and {kind}; they are replaced after parsing, so values are always JSON-escaped.
    The idempotency key also goes in an `Idempotency-Key` header; set
    SMS_HTTP_DEDUPLICATES=1 only if the provider honours it.
    """

    name = "http"
    channel = "sms"

    def __init__(self) -> None:
        super().__init__()
        self.url = settings.SMS_HTTP_URL
        self.payload = json.loads(settings.SMS_HTTP_PAYLOAD)
        self.id_field = settings.SMS_HTTP_ID_FIELD
        self.headers = {}
        if settings.SMS_HTTP_AUTH_HEADER:
            header, _, value = settings.SMS_HTTP_AUTH_HEADER.partition(":")
            self.headers[header.strip()] = value.strip()

    @property
    def deduplicates(self) -> bool:  # type: ignore[override]
        return settings.SMS_HTTP_DEDUPLICATES

    def send(self, message: Outgoing) -> str:
        values = {
            "to": message.recipient,
            "text": message.body,
            "sender": message.sender,
            "key": message.idempotency_key,
            "kind": message.kind,
        }
        body = json.dumps(_fill(self.payload, values)).encode()
        answer = self.post(
            self.url, body, {**self.headers, "Idempotency-Key": message.idempotency_key}
        )
        return _dig(answer, self.id_field)


class BrevoSms(HttpSms):
    """Brevo transactional SMS (developers.brevo.com, "Send transactional SMS"):
    POST https://api.brevo.com/v3/transactionalSMS/send, header `api-key`, JSON
    {sender (11 alphanumeric characters at most), recipient (country code and number),
    content, type "transactional", tag, unicodeEnabled}; 201 answers {"messageId": ...}.
    Brevo offers an idempotency key for e-mail only, not for SMS: no deduplication here."""

    name = "brevo"
    channel = "sms"
    provider = "fournisseur Brevo"

    def send(self, message: Outgoing) -> str:
        payload = {
            "sender": message.sender or settings.SMS_SENDER,
            "recipient": message.recipient.lstrip("+"),
            "content": message.body,
            "type": "transactional",
            "tag": f"accueil-{message.kind}",
            "unicodeEnabled": not is_gsm7(message.body),
        }
        answer = self.post(
            settings.SMS_BREVO_URL,
            json.dumps(payload).encode(),
            {"api-key": settings.SMS_BREVO_API_KEY},
        )
        return _dig(answer, "messageId")


class OvhSms(HttpSms):
    """OVHcloud SMS (docs.ovhcloud.com "API SMS Cookbook", "First steps with the API"):
    POST {endpoint}/sms/{serviceName}/jobs with JSON {receivers, message, sender, coding,
    noStopClause (non-commercial text), priority, tag...}; signed with the headers
    X-Ovh-Application, X-Ovh-Consumer, X-Ovh-Timestamp and X-Ovh-Signature =
    "$1$" + SHA1_HEX(AS+"+"+CK+"+"+METHOD+"+"+URL+"+"+BODY+"+"+TIMESTAMP). The answer lists
    `ids`, `validReceivers` and `invalidReceivers`. No idempotency key: no deduplication;
    the key's digest goes in `tag` so a message can be found in OVHcloud's history."""

    name = "ovh"
    channel = "sms"
    provider = "fournisseur OVHcloud"

    def send(self, message: Outgoing) -> str:
        url = f"{settings.SMS_OVH_ENDPOINT.rstrip('/')}/sms/{settings.SMS_OVH_SERVICE_NAME}/jobs"
        sender = message.sender or settings.SMS_SENDER
        payload = {
            "receivers": [message.recipient],
            "message": message.body,
            "charset": "UTF-8",
            "coding": "7bit" if is_gsm7(message.body) else "8bit",
            "noStopClause": True,
            "priority": "high",
            "validityPeriod": 2880,
            "tag": "acc" + hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:17],
        }
        if sender:
            payload["sender"] = sender
        else:
            payload["senderForResponse"] = True
        body = json.dumps(payload, separators=(",", ":"))
        timestamp = str(int(time.time()))
        signed = "+".join(
            [
                settings.SMS_OVH_APPLICATION_SECRET,
                settings.SMS_OVH_CONSUMER_KEY,
                "POST",
                url,
                body,
                timestamp,
            ]
        )
        headers = {
            "X-Ovh-Application": settings.SMS_OVH_APPLICATION_KEY,
            "X-Ovh-Consumer": settings.SMS_OVH_CONSUMER_KEY,
            "X-Ovh-Timestamp": timestamp,
            "X-Ovh-Signature": "$1$" + hashlib.sha1(signed.encode()).hexdigest(),  # noqa: S324
        }
        answer = self.post(url, body.encode(), headers) or {}
        ids = answer.get("ids") or []
        if answer.get("invalidReceivers") or not ids:
            raise PermanentError("Numéro refusé par le fournisseur OVHcloud.")
        return str(ids[0])


# --- E-mail ------------------------------------------------------------------------------


class SmtpEmail(Transport):
    """E-mail through Django's mail framework (EMAIL_BACKEND, SMTP by default).

    SMTP has no idempotency key: the Message-ID is derived from the message's key, so a
    copy sent twice after a crash is recognised as the same message by mail clients."""

    name = "smtp"
    channel = "email"

    def send(self, message: Outgoing) -> str:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "accueil.local"
        message_id = f"<{uuid.uuid5(uuid.NAMESPACE_URL, message.idempotency_key)}@{domain}>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
        )
        for filename, content, mimetype in message.attachments:
            email.attach(filename, content, mimetype)
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentError("Adresse e-mail refusée par le serveur.") from exc
            raise TransientError("Adresse e-mail refusée pour l'instant.") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise PermanentError(f"Refusé par le serveur e-mail ({exc.smtp_code}).") from exc
            raise TransientError(f"Erreur temporaire du serveur e-mail ({exc.smtp_code}).") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError("Serveur e-mail injoignable.") from exc
        logger.info("E-mail %s sent [%s]", message.kind, message_id)
        return message_id


SMS_TRANSPORTS: dict[str, type[Transport]] = {
    cls.name: cls for cls in (ConsoleSms, MemorySms, HttpJsonSms, BrevoSms, OvhSms)
}
EMAIL_TRANSPORTS: dict[str, type[Transport]] = {SmtpEmail.name: SmtpEmail}

_transports: dict[str, Transport] = {}
_transports_lock = threading.Lock()


def get_transport(channel: str) -> Transport:
    """The configured transport of a channel ("sms" or "email"), one per process."""
    with _transports_lock:
        if channel not in _transports:
            if channel == "sms":
                name, known = settings.NOTIFY_SMS_TRANSPORT, SMS_TRANSPORTS
            else:
                name, known = settings.NOTIFY_EMAIL_TRANSPORT, EMAIL_TRANSPORTS
            cls = known.get(name) or import_string(name)
            _transports[channel] = cls()
        return _transports[channel]


def reset_transports(**kwargs: Any) -> None:
    """Forget the transports (settings changed): the next message builds them again."""
    with _transports_lock:
        for transport in _transports.values():
            transport.close()
        _transports.clear()


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        return texts.render(template, values)
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: _fill(item, values) for key, item in template.items()}
    return template


def _dig(answer: Any, path: str) -> str:
    """The provider's message id at a dotted path of the JSON answer ("" if absent)."""
    value = answer
    for part in path.split(".") if path else []:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return ""
    return "" if value is None or isinstance(value, dict | list) else str(value)[:100]
