import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from accueil.booking.models import Appointment, Status
from accueil.directory.models import Motif
from accueil.patients.models import Patient
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY

pytestmark = pytest.mark.django_db

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$")


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def frozen_now(monkeypatch):
    """API requests see 'now' as a fixed instant before the test agenda."""
    monkeypatch.setattr(timezone, "now", lambda: factories.NOW)


@pytest.fixture
def agenda(frozen_now):
    org, p, m = factories.agenda()
    return org, p, m


def post(client, url, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type="application/json", headers=headers)


def booking_body(p, m, start, **patient):
    person = {
        "first_name": "Jeanne",
        "last_name": "Lefèvre",
        "birth_date": "1984-07-12",
        "phone": "06 12 34 56 78",
        "email": "jeanne@example.org",
    }
    person.update(patient)
    return {"practitioner": p.id, "motif": m.id, "start": start, "patient": person}


def nine(day=MONDAY) -> str:
    return wall_clock(day, dt.time(9)).isoformat()


def test_practitioners_lists_only_those_with_public_motifs(client, agenda):
    org, p, m = agenda
    hidden = factories.practitioner(org, last_name="Caché")
    factories.motif(org, [hidden], bookable_by=Motif.BookableBy.STAFF)
    body = client.get("/api/v1/practitioners").json()
    assert [row["id"] for row in body] == [p.id]
    (row,) = body
    assert set(row) == {"id", "name", "profession", "organisation", "sites"}
    assert row["organisation"] == {"id": org.id, "name": org.name}
    site = p.sites.get()
    assert row["sites"] == [
        {"id": site.id, "name": site.name, "address": "12 rue des Lilas, 59000 Lille"}
    ]


def test_motifs_of_a_practitioner_are_the_public_ones(client, agenda):
    org, p, m = agenda
    factories.motif(org, [p], name="Réservé", bookable_by=Motif.BookableBy.REFERRERS)
    body = client.get(f"/api/v1/motifs?practitioner={p.id}").json()
    assert body == [
        {
            "id": m.id,
            "name": "Consultation",
            "duration_minutes": 20,
            "location_type": "on_site",
            "bookable_by": "public",
            "capacity": 1,
        }
    ]


def test_motifs_of_unknown_practitioner_is_422(client, agenda):
    response = client.get("/api/v1/motifs?practitioner=999999")
    assert response.status_code == 422
    assert "practitioner" in response.json()["errors"]
    assert client.get("/api/v1/motifs").status_code == 422
    assert client.get("/api/v1/motifs?practitioner=abc").status_code == 422


def test_slots_are_sorted_with_paris_offsets(client, agenda):
    _, p, m = agenda
    url = f"/api/v1/slots?practitioner={p.id}&motif={m.id}&from=2027-03-26&to=2027-03-30"
    body = client.get(url).json()
    starts = [s["start"] for s in body]
    assert starts == sorted(starts)
    assert all(ISO_WITH_OFFSET.match(s["start"]) and ISO_WITH_OFFSET.match(s["end"]) for s in body)
    # Friday 26 March is winter time, Tuesday 30 March summer time (Monday 29 is Easter Monday).
    assert starts[0] == "2027-03-26T09:00:00+01:00"
    assert "2027-03-30T09:00:00+02:00" in starts
    assert not any(s.startswith("2027-03-29") for s in starts)
    assert {s["site"] for s in body} == {p.sites.get().id}
    assert len(body) == 2 * 9


@pytest.mark.parametrize(
    "query",
    [
        "from=2027-01-10&to=2027-01-04",  # reversed
        "from=2027-01-04&to=2027-06-30",  # too long
        "from=04/01/2027&to=2027-01-05",  # not ISO
        "to=2027-01-05",  # missing
    ],
)
def test_slots_bad_range_is_422(client, agenda, query):
    _, p, m = agenda
    response = client.get(f"/api/v1/slots?practitioner={p.id}&motif={m.id}&{query}")
    assert response.status_code == 422
    assert response.json()["errors"]


def test_slots_of_non_public_motif_is_422(client, agenda):
    org, p, _ = agenda
    staff_only = factories.motif(org, [p], bookable_by=Motif.BookableBy.STAFF)
    url = f"/api/v1/slots?practitioner={p.id}&motif={staff_only.id}&from=2027-01-04&to=2027-01-05"
    response = client.get(url)
    assert response.status_code == 422
    assert "motif" in response.json()["errors"]


