"""The login steps (password, then a code or the enrolment of an authenticator), the
recovery codes, the lockout page and the "Sécurité du compte" page.

The password step logs the user in without verifying the session; until the code step
verifies it (django-otp), `middleware.SecondFactorRequired` makes every other view see an
anonymous user. Failed codes are reported as failed logins, so django-axes counts them
with the failed passwords.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from accueil.accounts import services
from accueil.accounts.forms import CodeForm, ResetForm
from accueil.accounts.middleware import second_factor_exempt
from accueil.accounts.models import LoginSession
from accueil.audit.models import Action, ObjectType

CODES_KEY = "accounts_recovery_codes"
CODES_NEXT_KEY = "accounts_recovery_codes_next"


def _next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _second_step(user, next_url: str) -> str:
    step = "accounts:verify" if services.has_authenticator(user) else "accounts:enrol"
    return _with_next(step, next_url)


def _complete(request: HttpRequest, user, device, how: str) -> None:
    """Both factors shown: the session is verified (its key is new since the password
    step), and the login's failures are forgotten."""
    if device is not None:
        otp_login(request, device)
    services.reset_failures(request, user.get_username())
    services.record(user, Action.LOGIN, f"Connexion ({how})", actor=user)


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): 429, in French."""
    return render(
        request,
        "accounts/lockout.html",
        {"minutes": settings.AXES_COOLOFF_MINUTES, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


def _locked_out(request: HttpRequest) -> HttpResponse:
    auth_logout(request)  # the password step starts again after the cool-off
    return lockout_response(request)


def _refused(request: HttpRequest, user) -> HttpResponse | None:
    """A wrong code counts as a failed login (django-axes and the journal); the lockout
    page when it was one too many."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
        second_factor=True,
    )
    if getattr(request, "axes_locked_out", False):
        return _locked_out(request)
    return None


def _refusal(too_soon: bool) -> str:
    if too_soon:
        return "Code refusé : après une erreur, attendez quelques secondes avant de réessayer."
    return "Code incorrect ou expiré. Vérifiez que l'heure de votre téléphone est exacte."


# Login steps -----------------------------------------------------------------------------


@second_factor_exempt
@sensitive_post_parameters()
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    user = request.user
    if user.is_authenticated and request.method != "POST":  # a POST may switch accounts
        if user.is_verified() or not services.requires_second_factor(user):
            return redirect(next_url)
        return redirect(_second_step(user, next_url))
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.get_user()
        auth_login(request, user)
        if services.requires_second_factor(user):
            return redirect(_second_step(user, next_url))
        _complete(request, user, None, "mot de passe")
        return redirect(next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@second_factor_exempt
@sensitive_post_parameters()
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if user.is_verified():
        return redirect(next_url)
    if not services.has_authenticator(user):
        return redirect(_with_next("accounts:enrol", next_url))
    if services.is_locked_out(request, user.get_username()):
        return _locked_out(request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        too_soon = services.must_wait(user)
        device = services.verify_code(user, form.cleaned_data["code"])
        if device is not None:
            if isinstance(device, StaticDevice):
                left = services.recovery_codes_left(user)
                _complete(request, user, device, f"code de secours, {left} restant(s)")
                messages.warning(
                    request,
                    f"Code de secours utilisé : il vous en reste {left}. "
                    "Vous pouvez en générer de nouveaux dans « Sécurité du compte ».",
                )
            else:
                _complete(request, user, device, "application d'authentification")
            return redirect(next_url)
        refused = _refused(request, user)
        if refused is not None:
            return refused
        form.add_error("code", _refusal(too_soon))
    return render(request, "accounts/verify.html", {"form": form, "next": next_url})


@second_factor_exempt
@sensitive_post_parameters()
@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if services.has_authenticator(user):
        # Replacing an authenticator takes the current one: "Sécurité du compte".
        return redirect(next_url if user.is_verified() else _second_step(user, next_url))
    if not services.requires_second_factor(user):
        return redirect(next_url)
    if services.is_locked_out(request, user.get_username()):
        return _locked_out(request)
    device = services.pending_authenticator(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        too_soon = services.must_wait(user)
        if services.confirm_authenticator(user, device, form.cleaned_data["code"]):
            device.refresh_from_db()
            codes = services.new_recovery_codes(user)
            services.record(
                user,
                Action.CREATE,
                "Application d'authentification enregistrée, codes de secours créés",
                object_type=ObjectType.SECOND_FACTOR,
                actor=user,
            )
            _complete(request, user, device, "activation de l'application d'authentification")
            request.session[CODES_KEY] = codes
            request.session[CODES_NEXT_KEY] = next_url
            return redirect("accounts:recovery_codes")
        refused = _refused(request, user)
        if refused is not None:
            return refused
        form.add_error("code", _refusal(too_soon))
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=4, light="#fff", title="QR code de l'application d'authentification"
    )
    context = {
        "form": form,
        "next": next_url,
        "qr": mark_safe(qr),  # segno's own SVG: no user input in it but the escaped URL
        "secret": services.base32_secret(device),
    }
    return render(request, "accounts/enrol.html", context)


# After login -----------------------------------------------------------------------------


@login_required(login_url="desk:login")
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new codes, shown once: they leave the session as this page is drawn."""
    codes = request.session.pop(CODES_KEY, None)
    next_url = request.session.pop(CODES_NEXT_KEY, None) or reverse("accounts:security")
    if not codes:
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url})


@login_required(login_url="desk:login")
@never_cache
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "required": services.requires_second_factor(user),
            "has_authenticator": services.has_authenticator(user),
            "codes_left": services.recovery_codes_left(user),
            "recent_logins": services.recent_logins(user),
            "sessions": LoginSession.objects.filter(user=user).count(),
            "reset_form": ResetForm(user),
        },
    )


@login_required(login_url="desk:login")
@require_POST
def regenerate_codes(request: HttpRequest) -> HttpResponse:
    codes = services.new_recovery_codes(request.user)
    services.record(
        request.user,
        Action.UPDATE,
        "Nouveaux codes de secours (les précédents ne sont plus valables)",
        object_type=ObjectType.SECOND_FACTOR,
        actor=request.user,
    )
    request.session[CODES_KEY] = codes
    request.session[CODES_NEXT_KEY] = reverse("accounts:security")
    return redirect("accounts:recovery_codes")


@login_required(login_url="desk:login")
@sensitive_post_parameters()
@require_POST
def reset_authenticator(request: HttpRequest) -> HttpResponse:
    """Replacing the phone: password and a current code, then a new enrolment."""
    user = request.user
    if services.is_locked_out(request, user.get_username()):
        return _locked_out(request)
    form = ResetForm(user, request.POST)
    if not form.is_valid():
        refused = _refused(request, user)
        if refused is not None:
            return refused
        for error in form.errors.values():
            messages.error(request, error[0])
        return redirect("accounts:security")
    services.reset_authenticator(user)
    services.record(
        user,
        Action.DELETE,
        "Application d'authentification et codes de secours réinitialisés",
        object_type=ObjectType.SECOND_FACTOR,
        actor=user,
    )
    return redirect(_with_next("accounts:enrol", reverse("accounts:security")))


@login_required(login_url="desk:login")
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """Ends every session of the user, this one included."""
    user = request.user
    ended = services.end_sessions(user)
    services.record(
        user, Action.LOGOUT, f"Déconnexion de tous les appareils ({ended} session(s))", actor=user
    )
    auth_logout(request)
    messages.success(request, "Vous êtes déconnecté de tous les appareils.")
    return redirect("desk:login")
