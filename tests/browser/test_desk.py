"""The back office in a real browser (issue 4, scenarios 2 and 3)."""

import datetime as dt
import re

import pytest

from accueil.booking.models import Appointment, Channel, Status
from accueil.desk import views as desk_views
from accueil.directory.models import Membership
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_public_booking import fill_identity, open_week
from tests.factories import MONDAY

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "x-demo-pass"  # tests.factories.staff


@pytest.fixture
def cabinet():
    org, practitioner, motif = factories.agenda()
    secretary = factories.staff(org, Membership.Role.SECRETARY)
    return org, practitioner, motif, secretary


def log_in(page, user):
    page.goto("/desk/")
    sign_in(page, user, PASSWORD)
    page.get_by_role("heading", name=re.compile("^Agenda")).wait_for()


def test_secretary_books_by_phone_then_marks_arrived_and_seen(
    new_page, cabinet, live_server, monkeypatch
):
    org, practitioner, motif, secretary = cabinet
    monkeypatch.setattr(desk_views, "_now", lambda: wall_clock(MONDAY, dt.time(9, 5)))
    page = new_page()
    log_in(page, secretary)

    page.get_by_role("link", name="Nouveau rendez-vous").first.click()
    page.get_by_label("Praticien").select_option(str(practitioner.id))
    page.get_by_label("Motif", exact=True).select_option(str(motif.id))
    page.get_by_label("Jour").fill(MONDAY.isoformat())
    page.get_by_role("button", name="Voir les créneaux").click()
    page.get_by_role("radio", name="09:00").check()  # the slots came through htmx
    page.get_by_text("Nouveau patient").click()
    page.get_by_label("Créer ce patient").check()
    page.get_by_label("Prénom", exact=True).fill("Inès")
    page.get_by_label("Nom", exact=True).fill("Caron")
    page.get_by_label("Date de naissance", exact=True).fill("1975-03-02")
    page.get_by_label("Téléphone", exact=True).fill("06 11 22 33 44")
    page.get_by_role("button", name="Enregistrer le rendez-vous").click()
    page.get_by_text("Rendez-vous enregistré.").wait_for()

    page.get_by_role("link", name="Salle d'attente").click()
    row = page.get_by_role("row", name=re.compile("CARON Inès"))
    row.get_by_role("button", name="Arrivé").click()
    page.get_by_role("heading", name="Arrivés (1)").wait_for()
    page.get_by_role("row", name=re.compile("CARON Inès")).get_by_role("button", name="Vu").click()
    page.get_by_role("heading", name="Arrivés (0)").wait_for()

    appointment = Appointment.objects.get()
    assert (appointment.channel, appointment.status) == (Channel.DESK, Status.SEEN)
    assert list(appointment.events.values_list("to_status", flat=True)) == [
        Status.BOOKED,
        Status.ARRIVED,
        Status.SEEN,
    ]


def test_a_web_booking_appears_in_the_open_agenda_within_5_seconds(new_page, cabinet):
    org, practitioner, motif, secretary = cabinet
    desk = new_page()
    log_in(desk, secretary)
    desk.goto(f"/desk/{org.slug}/agenda/?jour={MONDAY.isoformat()}")
    desk.get_by_text("Pas de consultation").or_(desk.locator(".lane")).first.wait_for()
    assert desk.get_by_text("LEFÈVRE").count() == 0

    patient = new_page()
    open_week(patient, org, practitioner)
    patient.get_by_role("link", name="lundi 4 janvier 2027 à 9 h", exact=True).click()
    fill_identity(patient)
    patient.get_by_role("button", name="Confirmer le rendez-vous").click()
    patient.get_by_role("heading", name="Votre rendez-vous est confirmé").wait_for()

    # No reload: the grid polls its change stamp every 4 s.
    desk.get_by_text("LEFÈVRE Jeanne").wait_for(timeout=5_000)