def test_book_then_read_then_cancel(client, agenda):
    _, p, m = agenda
    response = post(client, "/api/v1/appointments", booking_body(p, m, nine()))
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "start", "end", "status", "manage_token"}
    assert created["start"] == "2027-01-04T09:00:00+01:00"
    assert created["end"] == "2027-01-04T09:20:00+01:00"
    assert created["status"] == "booked"
    token = created["manage_token"]
    assert len(token) >= 22  # >= 128 bits in url-safe base64

    shown = client.get(f"/api/v1/appointments/{created['id']}?token={token}")
    assert shown.status_code == 200
    assert shown.json()["patient"] == {"first_name": "Jeanne", "last_name": "Lefèvre"}
    assert "phone" not in json.dumps(shown.json())

    cancelled = post(client, f"/api/v1/appointments/{created['id']}/cancel", {"token": token})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled_by_patient"
    assert Appointment.objects.get().status == Status.CANCELLED_BY_PATIENT


def test_slot_taken_is_409(client, agenda):
    _, p, m = agenda
    assert post(client, "/api/v1/appointments", booking_body(p, m, nine())).status_code == 201
    again = post(client, "/api/v1/appointments", booking_body(p, m, nine(), first_name="Marc"))
    assert again.status_code == 409
    assert again.json() == {"error": "slot_taken"}
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient": {"phone": "12"}}, "patient.phone"),
        ({"patient": {"phone": "+44 20 7946 0958"}}, "patient.phone"),
        ({"patient": {"first_name": ""}}, "patient.first_name"),
        ({"patient": {"first_name": "   "}}, "patient.first_name"),
        ({"patient": {"email": "pas-un-email"}}, "patient.email"),
        ({"patient": {"birth_date": "2090-01-01"}}, "patient.birth_date"),
        ({"patient": {"birth_date": "31/12/1980"}}, "patient.birth_date"),
        ({"start": "2027-01-04T09:10:00+01:00"}, "start"),  # not on a slot
        ({"start": "2027-01-04T09:00:00"}, "start"),  # no offset
        ({"start": "2026-01-05T09:00:00+01:00"}, "start"),  # past
        ({"start": "demain"}, "start"),
        ({"practitioner": 999999}, "practitioner"),
        ({"practitioner": "un"}, "practitioner"),
        ({"motif": 999999}, "motif"),
        ({"patient": {"last_name": "Dupont\x00"}}, "patient.last_name"),
        ({"patient": {"first_name": "Jean\nMarie"}}, "patient.first_name"),
    ],
)
def test_invalid_booking_is_422_with_field_errors_and_writes_nothing(client, agenda, change, field):
    _, p, m = agenda
    body = booking_body(p, m, nine())
    for key, value in change.items():
        if key == "patient":
            body["patient"].update(value)
        else:
            body[key] = value
    response = post(client, "/api/v1/appointments", body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert not Appointment.objects.exists()
    assert not Patient.objects.exists()


def test_missing_patient_fields_are_listed(client, agenda):
    _, p, m = agenda
    body = {"practitioner": p.id, "motif": m.id, "start": nine(), "patient": {}}
    response = post(client, "/api/v1/appointments", body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {
        "patient.first_name",
        "patient.last_name",
        "patient.birth_date",
        "patient.phone",
    } <= set(errors)
    assert errors["patient.phone"] == ["Ce champ est obligatoire."]


def test_non_public_motif_cannot_be_booked(client, agenda):
    org, p, _ = agenda
    referral = factories.motif(org, [p], bookable_by=Motif.BookableBy.REFERRERS)
    p.opening_periods.get().motifs.add(referral)
    response = post(client, "/api/v1/appointments", booking_body(p, referral, nine()))
    assert response.status_code == 422
    assert "motif" in response.json()["errors"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b'{"practitioner": {"$gt": 1}}',
        "{'practitioner': 1}",
        b"\xff\xfe\x00",
    ],
)
def test_malformed_bodies_are_clean_4xx(client, agenda, raw):
    response = post(client, "/api/v1/appointments", raw)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "path", ["/api/v1/first-available?motif=%00", "/api/v1/practitioners?profession=a%00b"]
)
def test_nul_in_a_search_term_is_422(client, agenda, path):
    response = client.get(path)
    assert response.status_code == 422
    assert list(response.json()["errors"].values()) == [["Caractères de contrôle interdits."]]


