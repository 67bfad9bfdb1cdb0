"""The second factor is enforced for every desk, console and account page at once
(accounts.middleware): a session past the password only sees none of them. The URLs come
from the resolver, so a view added later is covered without touching this file."""

import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, SlugConverter, UUIDConverter

from accueil.accounts import services
from accueil.directory.models import Membership
from accueil.secretariat.models import Operator
from tests import factories

pytestmark = pytest.mark.django_db

# The login steps themselves: they must see the half-logged-in user.
LOGIN_STEPS = {"desk:login", "desk:logout", "accounts:verify", "accounts:enrol"}


def patterns(namespace: str) -> list[URLPattern]:
    (resolver,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == namespace
    ]
    return [p for p in resolver.url_patterns if isinstance(p, URLPattern)]


def staff_urls(slug: str) -> list[tuple[str, str]]:
    """Every desk, console and account URL, with arguments of the right shape (the view
    must refuse before it looks anything up)."""
    found = []
    for namespace in ("desk", "secretariat", "accounts"):
        for pattern in patterns(namespace):
            name = f"{namespace}:{pattern.name}"
            if name in LOGIN_STEPS:
                continue
            kwargs = {}
            for key, converter in pattern.pattern.converters.items():
                if isinstance(converter, SlugConverter):
                    kwargs[key] = slug if key == "slug" else "sms"
                elif isinstance(converter, IntConverter):
                    kwargs[key] = 1
                elif isinstance(converter, UUIDConverter):
                    kwargs[key] = uuid.uuid4()
                else:
                    kwargs[key] = "2027-01"
            found.append((name, reverse(name, kwargs=kwargs)))
    return found


@pytest.fixture
def owner_operator(practice):
    """One user who is both a practice's owner and an operator: every page is theirs."""
    owner = practice["owner"]
    secretariat = factories.organisation(kind="telesecretariat")
    Operator.objects.create(user=owner, secretariat=secretariat, status_since=factories.NOW)
    factories.authenticator(owner)
    return owner


def test_every_staff_url_is_walked(practice):
    names = {name for name, _ in staff_urls(practice["organisation"].slug)}
    assert {"desk:agenda", "desk:patient", "secretariat:console", "accounts:security"} <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_session_past_the_password_only_reaches_no_staff_page(
    client, practice, owner_operator, method
):
    client.force_login(owner_operator)  # the password step: logged in, not verified
    for name, url in staff_urls(practice["organisation"].slug):
        response = getattr(client, method)(url)
        assert response.status_code != 200, (name, method)
        if method == "get":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("desk:login")), name


def test_the_login_page_sends_an_unverified_session_to_the_code_step(client, practice):
    owner = practice["owner"]
    factories.authenticator(owner)
    client.force_login(owner)
    page = reverse("desk:patients", args=[practice["organisation"].slug])
    to_login = client.get(page)
    to_code = client.get(to_login["Location"])
    assert to_code.status_code == 302
    assert to_code["Location"].startswith(reverse("accounts:verify"))
    assert "next=" in to_code["Location"]


def test_without_enforcement_the_same_session_would_see_patients(client, practice, settings):
    """Negative control: the refusals above come from the second-factor rule."""
    patient = factories.patient(practice["organisation"])
    url = reverse("desk:patient", args=[practice["organisation"].slug, patient.id])
    client.force_login(practice["owner"])
    assert client.get(url).status_code == 302
    settings.OTP_REQUIRED = False
    assert client.get(url).status_code == 200


def test_a_verified_session_sees_patients(client, practice):
    patient = factories.patient(practice["organisation"])
    factories.login_verified(client, practice["member"])
    url = reverse("desk:patient", args=[practice["organisation"].slug, patient.id])
    assert client.get(url).status_code == 200


def test_the_admin_needs_the_second_factor_too(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x-pass-123")
    client.force_login(root)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"].startswith(reverse("desk:login"))
    factories.login_verified(client, root)
    assert client.get("/admin/").status_code == 200


def test_who_must_show_a_second_factor(practice, django_user_model, settings):
    plain = django_user_model.objects.create_user("visiteur", password="x-pass-123")
    operator = django_user_model.objects.create_user("standard", password="x-pass-123")
    Operator.objects.create(
        user=operator,
        secretariat=factories.organisation(kind="telesecretariat"),
        status_since=factories.NOW,
    )
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x-pass-123")
    for role in Membership.Role:
        user = factories.staff(practice["organisation"], role)
        assert services.requires_second_factor(user), role
    assert services.requires_second_factor(operator)
    assert services.requires_second_factor(root)
    assert not services.requires_second_factor(plain)
    settings.OTP_REQUIRED = False
    assert not services.requires_second_factor(root)


def test_the_api_with_its_token_is_not_affected(settings):
    settings.ACCUEIL_TELEPHONY_TOKEN = "jeton-de-test"
    response = Client().get("/api/v1/organisations", HTTP_AUTHORIZATION="Bearer jeton-de-test")
    assert response.status_code == 200
