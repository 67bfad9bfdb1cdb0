from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class ApiBodySizeLimit:
    """Refuses API request bodies above API_MAX_BODY_BYTES before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"error": "bad_content_length"}, status=400)
            if length > settings.API_MAX_BODY_BYTES:
                return JsonResponse({"error": "body_too_large"}, status=413)
        return self.get_response(request)
