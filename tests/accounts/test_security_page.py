"""« Sécurité du compte »: recovery codes, replacing the authenticator, logging out
everywhere; and the demo's `otp_code` command."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services
from accueil.accounts.models import LoginSession
from accueil.audit.models import Action, AuditEntry, ObjectType
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "x-demo-pass"  # tests.factories.staff


@pytest.fixture
def member(practice):
    return practice["member"]


def verified(user) -> Client:
    client = Client()
    factories.login_verified(client, user)
    return client


def patients_url(practice) -> str:
    return reverse("desk:patients", args=[practice["organisation"].slug])


def test_logout_everywhere_ends_every_session_of_the_user(practice, member):
    laptop, phone, colleague = verified(member), verified(member), verified(practice["owner"])
    assert phone.get(patients_url(practice)).status_code == 200
    response = laptop.post(reverse("accounts:logout_everywhere"))
    assert response["Location"] == reverse("desk:login")
    for client in (phone, laptop):
        again = client.get(patients_url(practice))
        assert again.status_code == 302 and again["Location"].startswith(reverse("desk:login"))
    assert colleague.get(patients_url(practice)).status_code == 200
    assert not LoginSession.objects.filter(user=member).exists()
    entry = AuditEntry.objects.get(action=Action.LOGOUT, object_id=str(member.pk))
    assert "tous les appareils (2 session(s))" in entry.summary


def test_logout_forgets_the_session(member):
    client = verified(member)
    assert LoginSession.objects.filter(user=member).count() == 1
    client.post(reverse("desk:logout"))
    assert not LoginSession.objects.filter(user=member).exists()


def test_the_page_shows_the_codes_left_and_the_last_logins(practice, member):
    services.new_recovery_codes(member)
    client = Client()
    device = factories.authenticator(member)
    step = client.post(reverse("desk:login"), {"username": member.username, "password": PASSWORD})[
        "Location"
    ]
    client.post(step, {"code": services.current_code(device)})
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Il vous reste <strong>10</strong> codes de secours" in page
    assert "Dernières connexions" in page and "application d&#x27;authentification" in page


def test_new_recovery_codes_replace_the_old_ones(member, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # django-otp delays a retry after a failure
    old = services.new_recovery_codes(member)
    client = verified(member)
    response = client.post(reverse("accounts:regenerate_codes"))
    assert response["Location"] == reverse("accounts:recovery_codes")
    page = client.get(response["Location"]).content.decode()
    new = stored_codes(member)
    assert len(new) == 10 and all(code in page for code in new)
    assert services.verify_code(member, old[0]) is None
    assert services.verify_code(member, new[0]) is not None
    assert AuditEntry.objects.filter(
        action=Action.UPDATE, object_type=ObjectType.SECOND_FACTOR
    ).exists()


def stored_codes(user) -> list[str]:
    return list(StaticDevice.objects.get(user=user).token_set.values_list("token", flat=True))


def test_replacing_the_authenticator_takes_the_password_and_a_code(practice, member, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp delays a retry after a failure
    client = verified(member)
    device = factories.authenticator(member)
    url = reverse("accounts:reset_authenticator")
    refused = client.post(url, {"password": "mauvais", "code": services.current_code(device)})
    assert refused["Location"] == reverse("accounts:security")
    refused = client.post(url, {"password": PASSWORD, "code": "000000"})
    assert TOTPDevice.objects.filter(user=member).exists()
    response = client.post(url, {"password": PASSWORD, "code": services.current_code(device)})
    assert response["Location"].startswith(reverse("accounts:enrol"))
    assert not TOTPDevice.objects.filter(user=member).exists()
    # The session was verified by the removed device: it must enrol a new one first.
    assert client.get(patients_url(practice)).status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert AuditEntry.objects.filter(
        action=Action.DELETE, object_type=ObjectType.SECOND_FACTOR, object_id=str(member.pk)
    ).exists()


def test_otp_code_prints_the_current_code_in_debug_only(member, settings):
    device = factories.authenticator(member)
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("otp_code", member.username)
    settings.DEBUG = True
    out = io.StringIO()
    call_command("otp_code", member.username, stdout=out)
    assert out.getvalue().strip() == services.current_code(device)


def test_demo_keys_are_stable_per_login(member):
    device = services.give_demo_authenticator(member)
    again = services.give_demo_authenticator(member)
    assert device.pk == again.pk and device.key == services.demo_key(member.username)
    assert services.demo_key("dr.martin") != services.demo_key("accueil.lilas")
    assert TOTPDevice.objects.filter(user=member).count() == 1
