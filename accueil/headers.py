"""Content-Security-Policy on every page the application renders.

Scripts and styles are same-origin files everywhere: no inline script, no `<style>`
element, no `eval` (HTMX runs with `allowEval: false`). The desk and the console position
agenda blocks with `style="top: ..."` attributes computed on the server, so their policy
allows style *attributes* (`style-src-attr`), never style elements or inline scripts.
The public site keeps its stricter policy (`booking.views.public_page`) and a view that
sets its own header keeps it.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

STAFF_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicy:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", STAFF_POLICY)
        return response
