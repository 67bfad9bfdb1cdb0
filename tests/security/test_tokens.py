"""Ids in public URLs cannot be guessed; secret tokens are long and compared in constant
time; an unknown id and a wrong token get the very same answer."""

from __future__ import annotations

import inspect
import math
import uuid

import pytest
from django.test import Client

from accueil.api import calls, v1
from accueil.booking import public
from accueil.booking.models import new_manage_token
from accueil.directory.models import Motif
from accueil.notify.models import new_token
from accueil.reception import twilio
from tests import factories
from tests.security import world as world_module
from tests.security.test_access_sweep import Public, discover, rule_of

pytestmark = pytest.mark.django_db

# Public pages name directory entries that every visitor is shown anyway (the practice's
# practitioners and bookable motifs): integer ids there reveal nothing; the public views
# answer 404 for an id of another practice or a motif not open to the public.
DIRECTORY_IDS = {"practitioner_id", "motif_id"}


def _bits(token: str) -> float:
    return len(token) * math.log2(64)  # URL-safe base 64


@pytest.fixture
def world():
    return world_module.build()


def test_public_patterns_have_no_sequential_ids(world):
    public = [u for u in discover(world.kwargs, world.overrides) if isinstance(rule_of(u), Public)]
    assert len(public) >= 15
    for url in public:
        converters = getattr(url.pattern.pattern, "converters", {})
        for name, converter in converters.items():
            if type(converter).__name__ == "IntConverter":
                assert name in DIRECTORY_IDS, (
                    f"{url.name}: public URL with a sequential id <int:{name}>; use a UUID "
                    "or a token"
                )


def test_secrets_of_public_links_are_at_least_128_bits():
    for _ in range(20):
        assert _bits(new_manage_token()) >= 128
        assert _bits(new_token()) >= 128  # waitlist entries and offers


def test_tokens_are_compared_in_constant_time():
    for function in (public.manageable, v1._find_by_token, twilio.is_valid):
        assert "hmac.compare_digest" in inspect.getsource(function), function
    assert "hmac.compare_digest" in inspect.getsource(calls.TelephonyToken)


def test_unknown_id_and_wrong_token_look_the_same(world):
    appointment = world.appointment
    client = Client()
    wrong_token = f"/rdv/{appointment.public_id}/{'x' * 32}/"
    unknown_id = f"/rdv/{uuid.uuid4()}/{appointment.manage_token}/"
    a, b = client.get(wrong_token), client.get(unknown_id)
    assert a.status_code == b.status_code == 404
    assert a.content == b.content
    right = client.get(f"/rdv/{appointment.public_id}/{appointment.manage_token}/")
    assert right.status_code == 200  # the same request with the right token opens it
    api_wrong = client.get(f"/api/v1/appointments/{appointment.public_id}", {"token": "x" * 32})
    api_unknown = client.get(
        f"/api/v1/appointments/{uuid.uuid4()}", {"token": appointment.manage_token}
    )
    assert api_wrong.status_code == api_unknown.status_code == 404
    assert api_wrong.content == api_unknown.content


def test_guessing_tokens_opens_nothing(world):
    """Hundreds of guesses on the manage link, waitlist offers and the API: none opens."""
    appointment = world.appointment
    client = Client()
    for i in range(200):
        guess = new_manage_token()
        assert client.get(f"/rdv/{appointment.public_id}/{guess}/").status_code == 404
        assert client.get(f"/rdv/offre/{new_token()}/").status_code in (404, 410), i
    api = f"/api/v1/appointments/{appointment.public_id}"
    assert all(client.get(api, {"token": new_manage_token()}).status_code == 404 for _ in range(50))


def test_directory_ids_of_another_practice_or_a_staff_motif_are_not_found(world):
    org = world.organisation
    other_org, other_p, other_m = factories.agenda()
    staff_only = factories.motif(org, [], name="Réservé", bookable_by=Motif.BookableBy.STAFF)
    p = world.kwargs["practitioner_id"]
    client = Client()
    assert client.get(f"/{org.slug}/rendez-vous/{other_p.id}/").status_code == 404
    assert client.get(f"/{org.slug}/rendez-vous/{p}/{other_m.id}/").status_code == 404
    assert client.get(f"/{org.slug}/rendez-vous/{p}/{staff_only.id}/").status_code == 404
    assert other_org.slug != org.slug
