"""The receptionist's desk pages in a real browser: a call typed in the simulator (htmx, no
reload), the microphone and the voice where the browser has them, hidden where it has not,
and an accessibility audit of the log, the call, the simulator and the instruction sheet."""

import json
import re

import pytest
from django.utils import timezone

from accueil.booking.models import Appointment
from accueil.directory.models import Membership
from accueil.reception.models import Call
from tests import factories
from tests.browser.test_accessibility import violations
from tests.browser.test_desk import log_in
from tests.reception.agenda import NOW, build_practice

pytestmark = pytest.mark.django_db(transaction=True)
expect = pytest.importorskip("playwright.sync_api").expect

# A recogniser that "hears" the sentences given in `window.__heard`, one per start(), and a
# synthesiser that writes down what it is asked to say: the page's code runs as with real ones.
FAKE_SPEECH = """
window.__heard = [];
window.__spoken = [];
window.SpeechRecognition = window.webkitSpeechRecognition = class {
  start() {
    const text = window.__heard.shift();
    setTimeout(() => {
      this.onresult({results: [[{transcript: text}]]});
      this.onend();
    }, 50);
  }
  stop() { this.onend(); }
};
window.speechSynthesis.speak = (u) => window.__spoken.push([u.lang, u.text]);
"""
NO_SPEECH = """
delete window.webkitSpeechRecognition;
delete window.SpeechRecognition;
delete window.speechSynthesis;
"""


@pytest.fixture
def lilas(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)  # the live server runs in this process
    practice = build_practice()
    practice.secretary = factories.staff(practice.organisation, Membership.Role.OWNER)
    return practice


def call_page(page, lilas):
    log_in(page, lilas.secretary)
    page.get_by_role("link", name="Appels").click()
    page.get_by_role("link", name="Simuler un appel").click()
    page.get_by_label("Numéro de l'appelant").fill("06 12 34 56 78")
    page.get_by_role("button", name=re.compile("^Appeler le")).click()
    page.get_by_text("Bonjour, ici Maison médicale des Lilas").wait_for()


def say(page, text):
    box = page.get_by_label("Ce que dit l'appelant")
    box.fill(text)
    box.press("Enter")


def test_a_typed_call_books_without_reloading_the_page(new_page, lilas):
    page = new_page()
    page.add_init_script(NO_SPEECH)
    call_page(page, lilas)
    assert page.get_by_role("button", name="Parler").is_hidden()
    assert page.get_by_label("Lire les réponses à voix haute").is_hidden()
    page.evaluate("window.__sameDocument = true")

    say(page, "bonjour je voudrais un rendez-vous avec le docteur lemoine jeudi matin")
    page.get_by_text("nom de famille").first.wait_for()
    assert page.get_by_label("Ce que dit l'appelant").input_value() == ""
    expect(page.get_by_label("Ce que dit l'appelant")).to_be_focused()  # ready for the next
    say(page, "dupont")
    page.get_by_text("date de naissance").first.wait_for()
    say(page, "le trois mars quatre-vingt-cinq")
    page.get_by_text("jeudi 7 janvier").first.wait_for()
    say(page, "le deuxième")
    page.get_by_text("C'est noté").first.wait_for()
    say(page, "non merci au revoir")
    page.get_by_role("heading", name="Appel terminé").wait_for()
    assert page.get_by_text("Rendez-vous pris").first.is_visible()
    expect(page.locator(".call-over")).to_be_focused()
    assert page.evaluate("window.__sameDocument") is True  # htmx: never a reload
    assert page.locator("#transcript .caller").count() == 5

    appointment = Appointment.objects.get()
    page.get_by_role("link", name="Voir la fiche de l'appel").click()
    page.get_by_role("link", name=re.compile("jeudi 7 janvier 2027 à")).click()
    page.get_by_role("heading", name=re.compile("^Rendez-vous du jeudi 7 janvier")).wait_for()
    assert f"/rdv/{appointment.public_id}/" in page.url

    page.goto(f"/desk/{lilas.organisation.slug}/appels/simulateur/")
    page.get_by_role("button", name=re.compile("^Appeler le")).click()
    page.get_by_label("Ce que dit l'appelant").wait_for()
    assert Call.objects.count() == 2


def test_speaking_and_hearing_where_the_browser_can(new_page, lilas):
    page = new_page()
    page.add_init_script(FAKE_SPEECH)
    call_page(page, lilas)
    page.get_by_label("Lire les réponses à voix haute").check()
    page.evaluate("window.__heard.push('bonjour quels sont vos horaires')")
    page.get_by_role("button", name="Parler").click()
    page.get_by_text("bonjour quels sont vos horaires").wait_for()
    # Polled from here: the desk's policy forbids the eval that wait_for_function needs.
    for _ in range(100):
        if page.evaluate("window.__spoken.length"):
            break
        page.wait_for_timeout(50)
    [(lang, text)] = page.evaluate("window.__spoken")
    assert lang == "fr-FR" and "lundi" in text
    assert page.get_by_role("button", name="Parler").get_attribute("aria-pressed") == "false"
    # The choice to hear the answers is remembered on the next page.
    page.reload()
    assert page.get_by_label("Lire les réponses à voix haute").is_checked()


def test_the_receptionist_pages_pass_axe(new_page, lilas):
    # The desk's policy forbids inline scripts: the audit's own script needs an exception.
    page = new_page(bypass_csp=True)
    call_page(page, lilas)
    found = {"simulateur": violations(page)}
    say(page, "je voudrais renouveler mon ordonnance")
    page.locator("#transcript .caller").wait_for()
    found["simulateur après une phrase"] = violations(page)
    page.get_by_role("button", name="Raccrocher").click()
    page.get_by_role("heading", name="Appel terminé").wait_for()
    found["simulateur, appel terminé"] = violations(page)
    page.get_by_role("link", name="Voir la fiche de l'appel").click()
    found["fiche de l'appel"] = violations(page)
    page.get_by_role("link", name="‹ Tous les appels").click()
    found["journal"] = violations(page)
    page.goto(f"/desk/{lilas.organisation.slug}/reglages/consignes/")
    page.get_by_label("Consignes au format YAML").fill("greeting: [")
    page.get_by_role("button", name="Enregistrer une nouvelle version").click()
    page.get_by_text("YAML illisible").first.wait_for()
    found["consignes avec erreurs"] = violations(page)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"/desk/{lilas.organisation.slug}/appels/")
    found["journal sur téléphone"] = violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert {name: v for name, v in found.items() if v} == {}, json.dumps(found, indent=1)
