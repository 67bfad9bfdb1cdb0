"""Waitlist through the JSON API."""

import json

import pytest

from accueil.directory.models import Motif
from accueil.notify.models import WaitlistEntry
from tests import factories

pytestmark = pytest.mark.django_db

PATIENT = {
    "first_name": "Paul",
    "last_name": "Martin",
    "birth_date": "1979-02-03",
    "phone": "06 98 76 54 32",
}


def post(client, body):
    return client.post("/api/v1/waitlist", json.dumps(body), content_type="application/json")


def test_join_and_leave(client):
    org, p, m = factories.agenda()
    body = {"motif": m.id, "practitioner": p.id, "patient": PATIENT, "times_of_day": ["morning"]}
    response = post(client, body)
    assert response.status_code == 201
    token = response.json()["token"]
    entry = WaitlistEntry.objects.get(token=token)
    assert (entry.practitioner, entry.times_of_day) == (p, "morning")
    assert client.delete(f"/api/v1/waitlist/{token}").status_code == 204
    assert client.delete(f"/api/v1/waitlist/{token}").status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"motif": 999999}, "motif"),
        ({"practitioner": 999999}, "practitioner"),
        ({"times_of_day": ["midnight"]}, "times_of_day.0"),
        ({"patient": {**PATIENT, "phone": "0612"}}, "patient.phone"),
        ({"earliest": "2027-02-01", "latest": "2027-01-01"}, "latest"),
    ],
)
def test_invalid_requests_are_422_and_write_nothing(client, change, field):
    _, p, m = factories.agenda()
    response = post(client, {"motif": m.id, "patient": PATIENT, **change})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not WaitlistEntry.objects.exists()


def test_staff_only_motifs_and_other_practices_practitioners_are_refused(client):
    org, p, m = factories.agenda()
    staff_only = factories.motif(org, [p], bookable_by=Motif.BookableBy.STAFF)
    assert post(client, {"motif": staff_only.id, "patient": PATIENT}).status_code == 422
    _, other, _ = factories.agenda()
    response = post(client, {"motif": m.id, "practitioner": other.id, "patient": PATIENT})
    assert response.status_code == 422
    assert "practitioner" in response.json()["errors"]
