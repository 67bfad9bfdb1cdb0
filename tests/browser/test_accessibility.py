"""Automated accessibility audit (axe-core, WCAG 2 A and AA rules) of the public pages.

axe cannot judge everything (reading order, wording); it does catch missing labels, low
contrast, duplicate ids and broken ARIA, on the pages as a patient goes through them.
"""

import json
import re
from pathlib import Path

import pytest

from accueil.booking.models import Appointment
from accueil.reception import services as reception
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']});
  return result.violations.map(v => ({rule: v.id, where: v.nodes.map(n => n.target.join(' '))}));
}"""


def violations(page) -> list[dict]:
    page.add_script_tag(content=AXE)
    return page.evaluate(RUN)


def test_public_pages_pass_axe(new_page):
    org, practitioner, motif = factories.agenda()
    sheet = reception.current_sheet(org)[1]
    sheet["topics"].update(walk_in="Le lundi de 8 h à 8 h 30.", parking="Parking gratuit.")
    sheet["motifs"] = [{"motif": motif.name, "instructions": "Apportez votre carte Vitale."}]
    reception.save_sheet(org, sheet)
    # The site's policy forbids inline scripts: the audit's own script needs an exception.
    page = new_page(bypass_csp=True)
    found = {}
    page.goto("/")
    found["accueil"] = violations(page)
    page.goto(f"/{org.slug}/")
    found["cabinet"] = violations(page)
    page.get_by_role("link", name=re.compile("^Consultation")).first.click()
    found["semaine"] = violations(page)
    page.get_by_role("link", name="lundi 4 janvier 2027 à 9 h", exact=True).click()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()  # empty: errors
    page.get_by_role("checkbox", name=re.compile("pour un proche")).check()
    found["formulaire avec erreurs"] = violations(page)
    page.get_by_label("Prénom", exact=True).fill("Jeanne")
    page.get_by_label("Nom", exact=True).fill("Lefèvre")
    page.get_by_role("checkbox", name=re.compile("pour un proche")).uncheck()
    page.get_by_label("Date de naissance", exact=True).fill("12/07/1984")
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_role("checkbox", name=re.compile("^J'accepte")).check()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    page.get_by_role("heading", name="Votre rendez-vous est confirmé").wait_for()
    found["confirmation"] = violations(page)
    page.locator("a.link-box").click()
    page.get_by_text("Annuler le rendez-vous").click()
    found["gestion"] = violations(page)
    page.get_by_role("link", name="Déplacer le rendez-vous").click()
    found["déplacement"] = violations(page)
    appointment = Appointment.objects.get()
    page.goto(f"/rdv/{appointment.public_id}/mauvais-jeton/")
    found["404"] = violations(page)
    assert {name: v for name, v in found.items() if v} == {}, json.dumps(found, indent=1)
