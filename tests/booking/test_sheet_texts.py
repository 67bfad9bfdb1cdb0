"""The instruction sheet is the one source of the texts for patients: the public pages, the
confirmation page and messages, the API and the receptionist read its public part, a new
version replaces the old texts at once, and its internal notes never reach a patient."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accueil.booking import public, views
from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel
from accueil.directory.models import Membership
from accueil.directory.services import Audience
from accueil.notify.models import Message
from accueil.reception import services as reception
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW
from tests.reception.scenarios import _merge

pytestmark = pytest.mark.django_db

NOTES = "NOTE INTERNE : le Dr Morel ne veut pas de patients de la clinique Sainte-Anne."
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
    monkeypatch.setattr(views, "_now", lambda: NOW)


@pytest.fixture
def cabinet():
    org, practitioner, motif = factories.agenda()
    org.phone = "03 53 01 20 14"
    org.save()
    write(
        org,
        {
            "topics": {
                "walk_in": "Sans rendez-vous le lundi de 8 h à 8 h 30.",
                "directions": "Rez-de-chaussée, sonnez à l'interphone.",
                "parking": "Parking gratuit derrière la mairie.",
                "fees": "La consultation est à 30 euros, secteur 1.",
                "documents": "Carte Vitale et ordonnances en cours.",
            },
            "motifs": [{"motif": motif.name, "instructions": "Venez à jeun depuis la veille."}],
            "notes": NOTES,
            "fallback": {"number": "03 53 01 80 00"},
        },
    )
    return org, practitioner, motif


def nine(minute: int = 0) -> dt.datetime:
    return wall_clock(MONDAY, dt.time(9, minute))


def write(org, changes):
    sheet = _merge(reception.current_sheet(org)[1], changes)
    return reception.save_sheet(org, sheet)


def text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.replace("&#x27;", "'").replace("&nbsp;", " ").split())


def book(org, practitioner, motif, minute: int = 40) -> Appointment:
    patient = factories.patient(org, phone="+33612345678", email="jeanne@example.org")
    return booking.book(
        practitioner=practitioner,
        motif=motif,
        start=nine(minute),
        patient=patient,
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )


def test_the_practice_page_shows_the_sheets_public_topics_and_motif_instructions(client, cabinet):
    org, _, motif = cabinet
    body = text(client.get(reverse("booking:practice", args=[org.slug])))
    for shown in (
        "Sans rendez-vous le lundi de 8 h à 8 h 30.",
        "Rez-de-chaussée, sonnez à l'interphone.",
        "Parking gratuit derrière la mairie.",
        "La consultation est à 30 euros, secteur 1.",
        "Carte Vitale et ordonnances en cours.",
        f"{motif.name} ",
        "Venez à jeun depuis la veille.",
    ):
        assert shown in body


def test_editing_the_sheet_in_the_desk_changes_the_public_pages_at_once(client, cabinet):
    org, practitioner, motif = cabinet
    owner = factories.staff(org, Membership.Role.OWNER)
    factories.login_verified(client, owner)
    yaml_text = reception.export_sheet_yaml(org)
    edited = (
        yaml_text.replace("Venez à jeun depuis la veille.", "Apportez vos radios du genou.")
        .replace("30 euros, secteur 1", "26,50 euros, tiers payant")
        .replace("Sans rendez-vous le lundi", "Sans rendez-vous le mardi")
    )
    response = client.post(reverse("desk:instructions", args=[org.slug]), {"text": edited})
    assert response.status_code == 302
    client.logout()
    page = text(client.get(reverse("booking:practice", args=[org.slug])))
    assert "Apportez vos radios du genou." in page and "26,50 euros, tiers payant" in page
    assert "Sans rendez-vous le mardi" in page
    for old in ("Venez à jeun", "30 euros, secteur 1", "Sans rendez-vous le lundi"):
        assert old not in page
    start = public.slot_key(nine())
    form = text(client.get(reverse("booking:book", args=[org.slug, practitioner.id, motif.id])
                           + f"?creneau={start}"))  # fmt: skip
    assert "Apportez vos radios du genou." in form and "Venez à jeun" not in form


def test_confirmation_page_and_messages_carry_the_sheets_instructions(client, cabinet):
    org, practitioner, motif = cabinet
    response = client.post(
        reverse("booking:book", args=[org.slug, practitioner.id, motif.id]),
        {**IDENTITY, "creneau": public.slot_key(nine())},
    )
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert "Venez à jeun depuis la veille." in page
    assert "Rez-de-chaussée, sonnez à l'interphone." in page
    appointment = Appointment.objects.get()
    manage = text(
        client.get(
            reverse("booking:manage", args=[appointment.public_id, appointment.manage_token])
        )
    )
    assert "Venez à jeun depuis la veille." in manage
    confirmations = Message.objects.filter(appointment=appointment, kind="confirmation")
    assert {m.channel for m in confirmations} == {"sms", "email"}
    email = confirmations.get(channel="email")
    assert "Venez à jeun depuis la veille." in email.body
    # A new version: the next confirmation says the new text, not the old one.
    write(org, {"motifs": [{"motif": motif.name, "instructions": "Apportez vos radios."}]})
    other = book(org, practitioner, motif)
    body = Message.objects.get(appointment=other, kind="confirmation", channel="email").body
    assert "Apportez vos radios." in body and "Venez à jeun" not in body


def test_internal_notes_never_reach_a_patient(client, cabinet):
    org, practitioner, motif = cabinet
    appointment = book(org, practitioner, motif)
    pages = [
        client.get(reverse("booking:practice", args=[org.slug])),
        client.get(reverse("booking:choose_motif", args=[org.slug, practitioner.id])),
        client.get(reverse("booking:week", args=[org.slug, practitioner.id, motif.id])),
        client.get(
            reverse("booking:book", args=[org.slug, practitioner.id, motif.id])
            + f"?creneau={public.slot_key(nine(20))}"
        ),
        client.get(
            reverse("booking:manage", args=[appointment.public_id, appointment.manage_token])
        ),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "NOTE INTERNE" not in html and "Sainte-Anne" not in html
        assert "03 53 01 80 00" not in html  # nor the fallback number of the operators
    for message in Message.objects.filter(appointment=appointment):
        assert "NOTE INTERNE" not in message.body + message.subject
    texts = reception.patient_texts(org)
    assert NOTES not in repr(texts)
    # The staff do read them.
    assert reception.current_sheet(org)[1]["notes"] == NOTES


def test_the_receptionist_says_the_same_instructions(cabinet):
    org, _, motif = cabinet
    agenda = reception.DjangoAgenda(org)
    assert [(m.id, m.instructions) for m in agenda.motifs] == [
        (motif.id, "Venez à jeun depuis la veille.")
    ]
    sheet = reception.current_sheet(org)[1]
    assert sheet["topics"]["parking"] == "Parking gratuit derrière la mairie."


def test_a_renamed_motif_keeps_its_instructions(client, cabinet):
    from accueil.directory import services as directory

    org, practitioner, motif = cabinet
    directory.save_motif(
        org, motif, name="Consultation de suivi", duration=motif.duration,
        practitioners=[practitioner],
    )  # fmt: skip
    version, sheet = reception.current_sheet(org)
    assert sheet["motifs"][0]["motif"] == "Consultation de suivi"
    body = text(client.get(reverse("booking:practice", args=[org.slug])))
    assert "Consultation de suivi" in body and "Venez à jeun depuis la veille." in body
