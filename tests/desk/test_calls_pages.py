"""The receptionist's desk pages: call log, one call, the simulator, the instruction sheet.

The access sweep (tests/security/test_access_sweep.py) checks the whole cast on every one
of these URLs; here: what they show, what they change, and garbage input.
"""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accueil.booking.models import Appointment, Channel
from accueil.desk.models import StaffMessage
from accueil.directory.models import Membership
from accueil.reception import instructions, services
from accueil.reception.models import Call, InstructionSheet
from tests import factories
from tests.reception.agenda import KNOWN_CALLER, NOW, PHONE, build_practice
from tests.reception.test_desk_services import BOOKING, HOURS, RENEWAL, call

pytestmark = pytest.mark.django_db


@pytest.fixture
def lilas(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    practice = build_practice()
    org = practice.organisation
    org.instruction_sheets.all().delete()  # these tests start from the default sheet
    practice.owner = factories.staff(org, Membership.Role.OWNER, first_name="Anne", last_name="Roy")
    practice.member = factories.staff(org, Membership.Role.SECRETARY)
    return practice


@pytest.fixture
def owner(client, lilas):
    factories.login_verified(client, lilas.owner)
    return client


@pytest.fixture
def member(client, lilas):
    factories.login_verified(client, lilas.member)
    return client


def url(practice, name, *args):
    return reverse(f"desk:{name}", args=[practice.organisation.slug, *args])


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# Call log and one call ----------------------------------------------------------------------


def test_the_log_lists_calls_with_the_number_masked(owner, lilas):
    informed = call(HOURS)
    call(BOOKING, caller="", now=NOW + dt.timedelta(minutes=3))
    html = page(owner.get(url(lilas, "calls")))
    assert "•• •• •• •• 78" in html and "numéro finissant par 78" in html
    assert "06 12 34 56 78" not in html and KNOWN_CALLER not in html
    assert "Numéro masqué" in html
    assert "Renseignement donné" in html and "Rendez-vous pris" in html
    assert "Terminé" in html and "0 s" in html  # the clock is frozen: zero seconds
    assert informed.summary.splitlines()[0] in html
    assert html.index("Rendez-vous pris") < html.index("Renseignement donné")  # newest first
    assert f'href="{url(lilas, "call", informed.id)}"' in html
    assert 'aria-current="page">Appels</a>' in html


def test_the_log_filters_by_outcome_and_day(owner, lilas):
    booked = call(BOOKING)
    informed = call(HOURS, now=NOW + dt.timedelta(days=1))
    html = page(owner.get(url(lilas, "calls"), {"outcome": "booked"}))
    assert str(booked.id) in html and str(informed.id) not in html
    html = page(owner.get(url(lilas, "calls"), {"day": "2027-01-06"}))
    assert str(booked.id) not in html and str(informed.id) in html
    html = page(owner.get(url(lilas, "calls"), {"outcome": "moved"}))
    assert "Aucun appel pour ces critères" in html
    # Garbage filters are reported and ignored, never a 500.
    html = page(owner.get(url(lilas, "calls"), {"outcome": "<b>", "day": "31/02/x\x00"}))
    assert "Saisissez une date valide" in html
    assert str(booked.id) in html and str(informed.id) in html


def test_a_call_shows_transcript_outcomes_summary_and_what_it_left(owner, lilas):
    booked = call(BOOKING)
    html = page(owner.get(url(lilas, "call", booked.id)))
    appointment = Appointment.objects.get()
    assert "je voudrais un rendez-vous avec le docteur lemoine jeudi matin" in html
    assert "Bonjour, ici Maison médicale des Lilas" in html
    assert html.count('class="caller"') == len(BOOKING) and "Standardiste" in html
    assert "Rendez-vous pris" in html and "+33612345678" in html  # in full, to call back
    for line in booked.summary.splitlines():
        assert line.replace("'", "&#x27;") in html
    assert f'href="{url(lilas, "appointment", appointment.public_id)}"' in html
    assert "DUPONT Marie" in html and "Aucun message laissé" in html

    renewal = call(RENEWAL)
    html = page(owner.get(url(lilas, "call", renewal.id)))
    message = StaffMessage.objects.get()
    assert message.body.splitlines()[0].replace("'", "&#x27;") in html
    assert "Message pris" in html and "Aucun rendez-vous pris" in html


def test_another_practices_call_is_404_both_ways(client, lilas):
    theirs = call(HOURS)
    other = factories.organisation(name="Cabinet voisin", phone="03 22 99 99 99")
    factories.site(other)
    outsider = factories.staff(other, Membership.Role.OWNER)
    mine = services.start_desk_call(other, "").call
    factories.login_verified(client, outsider)
    assert client.get(url(lilas, "call", theirs.id)).status_code == 404  # not a member
    other_url = reverse("desk:call", args=[other.slug, theirs.id])
    assert client.get(other_url).status_code == 404  # a member, but not that call
    sim_url = reverse("desk:simulator_call", args=[other.slug, theirs.id])
    assert client.post(sim_url, {"phrase": "allo"}).status_code == 404
    assert Call.objects.get(pk=theirs.id).turn_count == len(HOURS)
    assert client.get(reverse("desk:call", args=[other.slug, mine.id])).status_code == 200
    html = page(client.get(reverse("desk:calls", args=[other.slug])))
    assert str(mine.id) in html and str(theirs.id) not in html


def test_an_unknown_call_id_is_404(owner, lilas):
    assert owner.get(url(lilas, "call", "6f1c2c5e-0000-4000-8000-000000000000")).status_code == 404


# Simulator ----------------------------------------------------------------------------------


def talk(client, practice, call_id, phrase, **headers):
    return client.post(url(practice, "simulator_call", call_id), {"phrase": phrase}, **headers)


def start(client, practice, caller="06 12 34 56 78") -> Call:
    response = client.post(url(practice, "simulator"), {"caller": caller})
    assert response.status_code == 302, response.content.decode()
    call_id = re.search(r"/simulateur/([0-9a-f-]{36})/$", response["Location"]).group(1)
    return Call.objects.get(pk=call_id)


def test_the_simulator_books_an_appointment_end_to_end(member, lilas):
    html = page(member.get(url(lilas, "simulator")))
    assert "Appeler le +33322000000" in html and 'value="06 12 34 56 78"' in html
    assert "sont réels" in html
    simulated = start(member, lilas)
    assert (simulated.channel, simulated.from_number) == ("desk", KNOWN_CALLER)
    html = page(member.get(url(lilas, "simulator_call", simulated.id)))
    assert "Bonjour, ici Maison médicale des Lilas" in html
    assert 'src="/static/desk/simulator.js"' in html and "<script>" not in html
    for phrase in BOOKING[:-1]:  # without JavaScript: POST, then redirect to the call
        response = talk(member, lilas, simulated.id, phrase)
        assert response.status_code == 302
        assert response["Location"] == url(lilas, "simulator_call", simulated.id) + "#controles"
    html = page(member.get(url(lilas, "simulator_call", simulated.id)))
    assert "jeudi 7 janvier" in html and 'name="phrase"' in html
    response = talk(member, lilas, simulated.id, BOOKING[-1])
    html = page(member.get(response["Location"]))
    assert "Appel terminé" in html and "Rendez-vous pris" in html
    assert "Nouvel appel" in html and 'name="phrase"' not in html

    appointment = Appointment.objects.get()
    assert appointment.channel == Channel.PHONE_AGENT
    assert appointment.patient == lilas.patients["dupont"]
    day = timezone.localtime(appointment.start).date()
    agenda = page(member.get(url(lilas, "agenda"), {"jour": day.isoformat()}))
    assert "DUPONT Marie" in agenda
    detail = page(member.get(url(lilas, "call", simulated.id)))
    assert "Simulateur" in detail and url(lilas, "appointment", appointment.public_id) in detail


def test_htmx_gets_only_the_new_turns_and_the_controls(owner, lilas):
    simulated = start(owner, lilas)
    response = owner.post(
        url(lilas, "simulator_call", simulated.id),
        {"phrase": "quels sont vos horaires", "shown": "0"},
        headers={"HX-Request": "true"},
    )
    html = page(response)
    assert "quels sont vos horaires" in html and "lundi" in html
    assert "Bonjour, ici" not in html  # turn 0 is on the page already
    assert 'id="controles" class="controls" hx-swap-oob="true"' in html
    assert 'name="shown" value="1"' in html
    html = page(
        owner.post(
            url(lilas, "simulator_call", simulated.id),
            {"phrase": "non merci au revoir", "shown": "1"},
            headers={"HX-Request": "true"},
        )
    )
    assert "Appel terminé" in html and "Renseignement donné" in html and "Nouvel appel" in html
    # A turn posted on the ended call (another tab) changes nothing and answers calmly.
    late = owner.post(
        url(lilas, "simulator_call", simulated.id),
        {"phrase": "allo", "shown": "2"},
        headers={"HX-Request": "true"},
    )
    assert "Appel terminé" in page(late) and 'class="caller"' not in late.content.decode()
    assert talk(owner, lilas, simulated.id, "allo").status_code == 302
    assert Call.objects.get(pk=simulated.id).turn_count == 2


def test_hanging_up_and_calling_again(owner, lilas):
    simulated = start(owner, lilas)
    owner.post(url(lilas, "simulator_call", simulated.id), {"action": "hangup"})
    simulated.refresh_from_db()
    assert (simulated.status, simulated.outcomes) == ("ended", ["abandoned"])
    html = page(owner.get(url(lilas, "simulator_call", simulated.id)))
    assert "Sans suite" in html and f'name="caller" value="{KNOWN_CALLER}"' in html
    again = start(owner, lilas, caller=KNOWN_CALLER)
    assert again.id != simulated.id and again.from_number == KNOWN_CALLER


def test_simulator_input_errors_are_french_and_never_500(owner, lilas):
    html = page(owner.post(url(lilas, "simulator"), {"caller": "12\x00"}))
    assert "Le caractère nul n’est pas autorisé." in html and not Call.objects.exists()
    html = page(owner.post(url(lilas, "simulator"), {"caller": "12"}))
    assert "Numéro de téléphone invalide." in html and not Call.objects.exists()
    simulated = start(owner, lilas, caller="")
    assert simulated.from_number == ""
    for garbage in ("\x00\x01 allo \ud7ff", "x" * 50_000, ""):
        assert talk(owner, lilas, simulated.id, garbage).status_code == 302
    simulated.refresh_from_db()
    assert simulated.turn_count == 3
    assert all("\x00" not in t.caller_text for t in simulated.turns.all())


def test_the_simulator_explains_when_no_number_leads_to_the_practice(owner, lilas):
    org = lilas.organisation
    org.phone = ""
    org.save()
    org.sites.update(phone="")
    html = page(owner.get(url(lilas, "simulator")))
    assert "Aucun numéro de l'établissement ne mène à la standardiste" in html
    html = page(owner.post(url(lilas, "simulator"), {"caller": ""}))
    assert "Aucun numéro de l'établissement" in html and not Call.objects.exists()


def test_calls_of_other_channels_are_not_typed_into(owner, lilas):
    api_call = services.start_call(to=PHONE, from_=KNOWN_CALLER).call
    assert owner.get(url(lilas, "simulator_call", api_call.id)).status_code == 404
    assert talk(owner, lilas, api_call.id, "allo").status_code == 404
    assert owner.get(url(lilas, "call", api_call.id)).status_code == 200


# Instruction sheet ------------------------------------------------------------------------


def sheet_post(client, practice, text="", **extra):
    return client.post(url(practice, "instructions"), {"text": text, **extra})


def test_the_sheet_page_reads_the_sheet_in_french(member, lilas):
    html = page(member.get(url(lilas, "instructions")))
    assert "Consignes par défaut" in html
    assert "Bonjour, ici Maison médicale des Lilas" in html
    assert "Consultations sans rendez-vous" in html and "Documents à apporter" in html
    assert "12 rue des Lilas, 80000 Amiens" in html and "Notes internes" in html
    assert "Renouvellement d&#x27;ordonnance" in html and "Boîte du secrétariat" in html
    assert "Toujours." in html
    assert "Seul le responsable de l'établissement peut les modifier" in html
    assert 'name="text"' not in html and "Enregistrer une nouvelle version" not in html
    assert 'aria-current="true">Consignes de la standardiste' in html
    settings_html = page(member.get(url(lilas, "settings")))
    assert url(lilas, "instructions") in settings_html


def test_members_cannot_change_the_sheet(member, lilas):
    response = sheet_post(member, lilas, services.export_sheet_yaml(lilas.organisation))
    assert response.status_code == 403
    assert not InstructionSheet.objects.exists()


def test_yaml_round_trip_through_the_page(owner, lilas):
    download = owner.get(url(lilas, "instructions_yaml"))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/yaml; charset=utf-8"
    assert 'filename="consignes-' in download["Content-Disposition"]
    text = download.content.decode()
    edited = text.replace("Je suis l'assistante virtuelle.", "Ici Léa, l'assistante du cabinet.")
    response = sheet_post(owner, lilas, edited, note="Prénom de l'assistante")
    assert response.status_code == 302 and response["Location"] == url(lilas, "instructions")
    html = page(owner.get(response["Location"]))
    assert "Version 1 des consignes enregistrée" in html
    assert (
        "Version 1 du" in html and "par Anne Roy" in html and "Prénom de l&#x27;assistante" in html
    )
    assert "Ici Léa, l&#x27;assistante du cabinet." in html
    downloaded = owner.get(url(lilas, "instructions_yaml")).content.decode()
    assert instructions.from_yaml(downloaded) == instructions.from_yaml(edited)
    # The same text as a file, re-uploaded, is a second version with the same content.
    upload = io.BytesIO(edited.encode())
    upload.name = "consignes.yaml"
    assert sheet_post(owner, lilas, "", file=upload).status_code == 302
    first, second = InstructionSheet.objects.order_by("version")
    assert (second.version, second.data, second.created_by) == (2, first.data, lilas.owner)


def test_a_new_greeting_applies_to_the_next_call(owner, lilas):
    text = services.export_sheet_yaml(lilas.organisation)
    greeting = re.search(r"^greeting: (.*)$", text, re.M).group(1)
    edited = text.replace(greeting, "Cabinet des Lilas bonsoir, que puis-je pour vous ?")
    assert sheet_post(owner, lilas, edited).status_code == 302
    simulated = start(owner, lilas)
    html = page(owner.get(url(lilas, "simulator_call", simulated.id)))
    assert "Cabinet des Lilas bonsoir, que puis-je pour vous ?" in html
    assert simulated.sheet_version == 1
    assert services.start_call(to=PHONE).say.startswith("Cabinet des Lilas bonsoir")


def test_validation_errors_are_shown_next_to_the_text_and_nothing_is_saved(owner, lilas):
    text = services.export_sheet_yaml(lilas.organisation)
    broken = text.replace("fallback:\n  number: ''", "fallback:\n  number: '12'")
    broken += "motifs_typo: []\n"
    assert broken.count("number: '12'") == 1
    html = page(sheet_post(owner, lilas, broken))
    line = broken.splitlines().index("  number: '12'") + 1
    assert f"Ligne {line} · Relais humain › numéro : Numéro de téléphone invalide : 12." in html
    assert "motifs_typo : Rubrique inconnue." in html
    assert "Les consignes n'ont pas été enregistrées" in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_text_error"' in html
    assert "motifs_typo: []" in html  # what was typed is kept
    html = page(sheet_post(owner, lilas, "greeting: x\nmotifs: [{motif: Ostéo, keywords: [dos]}]"))
    assert "Motifs reconnus › n° 1 › motif : Motif inconnu : Ostéo." in html
    assert not InstructionSheet.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ({"text": "   "}, "Collez les consignes"),
        ({"text": "greeting: [oops"}, "YAML illisible"),
        ({"text": "greeting: a\x00b"}, "Le caractère nul n’est pas autorisé."),
        ({"text": "- 1\n- 2"}, "Un objet (clé: valeur) est attendu"),
        ({"text": "[" * 60_000}, "YAML trop imbriqué"),
        ({"text": "greeting: " + "x" * 150_000}, "100000 caractères"),
    ],
)
def test_garbage_text_gets_a_french_error(owner, lilas, body, message):
    html = page(owner.post(url(lilas, "instructions"), body))
    assert message in html
    assert not InstructionSheet.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (bytes(range(256)) * 10, "UTF-8 attendu"),
        (b"greeting: ok\x00\x00", "YAML illisible"),
        (b"greeting: " + b"x" * 150_000, "Fichier trop gros"),
        (b"\xef\xbb\xbfgreeting: 12", "Message d&#x27;accueil : Texte attendu."),
    ],
)
def test_garbage_files_get_a_french_error(owner, lilas, content, message):
    upload = io.BytesIO(content)
    upload.name = "consignes.yaml"
    html = page(owner.post(url(lilas, "instructions"), {"text": "", "file": upload}))
    assert message in html
    assert not InstructionSheet.objects.exists()


