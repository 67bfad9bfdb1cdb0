from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accueil.booking.views import CONTENT_SECURITY_POLICY
from accueil.throttle.services import RateLimited


class RateLimitedResponse:
    """A view that raised RateLimited answers 429 with Retry-After: a French page on the
    web, `{"error": "rate_limited"}` on the API (django-ninja's handler, api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": "rate_limited"}, status=429)
        else:
            response = render(request, "429.html", {"minutes": exception.minutes}, status=429)
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            response["Cache-Control"] = "no-store"
        response["Retry-After"] = str(exception.retry_after)
        return response
