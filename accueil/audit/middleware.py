from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accueil.audit.context import client_ip, current_ip


class RequestContext:
    """Makes the client's address available to the audit entries services write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
