"""Migration reception 0003: the directory's texts for patients move into the sheet before
directory 0004 drops their columns."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("reception", "0002_call_message_ids"),
    ("directory", "0003_organisation_slug_not_reserved"),
]
AFTER = [("reception", "0003_patient_texts_into_sheet")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_texts_move_into_a_new_version_of_the_sheet():
    apps = migrate(BEFORE)
    Organisation = apps.get_model("directory", "Organisation")
    Site = apps.get_model("directory", "Site")
    Motif = apps.get_model("directory", "Motif")
    Sheet = apps.get_model("reception", "InstructionSheet")
    fresh = Organisation.objects.create(
        name="Cabinet neuf", slug="neuf", kind="cabinet", walk_in_hours="Le lundi de 8 h à 9 h."
    )
    Site.objects.create(
        organisation=fresh, name="Cabinet", slug="a", address="1 rue A", postcode="80000",
        city="Amiens", access_directions="Rez-de-chaussée.",
    )  # fmt: skip
    Motif.objects.create(
        organisation=fresh, name="Vaccin", duration=dt.timedelta(minutes=15),
        patient_instructions="Apportez le carnet de vaccination.",
    )  # fmt: skip
    edited = Organisation.objects.create(
        name="Cabinet édité", slug="edite", kind="cabinet", walk_in_hours="Jamais."
    )
    Motif.objects.create(
        organisation=edited, name="Consultation", duration=dt.timedelta(minutes=15),
        patient_instructions="Carte Vitale.",
    )  # fmt: skip
    saved = {
        "greeting": "Bonjour",
        "topics": {"walk_in": "Le samedi matin."},
        "motifs": [{"motif": "Consultation", "keywords": ["consult"]}],
        "messages": {"renewals": "message", "categories": []},
    }
    Sheet.objects.create(
        organisation=edited, version=1, data=saved, created_at=dt.datetime.now(dt.UTC)
    )
    Organisation.objects.create(name="Sans texte", slug="vide", kind="cabinet")
    try:
        apps = migrate(AFTER)
        Sheet = apps.get_model("reception", "InstructionSheet")
        data = Sheet.objects.get(organisation__slug="neuf", version=1).data
        assert data["topics"]["walk_in"] == "Le lundi de 8 h à 9 h."
        assert data["topics"]["directions"] == "Rez-de-chaussée."
        assert data["motifs"] == [
            {
                "motif": "Vaccin",
                "keywords": [],
                "instructions": "Apportez le carnet de vaccination.",
            }
        ]
        assert "1 rue A, 80000 Amiens" in data["topics"]["address"] and data["notes"] == ""
        data = Sheet.objects.get(organisation__slug="edite", version=2).data
        assert data["topics"]["walk_in"] == "Le samedi matin."  # the saved sheet wins
        assert data["motifs"] == [
            {"motif": "Consultation", "keywords": ["consult"], "instructions": "Carte Vitale."}
        ]
        assert not Sheet.objects.filter(organisation__slug="vide").exists()
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
