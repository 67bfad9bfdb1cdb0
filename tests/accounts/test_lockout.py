"""Brute force: django-axes locks a login out from an address after AXES_FAILURE_LIMIT
failed passwords or codes, for AXES_COOLOFF_MINUTES, with a French page (HTTP 429)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accueil.accounts import services
from accueil.audit.models import Action, AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "x-demo-pass"  # tests.factories.staff


def attempt(client: Client, user, password: str = PASSWORD, **extra):
    return client.post(
        reverse("desk:login"), {"username": user.username, "password": password}, **extra
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def assert_locked_out(response) -> None:
    assert response.status_code == 429
    page = response.content.decode()
    assert "Connexion bloquée" in page
    assert f"pendant {settings.AXES_COOLOFF_MINUTES} minutes" in page


@pytest.fixture
def secretary(practice):
    user = practice["member"]
    factories.authenticator(user)
    return user


def test_the_default_limit_is_ten_failures_for_thirty_minutes():
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_MINUTES == 30


def test_locked_out_after_the_limit_even_with_the_right_password(client, secretary):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, secretary, "mauvais").status_code == 200
    assert_locked_out(attempt(client, secretary, "mauvais"))
    right = attempt(client, secretary)
    assert_locked_out(right)
    assert not logged_in(client)
    assert AuditEntry.objects.filter(action=Action.LOCKOUT, object_id=str(secretary.pk)).exists()
    assert AuditEntry.objects.filter(action=Action.FAILURE).count() >= settings.AXES_FAILURE_LIMIT


def test_wrong_codes_lock_out_too(client, secretary):
    device = factories.authenticator(secretary)
    wrong = f"{(int(services.current_code(device)) + 1) % 1_000_000:06d}"
    step = attempt(client, secretary)["Location"]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(step, {"code": wrong}).status_code == 200
    assert_locked_out(client.post(step, {"code": wrong}))
    assert not logged_in(client)  # back to the password step, which is refused
    assert_locked_out(attempt(client, secretary))


def test_the_lockout_ends_after_the_cool_off(client, secretary):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, secretary, "mauvais")
    assert_locked_out(attempt(client, secretary))
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC)
        - dt.timedelta(minutes=settings.AXES_COOLOFF_MINUTES + 1)
    )
    response = attempt(client, secretary)
    assert response.status_code == 302 and logged_in(client)


def test_a_complete_login_resets_the_count(client, secretary):
    device = factories.authenticator(secretary)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, secretary, "mauvais")
    step = attempt(client, secretary)["Location"]
    assert client.post(step, {"code": services.current_code(device)}).status_code == 302
    other = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(other, secretary, "mauvais").status_code == 200
    assert attempt(other, secretary).status_code == 302


def test_someone_elsewhere_cannot_lock_the_practice_out(secretary):
    attacker, practice_desk = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, secretary, "mauvais")
    assert_locked_out(attempt(attacker, secretary))
    assert attempt(practice_desk, secretary).status_code == 302


def test_many_logins_failing_from_one_address_are_locked_out(practice, settings):
    """Credential stuffing: one failure per login, many logins, one address."""
    settings.AXES_FAILURE_LIMIT, settings.AXES_IP_FAILURE_LIMIT = 3, 6
    users = [factories.staff(practice["organisation"]) for _ in range(7)]
    stuffer, colleague = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.2")
    for user in users[:5]:
        assert attempt(stuffer, user, "mauvais").status_code == 200
    assert_locked_out(attempt(stuffer, users[5], "mauvais"))
    assert_locked_out(attempt(stuffer, users[6]))  # the right password of a fresh login
    assert attempt(colleague, users[6]).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_counts(secretary, settings):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.1/32")]
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    attacker = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    desk = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(attacker, secretary, "mauvais")
    assert_locked_out(attempt(attacker, secretary))
    assert attempt(desk, secretary).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
