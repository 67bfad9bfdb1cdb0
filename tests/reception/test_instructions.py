"""Instruction sheets: defaults from the practice's data, validation in French, YAML,
versions, and the next call reading the latest version."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accueil.reception import instructions, services
from accueil.reception.models import InstructionSheet
from tests.reception.agenda import KNOWN_CALLER, NOW, build_practice

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return build_practice()


def test_defaults_come_from_the_organisation(practice):
    practice.organisation.instruction_sheets.all().delete()
    version, sheet = services.current_sheet(practice.organisation)
    assert version == 0
    assert "Maison médicale des Lilas" in sheet["greeting"]
    assert "12 rue des Lilas, 80000 Amiens" in sheet["topics"]["address"]
    assert "le lundi de 9 h à 12 h et de 14 h à 18 h 30" in sheet["topics"]["hours"]
    assert "le mercredi de 9 h à 12 h," in sheet["topics"]["hours"]
    # Texts for patients are written in the sheet, none is made up: only a generic one.
    assert sheet["topics"]["walk_in"] == sheet["topics"]["parking"] == ""
    assert "carte Vitale" in sheet["topics"]["documents"]
    assert sheet["notes"] == "" and sheet["motifs"] == []
    assert [c["key"] for c in sheet["messages"]["categories"]] == [
        "renouvellement", "resultats", "administratif", "autre"
    ]  # fmt: skip


def test_yaml_round_trip_and_versions(practice):
    org = practice.organisation
    text = services.export_sheet_yaml(org)
    assert text.startswith("greeting:")
    edited = text.replace("Je suis l'assistante virtuelle.", "Ici Léa, l'assistante.")
    first = services.import_sheet_yaml(org, edited)
    second = services.import_sheet_yaml(org, edited)
    assert (first.version, second.version) == (2, 3)
    assert services.current_sheet(org) == (3, second.data)
    assert "Ici Léa" in services.current_sheet(org)[1]["greeting"]
    assert InstructionSheet.objects.filter(organisation=org).count() == 3


def test_yaml_is_loaded_safely():
    with pytest.raises(ValidationError) as exc:
        instructions.from_yaml("greeting: !!python/object/apply:os.system ['true']")
    assert "yaml" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        instructions.from_yaml("greeting: [unclosed")
    assert "YAML illisible" in exc.value.message_dict["yaml"][0]


def test_validation_speaks_french_by_field():
    bad = {
        "greeting": "",
        "answering": {"mode": "sometimes", "overflow_seconds": 500},
        "new_patients": [{"accepted": "non"}],
        "motifs": [{"motif": "Consultation"}],
        "topics": {"weather": "beau"},
        "put_through": [{"label": "Pharmacie", "phones": ["12"], "number": ""}],
        "messages": {"renewals": "fax", "categories": [{"key": "Bad Key", "route": "pigeon"}]},
        "fallback": {"number": "pas un numéro"},
        "red_flags": "douleur",
        "colour": "bleu",
    }
    with pytest.raises(ValidationError) as exc:
        instructions.check_sheet(bad)
    errors = exc.value.message_dict
    assert errors["greeting"] == ["Ce champ ne peut pas être vide."]
    assert "always, outside_hours ou overflow" in errors["answering.mode"][0]
    assert "entre 5 et 120" in errors["answering.overflow_seconds"][0]
    assert errors["new_patients.0.accepted"] == ["Oui ou non attendu (true / false)."]
    assert errors["motifs.0.keywords"] == ["Au moins un mot-clé, ou des consignes pour le patient."]
    assert "Sujet inconnu" in errors["topics.weather"][0]
    assert "Numéro de téléphone invalide" in errors["put_through.0.phones.0"][0]
    assert errors["put_through.0.number"] == ["Numéro de téléphone obligatoire."]
    assert "desk, sms ou email" in errors["messages.categories.0.route"][0]
    assert "minuscules" in errors["messages.categories.0.key"][0]
    assert "message ou appointment" in errors["messages.renewals"][0]
    assert "invalide" in errors["fallback.number"][0]
    assert errors["red_flags"] == ["Liste de textes attendue."]
    assert errors["colour"] == ["Rubrique inconnue."]


def test_references_to_the_organisation_are_checked(practice):
    sheet = services.current_sheet(practice.organisation)[1]
    sheet["motifs"] = [{"motif": "Ostéopathie", "keywords": ["dos"]}]
    sheet["new_patients"] = [{"practitioner": "Inconnu", "accepted": False}]
    with pytest.raises(ValidationError) as exc:
        services.save_sheet(practice.organisation, sheet)
    assert "Motif inconnu : Ostéopathie." in exc.value.message_dict["motifs.0.motif"]
    assert "Praticien inconnu" in exc.value.message_dict["new_patients.0.practitioner"][0]


def test_phones_are_normalised_and_desk_hours_checked():
    sheet = instructions.check_sheet(
        {
            "greeting": "Bonjour",
            "fallback": {"number": "03 22 00 00 99"},
            "answering": {
                "mode": "outside_hours",
                "desk_hours": [{"days": [0, 1], "start": "08:00", "end": "12:00"}],
            },
        }
    )
    assert sheet["fallback"]["number"] == "+33322000099"
    assert instructions.desk_answers(sheet, NOW.replace(hour=9)) is True  # Tuesday 9:00
    assert instructions.desk_answers(sheet, NOW.replace(hour=14)) is False
    with pytest.raises(ValidationError) as exc:
        instructions.check_sheet({"greeting": "x", "answering": {"mode": "outside_hours"}})
    assert "answering.desk_hours" in exc.value.message_dict


def test_the_next_call_reads_the_new_version_and_a_call_keeps_its_own(practice):
    org = practice.organisation
    ongoing = services.start_call(to="+33322000000", from_=KNOWN_CALLER, now=NOW)
    sheet = services.current_sheet(org)[1]
    sheet["greeting"] = "Cabinet des Lilas, bonjour, que puis-je faire pour vous ?"
    sheet["topics"]["fees"] = "La consultation est à 30 euros."
    services.save_sheet(org, sheet)
    after = services.start_call(to="+33322000000", from_=KNOWN_CALLER, now=NOW)
    assert after.say == "Cabinet des Lilas, bonjour, que puis-je faire pour vous ?"
    assert "30 euros" in services.take_turn(after.call.id, "c'est combien", now=NOW).say
    assert "30 euros" not in services.take_turn(ongoing.call.id, "c'est combien", now=NOW).say
    assert after.call.sheet_version == 2 and ongoing.call.sheet_version == 1


def test_organisations_are_found_by_any_form_of_their_numbers(practice):
    org = practice.organisation
    for number in ("+33322000000", "03 22 00 00 00", "0322000000", "+33 3 22 00 00 01"):
        assert services.resolve_organisation(number) == org
    assert services.resolve_organisation("+33322000002") is None
    assert services.resolve_organisation("pas un numéro") is None


def test_control_characters_from_a_recogniser_are_dropped(practice):
    call = services.start_call(to="+33322000000", now=NOW).call
    answer = services.take_turn(call.id, "quels sont vos\x00 horaires\x07", now=NOW)
    assert "rendez-vous ont lieu" in answer.say
    assert call.turns.get(index=1).caller_text == "quels sont vos  horaires "


def test_defaults_stay_valid_for_a_practice_with_many_sites():
    facts = instructions.OrganisationFacts(
        name="Centre", addresses=[f"{n} rue de la République, 80000 Amiens" for n in range(60)]
    )
    sheet = instructions.check_sheet(instructions.default_sheet(facts))
    assert len(sheet["topics"]["address"]) <= instructions.MAX_TEXT
    assert sheet["topics"]["address"].endswith("…")
