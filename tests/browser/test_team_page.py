"""« Équipe » in a real browser, on a phone: the owner creates an account and resets a
member's second factor; no inline script or style is needed (CSP), and axe finds nothing."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.directory.models import Membership
from tests import factories
from tests.browser.test_accessibility import AXE, RUN
from tests.browser.test_content_security import watch
from tests.browser.test_desk import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_owner_manages_the_team_on_a_phone(new_page):
    org, _, _ = factories.agenda()
    owner = factories.staff(org, Membership.Role.OWNER, first_name="Anne", last_name="Roux")
    secretary = factories.staff(org, first_name="Paul", last_name="Gide")
    factories.authenticator(secretary)
    page = new_page(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    problems = watch(page)
    log_in(page, owner)
    page.goto(f"/desk/{org.slug}/reglages/equipe/")
    page.get_by_role("heading", name="Équipe").wait_for()
    page.get_by_role("link", name="Ajouter un membre").click()
    page.get_by_label("Prénom").fill("Lucie")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Identifiant de connexion").nth(1).fill("lmartin")
    page.get_by_label("E-mail").fill("lucie.martin@example.org")
    page.get_by_label("Rôle").nth(1).select_option("secretary")
    page.get_by_label("Mot de passe provisoire").fill("Quatre-saisons-a-Lille")
    page.get_by_role("button", name="Créer le compte").click()
    page.get_by_text(re.compile("^Compte créé")).wait_for()
    assert Membership.objects.get(user=User.objects.get(username="lmartin")).organisation == org
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_role("link", name="Modifier Paul Gide").click()
    page.get_by_role("button", name="Réinitialiser la double authentification").click()
    page.get_by_text(re.compile("Double authentification de Paul Gide réinitialisée")).wait_for()
    assert not TOTPDevice.objects.filter(user=secretary).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert problems == []

    # axe, with the exception its own script needs under the policy.
    audit = new_page(bypass_csp=True)
    log_in(audit, factories.staff(org, Membership.Role.OWNER))  # a code is used only once
    found = {}
    for path in ("", "ajouter/", f"{Membership.objects.get(user=secretary).id}/"):
        audit.goto(f"/desk/{org.slug}/reglages/equipe/{path}")
        audit.add_script_tag(content=AXE)
        found[path or "liste"] = audit.evaluate(RUN)
    assert {name: v for name, v in found.items() if v} == {}, json.dumps(found, indent=1)
