"""Staff authentication: who must show a second factor, authenticators, recovery codes,
login sessions, and the audit entries of it all (docs/security.md).

The views call these; the rule itself is `requires_second_factor`, the one predicate to
extend when a new kind of staff appears.
"""

from __future__ import annotations

import re
from base64 import b32encode
from importlib import import_module

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts.demo import demo_key
from accueil.accounts.models import LoginSession
from accueil.audit import services as audit
from accueil.audit.context import client_ip
from accueil.audit.models import Action, AuditEntry, ObjectType
from accueil.booking.models import Channel
from accueil.directory.models import Membership
from accueil.secretariat.models import Operator

AUTHENTICATOR_NAME = "Application d'authentification"
RECOVERY_NAME = "Codes de secours"
RECOVERY_CODES = 10
TOTP_CODE = re.compile(r"\d{6}")


def requires_second_factor(user: AbstractBaseUser) -> bool:
    """Whoever can reach patient data or the administration must log in with a second
    factor: superusers and staff flags, members of any organisation (whatever their role),
    operators of a remote secretariat. Only OTP_REQUIRED=0 turns it off, for everyone."""
    if not settings.OTP_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return (
        Membership.objects.filter(user=user).exists() or Operator.objects.filter(user=user).exists()
    )


# Authenticator (TOTP) --------------------------------------------------------------------


