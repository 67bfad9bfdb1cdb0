"""The two login steps: password, then a code from the authenticator or a recovery code;
enrolment of an authenticator for whoever has none."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services
from accueil.audit.models import Action, AuditEntry, ObjectType
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "x-demo-pass"  # tests.factories.staff


def password_step(client: Client, user, next_url: str = "") -> str:
    response = client.post(
        reverse("desk:login"),
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    return response["Location"]


@pytest.fixture
def secretary(practice):
    user = practice["member"]
    return user, factories.authenticator(user)


def patients_url(practice) -> str:
    return reverse("desk:patients", args=[practice["organisation"].slug])


def test_password_then_authenticator_code(client, practice, secretary):
    user, device = secretary
    step = password_step(client, user, patients_url(practice))
    assert step.startswith(reverse("accounts:verify"))
    assert client.get(patients_url(practice)).status_code == 302  # not yet
    response = client.post(step, {"code": services.current_code(device)})
    assert response.status_code == 302
    assert response["Location"] == patients_url(practice)
    assert client.get(patients_url(practice)).status_code == 200
    login = AuditEntry.objects.get(action=Action.LOGIN)
    assert login.object_type == ObjectType.ACCOUNT and login.object_id == str(user.pk)
    assert login.actor_id == user.pk and login.organisation_id == practice["organisation"].id


def test_a_wrong_code_is_refused_and_recorded(client, practice, secretary):
    user, device = secretary
    step = password_step(client, user)
    wrong = f"{(int(services.current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(step, {"code": wrong})
    assert response.status_code == 200
    assert "Code incorrect" in response.content.decode()
    assert client.get(patients_url(practice)).status_code == 302
    failure = AuditEntry.objects.get(action=Action.FAILURE)
    assert "code refusé" in failure.summary and failure.object_id == str(user.pk)


def test_a_code_cannot_be_used_twice(practice, secretary):
    user, device = secretary
    first, second = Client(), Client()
    code = services.current_code(device)
    assert first.post(password_step(first, user), {"code": code}).status_code == 302
    response = second.post(password_step(second, user), {"code": code})
    assert response.status_code == 200
    assert second.get(patients_url(practice)).status_code == 302


def test_a_recovery_code_logs_in_once(practice, secretary):
    user, _ = secretary
    codes = services.new_recovery_codes(user)
    first, second = Client(), Client()
    response = first.post(password_step(first, user), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert first.get(patients_url(practice)).status_code == 200
    assert services.recovery_codes_left(user) == 9
    assert "code de secours" in AuditEntry.objects.get(action=Action.LOGIN).summary
    reused = second.post(password_step(second, user), {"code": codes[0]})
    assert reused.status_code == 200
    assert second.get(patients_url(practice)).status_code == 302


def test_enrolment_right_after_the_password(client, practice, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp would delay the retry by a second
    user = practice["member"]  # no authenticator yet
    step = password_step(client, user, patients_url(practice))
    assert step.startswith(reverse("accounts:enrol"))
    page = client.get(step).content.decode()
    assert "<svg" in page and "otpauth" not in page  # the QR code is drawn, not linked
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert secret.replace(" ", "") == services.base32_secret(device).replace(" ", "")
    assert client.get(step).content.decode().count(secret) == 1  # same secret on reload

    assert client.post(step, {"code": "000000"}).status_code == 200  # wrong first code
    response = client.post(step, {"code": services.current_code(device)})
    assert response["Location"] == reverse("accounts:recovery_codes")
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert f'href="{patients_url(practice)}"' in codes_page
    # Shown once.
    assert client.get(reverse("accounts:recovery_codes")).status_code == 302
    assert client.get(patients_url(practice)).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(
        action=Action.CREATE, object_type=ObjectType.SECOND_FACTOR, object_id=str(user.pk)
    ).exists()
    assert services.verify_code(user, codes[3]) is not None


def test_an_authenticator_cannot_be_replaced_with_the_password_alone(client, secretary):
    user, _ = secretary
    password_step(client, user)
    response = client.get(reverse("accounts:enrol"))
    assert response["Location"].startswith(reverse("accounts:verify"))
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()


def test_a_user_who_sees_no_patient_data_logs_in_with_the_password(client, django_user_model):
    django_user_model.objects.create_user("visiteur", password=PASSWORD)
    response = client.post(reverse("desk:login"), {"username": "visiteur", "password": PASSWORD})
    assert response["Location"] == reverse("desk:home")
    assert client.get(reverse("desk:home")).status_code == 200


def test_next_must_stay_on_this_site(client, secretary):
    user, device = secretary
    step = password_step(client, user, "https://exemple.invalid/piege")
    response = client.post(step, {"code": services.current_code(device)})
    assert response["Location"] == reverse("desk:home")


def test_a_retry_too_soon_is_explained(client, secretary):
    user, device = secretary
    step = password_step(client, user)
    client.post(step, {"code": "000000"})
    response = client.post(step, {"code": services.current_code(device)})
    assert "attendez quelques secondes" in response.content.decode()
