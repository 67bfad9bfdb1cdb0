"""The demonstration sheets are valid for the demonstration organisations."""

import pytest

from accueil.demo import instructions as demo_instructions
from accueil.demo.spec import ORGANISATIONS
from accueil.reception import services


def test_every_demo_organisation_has_a_sheet():
    assert set(demo_instructions.SHEETS) == {spec.slug for spec in ORGANISATIONS}


@pytest.mark.django_db
def test_seed_demo_installs_valid_sheets_and_prints_the_token(settings):
    import io

    from django.core.management import call_command

    from accueil.directory.models import Organisation

    settings.ACCUEIL_TELEPHONY_TOKEN = "demo-token"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo-token" in out.getvalue()
    for spec in ORGANISATIONS:
        organisation = Organisation.objects.get(slug=spec.slug)
        version, sheet = services.current_sheet(organisation)
        assert version == 1
        assert sheet["greeting"] == demo_instructions.SHEETS[spec.slug]["greeting"]
    garnier = Organisation.objects.get(slug="cabinet-dr-garnier")
    call = services.start_call(to=ORGANISATIONS[0].phone, from_="+33612345678")
    assert call.call.organisation == garnier
    answer = services.take_turn(call.call.id, "c'est combien la consultation")
    assert "30 euros" in answer.say