def has_authenticator(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator being enrolled: the same secret until it is confirmed, so that
    reloading the page does not change the QR code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    """The secret for typing into an application, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_authenticator(user: AbstractBaseUser, device: TOTPDevice, code: str) -> bool:
    """The first code proves the application holds the secret; the enrolled authenticator
    then replaces any other."""
    if device.user_id != user.pk or device.confirmed:
        return False
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not TOTP_CODE.fullmatch(_normalise(code)) or not device.verify_token(_normalise(code)):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return True


def current_code(device: TOTPDevice) -> str:
    """The code the user's application shows now (demo command and tests)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def verify_code(user: AbstractBaseUser, code: str) -> Device | None:
    """The device that accepts `code`: six digits for the authenticator, anything else a
    recovery code (used up by this). Devices are locked while checked, so one code cannot
    be used twice by two requests at once."""
    code = _normalise(code)
    if not code:
        return None
    model = TOTPDevice if TOTP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
    return None


def must_wait(user: AbstractBaseUser) -> bool:
    """django-otp delays the next try after each failure (1 s, 2 s, 4 s…): a right code
    typed too soon is refused, and the page should say why."""
    devices = [*TOTPDevice.objects.filter(user=user), *StaticDevice.objects.filter(user=user)]
    return any(not device.verify_is_allowed()[0] for device in devices)


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def reset_authenticator(user: AbstractBaseUser) -> None:
    """Removes the authenticator and the recovery codes: the next login enrols again.
    Sessions verified with them stop being verified (django-otp checks the device)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


class ResetRefused(Exception):
    """The second factor of this member cannot be reset from the team page (the message
    says why, in French)."""


def reset_member_second_factor(membership: Membership, *, actor: AbstractBaseUser) -> int:
    """An owner resets a member's authenticator (lost phone, no recovery code left): their
    devices are deleted and their sessions ended, so they enrol again at their next login.
    Returns the number of sessions ended.

    Never one's own (the security page asks for the password and a current code), and only
    for an account that belongs to this practice alone: an owner who knows a member's
    password (they may have given the first one) must not open, through the reset, another
    practice, a secretariat or the administration that account reaches."""
    user = membership.user
    if user.pk == actor.pk:
        raise ResetRefused(
            "Pour votre propre compte, passez par « Sécurité du compte » (mot de passe et "
            "code demandés)."
        )
    if (
        user.is_superuser
        or user.is_staff
        or Membership.objects.filter(user=user).exclude(pk=membership.pk).exists()
        or Operator.objects.filter(user=user).exists()
    ):
        raise ResetRefused(
            "Ce compte sert aussi ailleurs (un autre établissement, un télésecrétariat ou "
            "l'administration) : seul un administrateur d'Accueil peut réinitialiser sa double "
            "authentification."
        )
    with transaction.atomic():
        reset_authenticator(user)
        ended = end_sessions(user)
        audit.record(
            organisation_id=membership.organisation_id,
            action=Action.DELETE,
            object_type=ObjectType.SECOND_FACTOR,
            object_id=user.pk,
            channel=Channel.DESK,
            actor=actor,
            summary=(
                f"Double authentification de {user.get_username()} réinitialisée par le "
                f"responsable ({ended} session(s) fermée(s)) : nouvelle activation à la "
                "prochaine connexion"
            ),
        )
    return ended


# Recovery codes --------------------------------------------------------------------------


def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Ten new single-use codes; the previous ones stop working."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Sessions --------------------------------------------------------------------------------


def remember_session(request: HttpRequest, user: AbstractBaseUser) -> None:
    """Records the session of a login (right after django.contrib.auth's `login` gave it
    a new key), and forgets the user's sessions that have ended since (expired, or
    logged out elsewhere)."""
    if request.session.session_key is None:
        request.session.save()
    store = _store()
    for row in LoginSession.objects.filter(user=user):
        if not store.exists(row.session_key):
            row.delete()
    LoginSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "started_at": timezone.now(),
            "ip": client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:200],
        },
    )


def forget_session(session_key: str | None) -> None:
    if session_key:
        LoginSession.objects.filter(session_key=session_key).delete()


def end_sessions(user: AbstractBaseUser) -> int:
    """Logs the user out on every device, this one included: their sessions are deleted
    from the session store. Returns how many there were."""
    store = _store()
    rows = list(LoginSession.objects.filter(user=user))
    for row in rows:
        store.delete(row.session_key)
    LoginSession.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore()


# Lockout (django-axes, see lockout.py) ---------------------------------------------------


def is_locked_out(request: HttpRequest, username: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def reset_failures(request: HttpRequest, username: str) -> None:
    """A complete login (second factor included) clears its login's failures from its
    address; failures of other logins from the same address still count."""
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.reset_attempts(ip_address=request.axes_ip_address, username=username)


# Audit -----------------------------------------------------------------------------------


def organisation_ids(user: AbstractBaseUser) -> list[int]:
    """The organisations whose journal shows this user's logins: their memberships and
    the secretariat they operate for."""
    ids = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    ids.update(Operator.objects.filter(user=user).values_list("secretariat_id", flat=True))
    return sorted(ids)


def record(
    user: AbstractBaseUser,
    action: Action,
    summary: str,
    *,
    object_type: ObjectType = ObjectType.ACCOUNT,
    actor: AbstractBaseUser | None = None,
) -> None:
    """One entry in each of the user's organisations' journals (a superuser without any
    membership has none: their events are in the server's log only)."""
    for organisation_id in organisation_ids(user):
        audit.record(
            organisation_id=organisation_id,
            action=action,
            object_type=object_type,
            object_id=user.pk,
            channel=Channel.DESK,  # the login pages are the desk's
            actor=actor,
            summary=summary,
        )


def recent_logins(user: AbstractBaseUser, limit: int = 5) -> list[AuditEntry]:
    """The user's last completed logins (one journal is enough: each has them all)."""
    ids = organisation_ids(user)
    if not ids:
        return []
    return list(
        AuditEntry.objects.filter(
            organisation_id=ids[0],
            object_type=ObjectType.ACCOUNT,
            object_id=str(user.pk),
            action=Action.LOGIN,
        ).order_by("-at", "-id")[:limit]
    )


# Demo ------------------------------------------------------------------------------------


def give_demo_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user).exclude(name=AUTHENTICATOR_NAME).delete()
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        name=AUTHENTICATOR_NAME,
        defaults={"key": demo_key(user.get_username()), "confirmed": True},
    )
    return device
