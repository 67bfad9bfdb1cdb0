"""Notification pages of the back office in a real browser: the SMS count follows typing."""

import re

import pytest

from accueil.directory.models import Membership
from accueil.notify import texts
from accueil.notify.models import MessageTemplate
from tests import factories
from tests.browser.test_desk import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sms_count_follows_typing_and_the_text_is_saved(new_page):
    org, _, _ = factories.agenda()
    owner = factories.staff(org, Membership.Role.OWNER)
    page = new_page(viewport={"width": 375, "height": 800})
    log_in(page, owner)
    page.goto(f"/desk/{org.slug}/reglages/rappels/")
    page.get_by_role("link", name="Modifier le texte Rappel par SMS").click()
    count = page.locator("#sms-count")
    default = texts.sample_sms_length(texts.DEFAULTS[("reminder", "sms")][1])
    count.get_by_text(f"{default.units} caractères, {default.segments} SMS").wait_for()

    body = page.get_by_label("Texte du SMS")
    body.fill("Rappel : RDV le {date}. " + "x" * 300)
    long = texts.sample_sms_length("Rappel : RDV le {date}. " + "x" * 300)
    count.get_by_text(f"{long.units} caractères, {long.segments} SMS").wait_for()
    count.get_by_text(re.compile("Trop long")).wait_for()

    body.fill("Rappel : RDV le {date}. Annuler : {manage_link}")
    short = texts.sample_sms_length("Rappel : RDV le {date}. Annuler : {manage_link}")
    count.get_by_text(f"{short.units} caractères, {short.segments} SMS").wait_for()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Texte enregistré.").wait_for()
    assert MessageTemplate.objects.get(organisation=org).body.startswith("Rappel : RDV le")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing wider than the phone