def test_a_request_too_big_for_django_is_400_not_500(owner, lilas, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200_000
    response = sheet_post(owner, lilas, "greeting: " + "x" * 300_000)
    assert response.status_code == 400
    assert not InstructionSheet.objects.exists()


def test_versions_are_listed_and_an_old_one_can_be_read(member, lilas):
    org = lilas.organisation
    text = services.export_sheet_yaml(org)
    services.import_sheet_yaml(org, text, actor=lilas.owner, note="Départ")
    services.import_sheet_yaml(org, text.replace("Bonjour, ici", "Bonsoir, ici"))
    html = page(member.get(url(lilas, "instructions")))
    assert "Version 2 du" in html and "en vigueur" in html
    assert url(lilas, "instructions_version", 1) in html and "Départ" in html
    html = page(member.get(url(lilas, "instructions_version", 1)))
    assert "Consignes, version 1" in html and "Bonjour, ici Maison" in html
    assert "la version 2 l'a remplacée" in html
    assert f"{url(lilas, 'instructions_yaml')}?version=1" in html
    old = member.get(url(lilas, "instructions_yaml"), {"version": "1"})
    assert "Bonjour, ici" in old.content.decode() and "-v1.yaml" in old["Content-Disposition"]
    for version in ("3", "0", "abc", "9" * 30):
        assert member.get(url(lilas, "instructions_yaml"), {"version": version}).status_code == 404
    for version in (3, 10**20):
        assert member.get(url(lilas, "instructions_version", version)).status_code == 404
