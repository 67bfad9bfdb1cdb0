"""A new staff member's first login in a real browser: password, enrolment of an
authenticator from the page's secret, recovery codes, then the agenda."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services
from accueil.directory.models import Membership
from tests import factories
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "x-demo-pass"  # tests.factories.staff


def test_first_login_enrols_an_authenticator_and_shows_recovery_codes(new_page):
    org, _, _ = factories.agenda()
    secretary = factories.staff(org, Membership.Role.SECRETARY)
    page = new_page(bypass_csp=True)  # for axe's own script
    page.goto("/desk/")
    assert violations(page) == []
    page.get_by_label("Identifiant").fill(secretary.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("heading", name="Activer la double authentification").wait_for()
    assert page.locator("figure.qr svg").count() == 1
    assert violations(page) == []
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=secretary, confirmed=False)
    assert secret == services.base32_secret(device).replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill(services.current_code(device))
    page.get_by_role("button", name="Activer").click()

    page.get_by_role("heading", name="Vos codes de secours").wait_for()
    assert page.locator("ol.codes li").count() == 10
    assert page.get_by_role("button", name="Imprimer").is_visible()  # print.js ran
    assert violations(page) == []
    page.get_by_role("link", name=re.compile("J'ai noté mes codes")).click()
    page.get_by_role("heading", name=re.compile("^Agenda")).wait_for()

    page.get_by_role("link", name="Sécurité du compte").click()
    page.get_by_text("Il vous reste 10 codes de secours").wait_for()
    assert violations(page) == []
