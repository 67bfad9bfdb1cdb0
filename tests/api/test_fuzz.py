"""Whatever a client sends, the API answers a clean 4xx (or a success), never a 500."""

import datetime as dt
import json
import urllib.parse

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accueil.booking import services
from accueil.booking.models import Appointment, Channel
from accueil.directory.services import Audience
from accueil.scheduling.engine import wall_clock
from tests import factories

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
patient_like = st.fixed_dictionaries(
    {},
    optional={
        "first_name": json_values,
        "last_name": json_values,
        "birth_date": json_values | st.dates().map(str),
        "phone": json_values | st.sampled_from(["0612345678", "+33 1 23 45 67 89", "06"]),
        "email": json_values,
    },
)
booking_like = st.fixed_dictionaries(
    {},
    optional={
        "practitioner": json_values,
        "motif": json_values,
        "start": json_values | st.datetimes().map(lambda d: d.isoformat()),
        "patient": patient_like | json_values,
    },
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def agenda():
    org, p, m = factories.agenda()
    existing = services.book(
        practitioner=p,
        motif=m,
        start=wall_clock(factories.MONDAY, dt.time(9)),
        patient=factories.patient(org),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=factories.NOW,
    )
    return org, p, m, existing


@FUZZ
@given(body=booking_like | json_values)
def test_post_appointments_never_500(agenda, body):
    response = Client().post(
        "/api/v1/appointments", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in {201, 400, 409, 413, 422}, response.content
    if response.status_code != 201:
        assert response.json()


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["practitioner", "motif", "from", "to", "token", "limit", "postcode"]),
        st.text(max_size=20) | st.integers().map(str) | st.dates().map(str),
        max_size=5,
    ),
    path=st.sampled_from(
        ["/api/v1/slots", "/api/v1/motifs", "/api/v1/practitioners", "/api/v1/first-available"]
    ),
)
def test_get_endpoints_never_500(agenda, params, path):
    response = Client().get(f"{path}?{urllib.parse.urlencode(params)}")
    assert response.status_code in {200, 400, 404, 422}, response.content


@FUZZ
@given(appointment_id=st.text(max_size=40), token=st.text(max_size=40))
def test_manage_endpoints_never_500_and_never_leak(agenda, appointment_id, token):
    quoted = urllib.parse.quote(appointment_id, safe="")
    client = Client()
    shown = client.get(f"/api/v1/appointments/{quoted}?token={urllib.parse.quote(token)}")
    cancel = client.post(
        f"/api/v1/appointments/{quoted}/cancel",
        json.dumps({"token": token}),
        content_type="application/json",
    )
    assert shown.status_code in {404, 422}
    assert cancel.status_code in {404, 422}
    existing = agenda[3]
    assert Appointment.objects.get(pk=existing.pk).status == "booked"


@FUZZ
@given(token=st.text(max_size=64))
def test_a_guessed_token_never_opens_an_appointment(agenda, token):
    existing = agenda[3]
    response = Client().get(
        f"/api/v1/appointments/{existing.public_id}?token={urllib.parse.quote(token)}"
    )
    assert response.status_code == 404
