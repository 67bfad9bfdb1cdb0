"""Audit entries for failed logins and lockouts (django.contrib.auth and django-axes
signals, so the password form and the code step are both covered), and the sessions
opened and closed, for "log out everywhere"."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accueil.accounts import services
from accueil.audit.models import Action


def _user(username: str | None):
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


@receiver(user_login_failed)
def record_failure(sender, credentials: dict, request=None, **kwargs) -> None:
    user = _user(credentials.get("username"))
    if user is not None:
        step = "code refusé" if kwargs.get("second_factor") else "mot de passe refusé"
        services.record(user, Action.FAILURE, f"Échec de connexion : {step}")


@receiver(user_locked_out)
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    user = _user(username)
    if user is not None:
        services.record(user, Action.LOCKOUT, "Connexion bloquée après trop d'échecs")


@receiver(user_logged_in)
def remember_session(sender, request=None, user=None, **kwargs) -> None:
    """Every login, whichever way it came (the desk's steps, tests' force_login), records
    its session for "log out everywhere"."""
    if request is not None and hasattr(request, "session") and user is not None:
        services.remember_session(request, user)


@receiver(user_logged_out)
def forget_session(sender, request=None, user=None, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        services.forget_session(request.session.session_key)
