"""The Content-Security-Policy of every kind of page: no inline script anywhere."""

import pytest
from django.urls import reverse

from accueil.directory.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split(";") if d.strip()}


def assert_no_inline_script(response) -> dict[str, str]:
    found = directives(response)
    scripts = found.get("script-src", found["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert found["object-src"] == "'none'" and found["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in found.get("style-src", found["default-src"])
    return found


def test_desk_pages_forbid_inline_scripts_and_style_elements(client):
    org, _practitioner, _motif = factories.agenda()
    factories.login_verified(client, factories.staff(org, Membership.Role.OWNER))
    response = client.get(reverse("desk:agenda", args=[org.slug]))
    assert response.status_code == 200
    found = assert_no_inline_script(response)
    # Agenda blocks are placed with style attributes computed on the server.
    assert found["style-src-attr"] == "'unsafe-inline'"


def test_login_and_api_docs_have_the_policy(client):
    for url in (reverse("desk:login"), "/api/docs"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_script(response)


def test_public_pages_keep_their_stricter_policy(client):
    response = client.get(reverse("booking:home"))
    assert "style-src-attr" not in directives(response)
    assert_no_inline_script(response)


def test_json_answers_carry_no_policy(client):
    response = client.get("/api/v1/practitioners")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
