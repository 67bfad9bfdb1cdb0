"""The public booking site through its views, as a patient uses it (no account)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from accueil.booking import public, views
from accueil.booking import services as booking
from accueil.booking.models import Appointment, AppointmentEvent, Channel, Status
from accueil.directory.models import Motif
from accueil.directory.services import Audience
from accueil.patients.models import Patient
from accueil.reception import services as reception
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

IDENTITY = {
    "first_name": "Jeanne",
    "last_name": "Lefèvre",
    "birth_date": "12/07/1984",
    "phone": "06 12 34 56 78",
    "email": "jeanne@example.org",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """Friday 1 January 2027, 10:00 in Paris (a public holiday); slots from Monday 4."""
    monkeypatch.setattr(views, "_now", lambda: NOW)


@pytest.fixture
def cabinet(db):
    """A GP open Monday-Friday 9:00-12:00 (factories.agenda), with the practice's details.
    (The `practice` cast's staff logins are not needed here: the public has none.)"""
    org, p, m = factories.agenda()
    practice = {"organisation": org, "practitioner": p, "motif": m}
    org.phone = "03 53 01 20 14"
    org.save()
    # The texts for patients are in the instruction sheet (docs/decisions/0014).
    sheet = reception.current_sheet(org)[1]
    sheet["topics"].update(
        walk_in="Sans rendez-vous le lundi de 8 h à 8 h 30.",
        directions="Rez-de-chaussée, sonnez à l'interphone.",
    )
    sheet["motifs"] = [{"motif": m.name, "instructions": "Apportez votre carte Vitale."}]
    reception.save_sheet(org, sheet)
    return practice


def at(minute_of_day: int, day: dt.date = MONDAY) -> dt.datetime:
    return wall_clock(day, dt.time(minute_of_day // 60, minute_of_day % 60))


def nine(minute: int = 0) -> dt.datetime:
    return at(9 * 60 + minute)


def week_url(practice, **params) -> str:
    org, p, m = practice["organisation"], practice["practitioner"], practice["motif"]
    url = reverse("booking:week", args=[org.slug, p.id, m.id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def book_url(practice, start: dt.datetime | None = None) -> str:
    org, p, m = practice["organisation"], practice["practitioner"], practice["motif"]
    url = reverse("booking:book", args=[org.slug, p.id, m.id])
    return url + (f"?creneau={public.slot_key(start)}" if start else "")


def post_booking(client, practice, start, **fields):
    data = {**IDENTITY, "creneau": public.slot_key(start), **fields}
    return client.post(book_url(practice), {k: v for k, v in data.items() if v is not None})


def book_directly(practice, start, **kw) -> Appointment:
    return booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=start,
        patient=kw.pop("patient", None) or factories.patient(practice["organisation"]),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
        **kw,
    )


def manage_url(appointment, name="booking:manage") -> str:
    return reverse(name, args=[appointment.public_id, appointment.manage_token])


def text(response) -> str:
    """The page's text, tags removed and spaces collapsed, for reading French sentences."""
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.replace("&#x27;", "'").replace("&nbsp;", " ").split())


# Search and practice pages -------------------------------------------------------------------


def test_home_lists_practitioners_with_their_next_slot(client, cabinet):
    page = client.get(reverse("booking:home"))
    assert page.status_code == 200
    body = text(page)
    assert cabinet["practitioner"].display_name in body
    assert "Lundi 4 janvier à 9 h" in body
    assert cabinet["organisation"].name in body
    assert page["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    ("query", "place", "found"),
    [
        ("medecin generaliste", "", True),  # accents and case do not matter
        ("MORE", "", True),  # part of the name
        ("consultation", "lille", True),  # a motif, a town
        ("", "59", True),  # the start of a postcode
        ("kinésithérapeute", "", False),
        ("", "Abbeville", False),
    ],
)
def test_search_by_name_profession_motif_and_place(client, cabinet, query, place, found):
    page = client.get(reverse("booking:home"), {"q": query, "lieu": place})
    assert page.status_code == 200
    assert (cabinet["practitioner"].display_name in text(page)) is found
    if not found:
        assert "Aucun soignant ne correspond à cette recherche." in text(page)


def test_staff_only_motifs_and_their_practitioners_stay_off_the_public_site(client, cabinet):
    org = cabinet["organisation"]
    hidden = factories.practitioner(org, last_name="Discret")
    staff_motif = factories.motif(
        org, [hidden], name="Bilan confidentiel", bookable_by=Motif.BookableBy.STAFF
    )
    factories.period(hidden, [staff_motif])
    assert "Discret" not in text(client.get(reverse("booking:home")))
    assert "Bilan confidentiel" not in text(
        client.get(reverse("booking:practice", args=[org.slug]))
    )
    url = reverse("booking:week", args=[org.slug, hidden.id, staff_motif.id])
    assert client.get(url).status_code == 404


def test_practice_page_shows_address_access_hours_walk_in_and_instructions(client, cabinet):
    org = cabinet["organisation"]
    page = client.get(reverse("booking:practice", args=[org.slug]))
    assert page.status_code == 200
    body = text(page)
    for expected in (
        "12 rue des Lilas",
        "59000 Lille",
        "Rez-de-chaussée, sonnez à l'interphone.",
        "03 53 01 20 14",
        "Consultations sans rendez-vous",
        "Sans rendez-vous le lundi de 8 h à 8 h 30.",
        "lundi 9 h – 12 h",
        "vendredi 9 h – 12 h",
        "Apportez votre carte Vitale.",
        cabinet["practitioner"].display_name,
    ):
        assert expected in body, expected
    assert "samedi" not in body  # closed at weekends: not listed


def test_site_page_by_slug_and_unknown_slugs(client, cabinet):
    org = cabinet["organisation"]
    site = cabinet["practitioner"].sites.get()
    assert site.slug == "lille"
    page = client.get(reverse("booking:site", args=[org.slug, site.slug]))
    assert page.status_code == 200
    assert site.name in text(page)
    assert client.get(reverse("booking:site", args=[org.slug, "ailleurs"])).status_code == 404
    assert client.get(reverse("booking:practice", args=["inconnu"])).status_code == 404


def test_choose_a_motif(client, cabinet):
    org, p = cabinet["organisation"], cabinet["practitioner"]
    page = client.get(reverse("booking:choose_motif", args=[org.slug, p.id]))
    assert page.status_code == 200
    assert week_url(cabinet) in page.content.decode()


# Week of slots -------------------------------------------------------------------------------


def test_week_opens_on_the_first_free_slot_with_french_day_names(client, cabinet):
    page = client.get(week_url(cabinet))
    assert page.status_code == 200
    body = text(page)
    assert "Semaine du 4 janvier au 10 janvier" in body
    for day in ("Lundi 4 janvier", "Mardi 5 janvier", "Dimanche 10 janvier"):
        assert day in body
    html = page.content.decode()
    assert book_url(cabinet, nine()) in html
    assert 'aria-label="lundi 4 janvier 2027 à 9 h"' in html
    assert "semaine=2027-01-11" in html  # next week
    assert "semaine=2026-12-28" in html  # the current week, before


def test_an_empty_week_offers_the_first_available_jump(client, cabinet):
    page = client.get(week_url(cabinet, semaine="2026-12-28"))
    body = text(page)
    assert "Semaine du 28 décembre au 3 janvier" in body
    assert "Premier créneau disponible : lundi 4 janvier 2027 à 9 h" in body
    assert "Semaine précédente" not in body  # nothing is bookable before this week
    assert "semaine=2027-01-04" in page.content.decode()


def test_htmx_gets_only_the_week_fragment(client, cabinet):
    full = client.get(week_url(cabinet, semaine="2027-01-11"))
    partial = client.get(week_url(cabinet, semaine="2027-01-11"), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html and "<html" in full.content.decode()
    assert html.lstrip().startswith('<section id="semaine"')
    assert "Semaine du 11 janvier au 17 janvier" in text(partial)
    assert "autofocus" in html  # keyboard users land on the new week
    assert "HX-Request" in partial["Vary"]


def test_a_fully_booked_motif_says_so_and_gives_the_phone(client, cabinet):
    org, p = cabinet["organisation"], cabinet["practitioner"]
    lonely = factories.motif(org, [p], name="Vaccin")  # in no opening period
    page = client.get(reverse("booking:week", args=[org.slug, p.id, lonely.id]))
    assert "Aucun créneau libre en ligne pour ce motif" in text(page)
    assert "03 53 01 20 14" in text(page)


# Booking -------------------------------------------------------------------------------------


def test_booking_form_shows_the_slot_and_the_place(client, cabinet):
    page = client.get(book_url(cabinet, nine()))
    assert page.status_code == 200
    body = text(page)
    assert "Lundi 4 janvier 2027 à 9 h" in body
    assert "12 rue des Lilas, 59000 Lille" in body
    assert "Je prends rendez-vous pour un proche" in body
    assert "J'accepte que ces informations soient enregistrées par" in body
    assert page["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_booking_goes_through_book_and_confirms_in_french(client, cabinet):
    response = post_booking(client, cabinet, nine(20))
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:confirmation", args=[appointment.public_id])
    assert appointment.start == nine(20)
    assert appointment.channel == Channel.WEB
    assert appointment.patient.last_name == "Lefèvre"
    assert appointment.patient.phone == "+33612345678"
    assert list(appointment.events.values_list("kind", "channel")) == [
        (AppointmentEvent.Kind.BOOKED, Channel.WEB)
    ]
    page = client.get(response["Location"])
    body = text(page)
    assert "Votre rendez-vous est confirmé" in body
    assert "Lundi 4 janvier 2027 à 9 h 20" in body
    assert "12 rue des Lilas, 59000 Lille" in body
    assert "Rez-de-chaussée, sonnez à l'interphone." in body
    assert "Apportez votre carte Vitale." in body
    assert "http://testserver" + manage_url(appointment) in page.content.decode()
    # Another browser (no session) cannot read the confirmation.
    assert Client().get(response["Location"]).status_code == 404


def test_no_patient_data_in_any_url(client, cabinet):
    response = post_booking(client, cabinet, nine())
    location = response["Location"]
    for secret in ("Jeanne", "Lef", "0612", "1984", "example.org"):
        assert secret not in location


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Ce champ est obligatoire."),
        ({"birth_date": "31/02/1990"}, "birth_date", "Saisissez la date au format JJ/MM/AAAA"),
        ({"birth_date": "12/07/2030"}, "birth_date", "La date de naissance est dans le futur."),
        ({"phone": "12"}, "phone", "Numéro de téléphone invalide."),
        ({"phone": "+44 20 7946 0958"}, "phone", "Seuls les numéros français sont acceptés."),
        ({"email": "jeanne@"}, "email", "Adresse e-mail invalide."),
        ({"consent": None}, "consent", "Votre accord est nécessaire pour prendre rendez-vous."),
    ],
)
def test_invalid_input_gives_french_messages_and_writes_nothing(
    client, cabinet, fields, field, message
):
    response = post_booking(client, cabinet, nine(), **fields)
    assert response.status_code == 200
    assert message in text(response)
    assert response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Appointment.objects.exists()
    assert not Patient.objects.exists()


def test_a_parent_books_for_a_child(client, cabinet):
    response = post_booking(
        client,
        cabinet,
        nine(),
        for_relative="on",
        relative_first_name="Léo",
        relative_last_name="Lefèvre",
        relative_birth_date="03/09/2019",
    )
    assert response.status_code == 302
    appointment = Appointment.objects.select_related("patient__managed_by").get()
    child, parent = appointment.patient, appointment.patient.managed_by
    assert (child.first_name, child.birth_date) == ("Léo", dt.date(2019, 9, 3))
    assert (parent.first_name, parent.birth_date) == ("Jeanne", dt.date(1984, 7, 12))
    assert child.phone == parent.phone == "+33612345678"
    page = text(client.get(response["Location"]))
    assert "Léo Lefèvre" in page and "pris par Jeanne Lefèvre" in page


def test_relative_fields_are_required_only_for_a_relative(client, cabinet):
    response = post_booking(client, cabinet, nine(), for_relative="on")
    form = response.context["form"]
    assert set(form.errors) == {"relative_first_name", "relative_last_name", "relative_birth_date"}
    assert not Appointment.objects.exists()
    future_child = post_booking(
        client,
        cabinet,
        nine(),
        for_relative="on",
        relative_first_name="Léo",
        relative_last_name="Lefèvre",
        relative_birth_date="03/09/2030",
    )
    # The service's message about the patient lands on the relative's field.
    assert future_child.context["form"].errors["relative_birth_date"] == [
        "La date de naissance est dans le futur."
    ]
    assert not Patient.objects.exists()


def test_slot_taken_meanwhile_keeps_the_form_and_offers_fresh_slots(client, cabinet):
    form_page = client.get(book_url(cabinet, nine()))
    assert form_page.status_code == 200
    book_directly(cabinet, nine())  # someone else, between display and submit
    response = post_booking(client, cabinet, nine())
    assert response.status_code == 409
    body = text(response)
    assert "Ce créneau vient d'être réservé par une autre personne." in body
    html = response.content.decode()
    for typed in ('value="Jeanne"', 'value="Lefèvre"', 'value="12/07/1984"', 'value="06 12 34'):
        assert typed in html, typed
    assert f'value="{public.slot_key(nine(20))}"' in html  # fresh slots of that day
    assert f'value="{public.slot_key(nine())}"' not in html
    assert "Lundi 4 janvier" in body and "Mardi 5 janvier" in body  # and of the week
    assert Appointment.objects.count() == 1
    retry = post_booking(client, cabinet, nine(20))
    assert retry.status_code == 302
    assert Appointment.objects.filter(start=nine(20), channel=Channel.WEB).exists()


def test_a_slot_gone_before_the_form_opens_offers_others_at_once(client, cabinet):
    book_directly(cabinet, nine())
    page = client.get(book_url(cabinet, nine()))
    assert page.status_code == 200
    assert "Ce créneau n'est plus disponible." in text(page)
    assert f'value="{public.slot_key(nine(20))}"' in page.content.decode()


def test_a_double_submit_shows_the_booking_already_made(client, cabinet):
    first = post_booking(client, cabinet, nine())
    second = post_booking(client, cabinet, nine())
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Appointment.objects.count() == 1


def test_a_made_up_or_missing_slot_asks_to_choose_again(client, cabinet):
    off_grid = post_booking(client, cabinet, nine(7))
    assert off_grid.status_code == 200
    assert "Cet horaire ne correspond à aucun créneau." in text(off_grid)
    missing = client.post(book_url(cabinet), IDENTITY)
    assert "Choisissez un horaire parmi les créneaux libres." in text(missing)
    assert not Appointment.objects.exists()


def test_csrf_is_enforced(cabinet):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(book_url(cabinet), {**IDENTITY, "creneau": public.slot_key(nine())})
    assert response.status_code == 403
    assert "Cette page a expiré" in text(response)
    assert not Appointment.objects.exists()


# Manage link ---------------------------------------------------------------------------------


def test_manage_page_is_private_and_unframeable(client, cabinet):
    appointment = book_directly(cabinet, nine())
    page = client.get(manage_url(appointment))
    assert page.status_code == 200
    body = text(page)
    assert "Lundi 4 janvier 2027 à 9 h" in body
    assert "Déplacer le rendez-vous" in body and "Annuler le rendez-vous" in body
    assert "no-store" in page["Cache-Control"]
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Robots-Tag"] == "noindex, nofollow"


def test_wrong_token_unknown_id_and_expired_link_get_the_same_404(client, cabinet, monkeypatch):
    appointment = book_directly(cabinet, nine())
    wrong = client.get(reverse("booking:manage", args=[appointment.public_id, "x" * 32]))
    other = Appointment(public_id="00000000-0000-4000-8000-000000000000")
    unknown = client.get(
        reverse("booking:manage", args=[other.public_id, appointment.manage_token])
    )
    monkeypatch.setattr(views, "_now", lambda: appointment.end + dt.timedelta(days=31))
    expired = client.get(manage_url(appointment))
    assert wrong.status_code == unknown.status_code == expired.status_code == 404
    assert wrong.content == unknown.content == expired.content
    assert "Cette page n'existe pas ou plus" in text(wrong)
    bad = [appointment.public_id, "x" * 32]
    assert client.post(reverse("booking:cancel", args=bad)).status_code == 404
    assert client.get(reverse("booking:move", args=bad)).status_code == 404
    assert client.post(reverse("booking:move_confirm", args=bad)).status_code == 404


def test_cancel_with_a_reason(client, cabinet):
    appointment = book_directly(cabinet, nine())
    assert client.get(manage_url(appointment, "booking:cancel")).status_code == 405
    response = client.post(manage_url(appointment, "booking:cancel"), {"reason": "Enfant malade"})
    assert response.status_code == 302
    assert response["Location"] == manage_url(appointment)
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED_BY_PATIENT
    assert appointment.cancel_reason == "Enfant malade"
    event = appointment.events.get(kind=AppointmentEvent.Kind.CANCELLED)
    assert (event.channel, event.note) == (Channel.WEB, "Enfant malade")
    page = text(client.get(manage_url(appointment)))
    assert "Votre rendez-vous est annulé." in page
    assert "Vous avez annulé ce rendez-vous le vendredi 1er janvier 2027 à 10 h" in page
    assert "Déplacer le rendez-vous" not in page


def test_move_to_another_free_slot(client, cabinet):
    appointment = book_directly(cabinet, nine())
    week = client.get(manage_url(appointment, "booking:move"))
    assert week.status_code == 200
    html = week.content.decode()
    assert "votre rendez-vous actuel" in html
    confirm_url = manage_url(appointment, "booking:move_confirm")
    assert f"{confirm_url}?creneau={public.slot_key(nine(20))}" in html
    confirm = client.get(f"{confirm_url}?creneau={public.slot_key(nine(40))}")
    body = text(confirm)
    assert "Lundi 4 janvier 2027 à 9 h" in body and "Lundi 4 janvier 2027 à 9 h 40" in body
    moved = client.post(confirm_url, {"creneau": public.slot_key(nine(40))})
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == nine(40)
    event = appointment.events.get(kind=AppointmentEvent.Kind.MOVED)
    assert (event.channel, event.previous_start) == (Channel.WEB, nine())
    page = text(client.get(manage_url(appointment)))
    assert "Votre rendez-vous est déplacé au lundi 4 janvier 2027 à 9 h 40." in page


def test_move_to_a_slot_taken_meanwhile_keeps_the_appointment(client, cabinet):
    appointment = book_directly(cabinet, nine())
    confirm_url = manage_url(appointment, "booking:move_confirm")
    assert client.get(f"{confirm_url}?creneau={public.slot_key(nine(40))}").status_code == 200
    book_directly(cabinet, nine(40))
    response = client.post(confirm_url, {"creneau": public.slot_key(nine(40))})
    assert response.status_code == 409
    assert "Ce créneau vient d'être réservé par une autre personne." in text(response)
    appointment.refresh_from_db()
    assert appointment.start == nine() and appointment.status == Status.BOOKED


def test_past_and_cancelled_appointments_are_read_only(client, cabinet, monkeypatch):
    appointment = book_directly(cabinet, nine())
    monkeypatch.setattr(views, "_now", lambda: nine(30))
    page = text(client.get(manage_url(appointment)))
    assert "Ce rendez-vous est passé" in page
    assert "Annuler le rendez-vous" not in page
    client.post(manage_url(appointment, "booking:cancel"))
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED
    assert "Ce rendez-vous est passé." in text(client.get(manage_url(appointment)))
    assert client.get(manage_url(appointment, "booking:move")).status_code == 302

    monkeypatch.setattr(views, "_now", lambda: NOW)
    other = book_directly(cabinet, nine(40))
    booking.cancel(other, by_patient=False, channel=Channel.DESK, reason="Absence", now=NOW)
    page = text(client.get(manage_url(other)))
    assert "Le cabinet a annulé ce rendez-vous" in page and "Absence" in page
    assert "Déplacer le rendez-vous" not in page
