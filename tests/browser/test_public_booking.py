"""A patient on the public site, in a real browser (issue 4, scenarios 1, 4 and 5)."""

import re

import pytest

from accueil.booking.models import Appointment, AppointmentEvent, Channel, Status
from accueil.reception import services as reception
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cabinet():
    org, p, m = factories.agenda()
    org.phone = "03 53 01 20 14"
    org.save()
    sheet = reception.current_sheet(org)[1]
    sheet["motifs"] = [{"motif": m.name, "instructions": "Apportez votre carte Vitale."}]
    reception.save_sheet(org, sheet)
    return org, p, m


def open_week(page, org, practitioner):
    """From the home page to the practitioner's week, as a patient clicks through."""
    page.goto("/")
    page.get_by_label("Nom, profession ou motif").fill("médecin")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=re.compile("^Voir les horaires")).first.click()
    page.get_by_role("heading", name="Choisissez un horaire").wait_for()


def fill_identity(page, first_name="Jeanne", last_name="Lefèvre"):
    page.get_by_label("Prénom", exact=True).fill(first_name)
    page.get_by_label("Nom", exact=True).fill(last_name)
    page.get_by_label("Date de naissance", exact=True).fill("12/07/1984")
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_role("checkbox", name=re.compile("^J'accepte")).check()


def test_book_confirm_then_move_and_cancel_from_the_manage_link(new_page, cabinet):
    org, practitioner, motif = cabinet
    page = new_page()
    open_week(page, org, practitioner)
    # The week after, through HTMX, and back (the URL follows).
    page.get_by_role("link", name="Semaine suivante").click()
    page.get_by_role("heading", name="Semaine du 11 janvier au 17 janvier").wait_for()
    assert "semaine=2027-01-11" in page.url
    page.get_by_role("link", name="Semaine précédente").click()
    page.get_by_role("heading", name="Semaine du 4 janvier au 10 janvier").wait_for()

    page.get_by_role("link", name="lundi 4 janvier 2027 à 9 h 20").click()
    fill_identity(page)
    page.get_by_role("button", name="Confirmer le rendez-vous").click()

    page.get_by_role("heading", name="Votre rendez-vous est confirmé").wait_for()
    assert page.get_by_text("Lundi 4 janvier 2027 à 9 h 20").first.is_visible()
    assert page.get_by_text("Apportez votre carte Vitale.").is_visible()
    page.locator("a.link-box").click()

    page.get_by_role("heading", name="Votre rendez-vous", exact=True).wait_for()
    page.get_by_role("link", name="Déplacer le rendez-vous").click()
    page.get_by_role("link", name="lundi 4 janvier 2027 à 10 h", exact=True).click()
    page.get_by_role("button", name="Déplacer à ce nouvel horaire").click()
    page.get_by_text("Votre rendez-vous est déplacé au lundi 4 janvier 2027 à 10 h.").wait_for()

    page.get_by_text("Annuler le rendez-vous").click()
    page.get_by_label("Raison de l'annulation (facultative)").fill("Empêchement")
    page.get_by_role("button", name="Confirmer l'annulation").click()
    page.get_by_text("Votre rendez-vous est annulé.").wait_for()
    assert page.get_by_text("Vous avez annulé ce rendez-vous").is_visible()

    appointment = Appointment.objects.get()
    assert appointment.status == Status.CANCELLED_BY_PATIENT
    assert appointment.cancel_reason == "Empêchement"
    assert list(appointment.events.values_list("kind", "channel")) == [
        (AppointmentEvent.Kind.BOOKED, Channel.WEB),
        (AppointmentEvent.Kind.MOVED, Channel.WEB),
        (AppointmentEvent.Kind.CANCELLED, Channel.WEB),
    ]


def test_same_slot_from_two_browsers_one_wins_the_other_is_told_kindly(new_page, cabinet):
    org, practitioner, motif = cabinet
    first, second = new_page(), new_page()
    for page in (first, second):
        open_week(page, org, practitioner)
        page.get_by_role("link", name="lundi 4 janvier 2027 à 9 h", exact=True).click()
        fill_identity(page, first_name="Jeanne" if page is first else "Paul")
    first.get_by_role("button", name="Confirmer le rendez-vous").click()
    first.get_by_role("heading", name="Votre rendez-vous est confirmé").wait_for()

    second.get_by_role("button", name="Confirmer le rendez-vous").click()
    alert = second.get_by_role("alert").first
    alert.wait_for()
    assert "vient d'être réservé par une autre personne" in alert.inner_text()
    # What Paul typed is still there; he picks another time and confirms.
    assert second.get_by_label("Prénom", exact=True).input_value() == "Paul"
    second.get_by_role("radio", name="lundi 4 janvier à 9 h 20").check()
    second.get_by_role("button", name="Confirmer le rendez-vous").click()
    second.get_by_role("heading", name="Votre rendez-vous est confirmé").wait_for()

    booked = dict(Appointment.objects.values_list("patient__first_name", "start__minute"))
    assert booked == {"Jeanne": 0, "Paul": 20}


def test_a_phone_sized_screen_completes_a_booking(new_page, cabinet):
    org, practitioner, motif = cabinet
    page = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    open_week(page, org, practitioner)
    slot = page.get_by_role("link", name="lundi 4 janvier 2027 à 9 h", exact=True)
    slot.scroll_into_view_if_needed()
    slot.tap()
    fill_identity(page)
    page.get_by_role("checkbox", name=re.compile("pour un proche")).check()
    page.get_by_label("Prénom du patient").fill("Léo")
    page.get_by_label("Nom du patient", exact=True).fill("Lefèvre")
    page.get_by_label("Date de naissance du patient").fill("03/09/2019")
    button = page.get_by_role("button", name="Confirmer le rendez-vous")
    button.scroll_into_view_if_needed()
    button.tap()
    page.get_by_role("heading", name="Votre rendez-vous est confirmé").wait_for()
    # Nothing wider than the screen: no horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    appointment = Appointment.objects.select_related("patient__managed_by").get()
    assert appointment.patient.first_name == "Léo"
    assert appointment.patient.managed_by.first_name == "Jeanne"
