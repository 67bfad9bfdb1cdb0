"""Every desk URL, discovered from the resolver, from each side of the standard cast.

A new desk view is covered without touching this file: members get an answer, an outsider
from another practice gets a 404 (no existence leak), anonymous users the login page.
"""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accueil.booking import services as booking
from accueil.booking.models import Channel
from accueil.desk import services as desk
from accueil.directory.services import Audience
from accueil.reception import services as reception
from accueil.reception.models import Call
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY

pytestmark = pytest.mark.django_db

PUBLIC_DESK_URLS = {"desk:login", "desk:logout", "desk:home"}
# Data-protection pages: the practice's owners only, other members get 403.
OWNER_ONLY_URLS = {
    "desk:journal",
    "desk:journal_csv",
    "desk:patient_data",
    "desk:patient_data_json",
    "desk:patient_erase",
}


def desk_patterns() -> list[URLPattern]:
    (resolver,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "desk"
    ]
    return [p for p in resolver.url_patterns if isinstance(p, URLPattern)]


@pytest.fixture
def objects(practice):
    org, p, m = practice["organisation"], practice["practitioner"], practice["motif"]
    appointment = booking.book(
        practitioner=p,
        motif=m,
        start=wall_clock(MONDAY, dt.time(9)),
        patient=factories.patient(org),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=factories.NOW,
    )
    absence = factories.absence(p, wall_clock(MONDAY, dt.time(11)), wall_clock(MONDAY, dt.time(12)))
    message = desk.leave_message(org, body="Rappeler", channel=Channel.DESK, now=factories.NOW)
    call = Call.objects.create(  # the simulator's pages open desk calls only
        organisation=org, to_number="+33322000000", channel="desk", started_at=factories.NOW
    )
    sheet = reception.save_sheet(org, reception.default_sheet(org), now=factories.NOW)
    return {
        "slug": org.slug,
        "public_id": appointment.public_id,
        "patient_id": appointment.patient_id,
        "absence_id": absence.id,
        "message_id": message.id,
        "site_id": p.sites.get().id,
        "practitioner_id": p.id,
        "motif_id": m.id,
        "period_id": p.opening_periods.get().id,
        "kind": "reminder",  # a message text: kind and channel
        "channel": "sms",
        "call_id": call.id,
        "sheet_version": sheet.version,
    }


def urls(objects) -> list[tuple[str, str]]:
    found = []
    for pattern in desk_patterns():
        name = f"desk:{pattern.name}"
        if name in PUBLIC_DESK_URLS:
            continue
        kwargs = {key: objects[key] for key in pattern.pattern.converters}
        found.append((name, reverse(name, kwargs=kwargs)))
    return found


def test_every_desk_url_is_checked(objects):
    names = {name for name, _ in urls(objects)}
    assert {"desk:agenda", "desk:appointment", "desk:patient", "desk:message_done"} <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_everywhere(client, practice, objects, method):
    factories.login_verified(client, practice["outsider"])
    for name, url in urls(objects):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (name, method, response.status_code)


def test_anonymous_is_sent_to_login_everywhere(client, objects):
    login = reverse("desk:login")
    for name, url in urls(objects):
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(login), name


@pytest.mark.parametrize("who", ["owner", "member"])
def test_members_can_open_every_page(client, practice, objects, who):
    factories.login_verified(client, practice[who])
    for name, url in urls(objects):
        response = client.get(url)
        expected = {403} if who == "member" and name in OWNER_ONLY_URLS else {200, 302, 405}
        assert response.status_code in expected, (name, response.status_code)
        if response.status_code == 200:
            assert practice["outsider"].username not in response.content.decode()


def test_owner_only_pages_exist_and_refuse_members_posts(client, practice, objects):
    names = {name for name, _ in urls(objects)}
    assert names >= OWNER_ONLY_URLS
    factories.login_verified(client, practice["member"])
    for name, url in urls(objects):
        if name in OWNER_ONLY_URLS:
            assert client.post(url).status_code == 403, name


def test_outsider_sees_nothing_of_the_other_practice_in_its_own_pages(client, practice, objects):
    factories.login_verified(client, practice["outsider"])
    other = practice["other_organisation"].slug
    response = client.get(reverse("desk:patients", args=[other]) + "?q=Bernard")
    assert response.status_code == 200
    assert "Aucun patient trouvé" in response.content.decode()
    assert f"/patients/{objects['patient_id']}/" not in response.content.decode()
    response = client.get(reverse("desk:agenda", args=[other]) + f"?jour={MONDAY}")
    assert practice["practitioner"].last_name not in response.content.decode()
