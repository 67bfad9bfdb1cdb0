"""Two remote-secretariat operators in two browsers and five simultaneous calls across three
practices (issue 7): each call is taken by exactly one operator, the screen pop shows the
calling practice, and a booking made by an operator shows in that practice's desk agenda."""

import contextlib
import datetime as dt
import re

import pytest
from django.db import connection

from accueil.directory.models import Membership
from accueil.reception import services as reception
from accueil.secretariat import services
from accueil.secretariat import views as console_views
from accueil.secretariat.models import Operator, QueuedCall
from tests import factories
from tests.browser.conftest import sign_in
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import PASSWORD, at, with_fallback

pytestmark = pytest.mark.django_db(transaction=True)

NOW = at(MONDAY, 9, 1)
TAKE = "Prendre l'appel suivant"


@pytest.fixture
def cast(monkeypatch):
    monkeypatch.setattr(console_views, "_now", lambda: NOW)
    built = secretariat_cast.build()
    # Five calls at once across the three practices: two handed over by the virtual
    # receptionist, three dialled directly.
    for org, caller in ((built.clients[0], "+33611111111"), (built.clients[1], "+33622222222")):
        with_fallback(org)
        call = reception.start_call(to=org.phone, from_=caller, now=at(MONDAY, 9)).call
        reception.take_turn(call.id, "je voudrais parler à une vraie personne", now=at(MONDAY, 9))
    for i, contract in enumerate((built.contracts[2], built.contracts[0], built.contracts[1])):
        services.enqueue(
            contract,
            source=QueuedCall.Source.DIRECT,
            caller_number=f"+3363333333{i}",
            now=at(MONDAY, 9, 0, 10 + i),
        )
    Operator.objects.update(status=Operator.Status.OFFLINE)
    return built


def log_in(page, user) -> None:
    page.goto("/desk/connexion/?next=/console/")
    sign_in(page, user, PASSWORD)
    page.get_by_role("heading", name=re.compile("^Console")).wait_for()


def screen_pop_practice(page) -> tuple[QueuedCall, str]:
    page.get_by_role("heading", name=re.compile("^Appel · ")).wait_for()
    public_id = re.search(r"/appel/([0-9a-f-]{36})/", page.url).group(1)
    heading = page.get_by_role("heading", name=re.compile("^Appel · ")).inner_text()
    return QueuedCall.objects.select_related("client").get(public_id=public_id), heading


def finish(page, outcome="informed") -> None:
    page.get_by_label("Issue de l'appel").select_option(outcome)
    page.get_by_label("Note de fin d'appel").fill("Renseignement donné.")
    page.get_by_role("button", name="Terminer l'appel").click()
    page.get_by_text("Appel terminé.").wait_for()


def test_two_operators_share_five_calls_and_a_booking_reaches_the_desk(new_page, cast):
    alice, bruno = new_page(), new_page()
    log_in(alice, cast.alice.user)
    log_in(bruno, cast.bruno.user)
    alice.get_by_role("heading", name="File d'attente (5)").wait_for()
    for page in (alice, bruno):
        page.get_by_role("button", name="Disponible").click()

    taken: dict[str, list[QueuedCall]] = {"alice": [], "bruno": []}
    booked_in = None
    for _ in range(3):
        # Both click "prendre l'appel suivant" at the same moment (PostgreSQL). The in-memory
        # SQLite of the test run refuses concurrent writers ("table is locked", a shared-cache
        # limit the file database does not have): there the clicks follow each other.
        with contextlib.ExitStack() as both:
            for page in (alice, bruno):
                arrived = page.expect_navigation()
                if connection.vendor == "postgresql":
                    both.enter_context(arrived)
                    page.get_by_role("button", name=TAKE).click(no_wait_after=True)
                else:
                    with arrived:
                        page.get_by_role("button", name=TAKE).click()
        for page in (alice, bruno):
            if "/appel/" not in page.url:
                page.get_by_text("Aucun appel en attente pour vous.").wait_for()
                continue
            call, heading = screen_pop_practice(page)
            assert heading == f"Appel · {call.client.name}"  # the right practice on screen
            assert page.get_by_role("heading", name="Consignes du cabinet").is_visible()
            who = "alice" if page is alice else "bruno"
            taken[who].append(call)
            if booked_in is None and who == "alice":
                booked_in = book_for_a_new_patient(alice, cast, call)
            finish(page)

    alice_ids = {c.id for c in taken["alice"]}
    bruno_ids = {c.id for c in taken["bruno"]}
    assert not alice_ids & bruno_ids  # never the same call twice
    assert alice_ids | bruno_ids == set(QueuedCall.objects.values_list("id", flat=True))
    assert len(alice_ids) + len(bruno_ids) == 5
    for call in QueuedCall.objects.select_related("taken_by"):
        expected = cast.alice if call.id in alice_ids else cast.bruno
        assert (call.status, call.taken_by) == (QueuedCall.Status.DONE, expected)

    # The practice's desk sees the operator's booking in its agenda.
    org = booked_in
    desk = new_page()
    secretary = factories.staff(org, Membership.Role.SECRETARY)
    desk.goto("/desk/connexion/")
    sign_in(desk, secretary, PASSWORD)
    desk.get_by_role("heading", name=re.compile("^Agenda")).wait_for()
    desk.goto(f"/desk/{org.slug}/agenda/?jour={MONDAY.isoformat()}")
    desk.get_by_text("CARON Inès").wait_for()


def book_for_a_new_patient(page, cast, call):
    org = call.client
    practitioner, motif = cast.practitioners[org.id], cast.motifs[org.id]
    page.get_by_label("Praticien", exact=True).select_option(str(practitioner.id))
    page.get_by_label("Motif", exact=True).select_option(str(motif.id))
    page.get_by_label("Jour", exact=True).fill(MONDAY.isoformat())
    page.get_by_role("button", name="Voir les créneaux").click()
    page.get_by_role("radio", name="10:00").check()  # the slots came through htmx
    page.get_by_role("radio", name="Nouveau patient").check()
    page.get_by_label("Prénom", exact=True).fill("Inès")
    page.get_by_label("Nom", exact=True).fill("Caron")
    page.get_by_label("Date de naissance", exact=True).fill("1975-03-02")
    page.get_by_label("Téléphone", exact=True).fill("06 11 22 33 44")
    page.get_by_role("button", name="Enregistrer le rendez-vous").click()
    page.get_by_text("Rendez-vous enregistré le 04/01/2027 à 10:00.").wait_for()
    assert dt.date(2027, 1, 4) == MONDAY
    return org
