"""Every console URL, discovered from the resolver, from each side: anonymous users go to
the login page; practice staff and another secretariat's operator get a 404 (no existence
leak), whatever the method. A new console view is covered without touching this file."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accueil.booking import services as booking
from accueil.booking.models import Channel
from accueil.directory.models import Membership
from accueil.directory.services import Audience
from accueil.secretariat import services
from accueil.secretariat.models import QueuedCall
from tests import factories
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at

pytestmark = pytest.mark.django_db


def console_patterns() -> list[URLPattern]:
    (resolver,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "secretariat"
    ]
    return [p for p in resolver.url_patterns if isinstance(p, URLPattern)]


@pytest.fixture
def urls():
    cast = secretariat_cast.build()
    org = cast.clients[0]
    appointment = booking.book(
        practitioner=cast.practitioners[org.id],
        motif=cast.motifs[org.id],
        start=at(MONDAY, 9),
        patient=factories.patient(org),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=factories.NOW,
    )
    services.enqueue(
        cast.contracts[0], source=QueuedCall.Source.DIRECT, caller_number="", now=at(MONDAY, 9)
    )
    call = services.take_next_call(cast.alice, now=at(MONDAY, 9))
    kwargs = {
        "call_id": call.public_id,
        "public_id": appointment.public_id,
        "contract_id": cast.contracts[0].id,
        "month": "2027-01",
        "operator_id": cast.alice.id,
    }
    found = []
    for pattern in console_patterns():
        names = set(pattern.pattern.regex.groupindex)
        found.append(reverse(f"secretariat:{pattern.name}", kwargs={k: kwargs[k] for k in names}))
    return cast, found


def test_anonymous_users_are_sent_to_the_login_page(urls):
    _, found = urls
    for url in found:
        response = Client().get(url)
        assert response.status_code == 302 and "/desk/connexion/" in response["Location"], url


def test_practice_staff_get_404_everywhere(urls):
    cast, found = urls
    client = Client()
    factories.login_verified(client, factories.staff(cast.clients[0], Membership.Role.SECRETARY))
    for url in found:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url


def test_another_secretariats_operator_gets_404_on_our_calls_and_statements(urls):
    cast, found = urls
    client = Client()
    factories.login_verified(client, cast.outsider.user)
    ours = [u for u in found if "/appel/" in u or "/facturation/" in u]
    assert len(ours) >= 10
    for url in ours:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    call = QueuedCall.objects.get()
    assert call.status == QueuedCall.Status.ON_CALL and call.taken_by == cast.alice


def test_the_queue_and_wallboard_of_another_secretariat_show_only_its_calls(urls):
    cast, _ = urls
    client = Client()
    factories.login_verified(client, cast.outsider.user)
    for name in ("console", "queue", "wallboard", "wallboard_live"):
        html = client.get(reverse(f"secretariat:{name}")).content.decode()
        assert "Cabinet des Tilleuls" not in html and "Alice" not in html, name
