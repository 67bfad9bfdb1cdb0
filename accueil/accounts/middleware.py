"""Second factor, enforced for every view at once (after django-otp's OTPMiddleware).

A session that passed the password but not the second factor, of a user who must show one
(`services.requires_second_factor`), is anonymous to every view but those of the login
steps (marked `second_factor_exempt`): the desk, the console, the admin, any view added
later, see nobody and send to the login page, which sends on to the code step. Deny by
default: no view has to remember a check.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from accueil.accounts import services


def second_factor_exempt(view):
    """For the login steps only: they must see the half-logged-in user."""
    view.second_factor_exempt = True
    return view


class _Unverified(AnonymousUser):
    def is_verified(self) -> bool:
        return False


class SecondFactorRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if getattr(view_func, "second_factor_exempt", False):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if not services.requires_second_factor(user):
            return None
        request.user = _Unverified()

        async def auser():
            return request.user

        request.auser = auser
        return None
