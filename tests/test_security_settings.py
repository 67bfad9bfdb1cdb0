"""Production settings: Argon2 password hashing, and `check --deploy` clean with the
documented environment variables (and not without them)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.urls import reverse

from accueil.directory.models import Membership
from tests import factories

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "accueil.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def check_deploy(extra: dict[str, str]) -> subprocess.CompletedProcess:
    """A clean environment: nothing the test run set (browser tests set
    DJANGO_ALLOW_ASYNC_UNSAFE, which the deploy check rightly refuses)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "")} | extra
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_the_development_defaults():
    result = check_deploy({"DEBUG": "1"})
    assert result.returncode != 0
    for warning in ("W004", "W008", "W009", "W012", "W016", "W018"):
        assert warning in result.stderr + result.stdout, warning


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2():
    user = User.objects.create_user("claire", password="un-mot-de-passe-solide")
    assert user.password.startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2(client):
    org = factories.organisation()
    user = User.objects.create(
        username="ancien", password=make_password("ancien-mot-de-passe", hasher="pbkdf2_sha256")
    )
    Membership.objects.create(user=user, organisation=org, role=Membership.Role.SECRETARY)
    assert user.password.startswith("pbkdf2_sha256$")
    response = client.post(
        reverse("desk:login"), {"username": "ancien", "password": "ancien-mot-de-passe"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert user.check_password("ancien-mot-de-passe")
    wrong = client.post(reverse("desk:login"), {"username": "ancien", "password": "faux"})
    assert wrong.status_code == 200
