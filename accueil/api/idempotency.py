"""Idempotency-Key on POST: the same key and body replays the first answer; the same key
with another body is refused with 422. Keys are scoped to the request path."""

import datetime as dt
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from accueil.api.models import IdempotencyRecord

Outcome = tuple[int, dict]


class _KeyTakenMeanwhile(Exception):
    """Another request with the same key committed first."""


def respond(request: HttpRequest, handler: Callable[[], Outcome]) -> JsonResponse:
    """Run `handler` once per Idempotency-Key; its writes and the key's record commit together."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        status, body = handler()
        return JsonResponse(body, status=status)
    if len(key) > 255:
        return _errors("Idempotency-Key", "La clé d'idempotence est trop longue (255 au plus).")
    digest = hashlib.sha256(request.body).hexdigest()
    record = _recent_record(key, request.path)
    if record is None:
        try:
            with transaction.atomic():
                status, body = handler()
                try:
                    with transaction.atomic():
                        IdempotencyRecord.objects.create(
                            key=key,
                            path=request.path,
                            body_sha256=digest,
                            status_code=status,
                            response=body,
                        )
                except IntegrityError as exc:
                    raise _KeyTakenMeanwhile() from exc
            return JsonResponse(body, status=status)
        except _KeyTakenMeanwhile:
            record = _recent_record(key, request.path)
    if record.body_sha256 != digest:
        return _errors(
            "Idempotency-Key", "Cette clé a déjà servi pour une requête au contenu différent."
        )
    response = JsonResponse(record.response, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _recent_record(key: str, path: str) -> IdempotencyRecord | None:
    cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    IdempotencyRecord.objects.filter(key=key, path=path, created_at__lt=cutoff).delete()
    return IdempotencyRecord.objects.filter(key=key, path=path).first()


def _errors(field: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": {field: [message]}}, status=422)