def test_huge_body_is_413(client, agenda):
    _, p, m = agenda
    body = booking_body(p, m, nine(), first_name="A" * 100_000)
    response = post(client, "/api/v1/appointments", body)
    assert response.status_code == 413
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        "Robert'); DROP TABLE booking_appointment;--",
        "<script>alert(1)</script>",
        "' OR '1'='1",
    ],
)
def test_injection_payloads_are_stored_inert(client, agenda, payload):
    _, p, m = agenda
    response = post(client, "/api/v1/appointments", booking_body(p, m, nine(), last_name=payload))
    assert response.status_code == 201
    assert Patient.objects.get().last_name == payload
    created = response.json()
    shown = client.get(f"/api/v1/appointments/{created['id']}?token={created['manage_token']}")
    assert shown.json()["patient"]["last_name"] == payload
    assert Appointment.objects.count() == 1


def test_wrong_token_and_unknown_id_give_the_same_404(client, agenda):
    _, p, m = agenda
    created = post(client, "/api/v1/appointments", booking_body(p, m, nine())).json()
    wrong = client.get(f"/api/v1/appointments/{created['id']}?token=nope")
    unknown = client.get(
        f"/api/v1/appointments/00000000-0000-4000-8000-000000000000?token={created['manage_token']}"
    )
    garbage = client.get("/api/v1/appointments/42?token=x")
    no_token = client.get(f"/api/v1/appointments/{created['id']}")
    for response in (wrong, unknown, garbage, no_token):
        assert response.status_code == 404
        assert response.content == wrong.content
    cancel = post(client, f"/api/v1/appointments/{created['id']}/cancel", {"token": "nope"})
    assert cancel.status_code == 404
    assert cancel.content == wrong.content
    assert Appointment.objects.get().status == Status.BOOKED


def test_cancel_after_start_is_409(client, agenda, monkeypatch):
    _, p, m = agenda
    created = post(client, "/api/v1/appointments", booking_body(p, m, nine())).json()
    monkeypatch.setattr(timezone, "now", lambda: wall_clock(MONDAY, dt.time(10)))
    response = post(
        client, f"/api/v1/appointments/{created['id']}/cancel", {"token": created["manage_token"]}
    )
    assert response.status_code == 409
    assert response.json() == {"error": "too_late"}


def test_move_through_the_api(client, agenda):
    _, p, m = agenda
    created = post(client, "/api/v1/appointments", booking_body(p, m, nine())).json()
    ten = wall_clock(MONDAY, dt.time(10)).isoformat()
    response = post(
        client,
        f"/api/v1/appointments/{created['id']}/move",
        {"token": created["manage_token"], "start": ten},
    )
    assert response.status_code == 200
    assert response.json()["start"] == "2027-01-04T10:00:00+01:00"
    assert post(client, "/api/v1/appointments", booking_body(p, m, nine())).status_code == 201


def test_idempotency_key_replays_the_first_answer(client, agenda):
    _, p, m = agenda
    body = booking_body(p, m, nine())
    first = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-1"})
    second = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


def test_idempotency_key_with_another_body_is_422(client, agenda):
    _, p, m = agenda
    post(client, "/api/v1/appointments", booking_body(p, m, nine()), **{"Idempotency-Key": "k-2"})
    other = booking_body(p, m, wall_clock(MONDAY, dt.time(10)).isoformat())
    response = post(client, "/api/v1/appointments", other, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert Appointment.objects.count() == 1


def test_idempotency_replays_a_409_too(client, agenda):
    _, p, m = agenda
    post(client, "/api/v1/appointments", booking_body(p, m, nine()))
    body = booking_body(p, m, nine(), first_name="Marc")
    first = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-3"})
    second = post(client, "/api/v1/appointments", body, **{"Idempotency-Key": "k-3"})
    assert first.status_code == second.status_code == 409


def test_first_available_returns_the_earliest_practitioners(client, agenda):
    org, p, m = agenda
    late = factories.practitioner(org, last_name="Tardif")
    m.practitioners.add(late)
    factories.period(late, [m], start_time=dt.time(14), end_time=dt.time(17))
    body = client.get("/api/v1/first-available?limit=2").json()
    assert [row["practitioner"]["id"] for row in body] == [p.id, late.id]
    assert body[0]["start"] == "2027-01-04T09:00:00+01:00"
    assert body[1]["start"] == "2027-01-04T14:00:00+01:00"


def test_openapi_schema_and_docs_are_served(client, db):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/practitioners",
        "/api/v1/motifs",
        "/api/v1/slots",
        "/api/v1/appointments",
    } <= set(paths)
    assert client.get("/api/docs").status_code == 200
