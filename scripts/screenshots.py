"""Screenshots of the public site's and the desk's main pages, for the README and design reviews.

Runs against a server with the demonstration data (`make demo`, or any URL given), books one
appointment on it through the real form, and saves PNGs into docs/screenshots/:

    .venv/bin/python scripts/screenshots.py [--base-url http://127.0.0.1:8000] [--out DIR]

Drives Debian's Chromium (/usr/bin/chromium, `make install` installs it) with Playwright.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from accueil.accounts.demo import demo_code  # noqa: E402
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PRACTICE = "msp-deux-vallees"
DESK_LOGIN, DESK_PASSWORD = "accueil.deuxvallees", "demo-accueil-2026"  # seed_demo


def shoot(page: Page, out: Path, name: str, *, full_page: bool = True) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def first_week_with_slots(page: Page) -> None:
    """From a week page, jump to the first free slot's week if this one is empty."""
    jump = page.get_by_role("link", name="Voir cette semaine")
    if page.locator("a.slot").count() == 0 and jump.count():
        jump.click()
        page.locator("a.slot").first.wait_for()


def fill_identity(page: Page) -> None:
    page.get_by_label("Prénom", exact=True).fill("Jeanne")
    page.get_by_label("Nom", exact=True).fill("Lefèvre")
    page.get_by_label("Date de naissance", exact=True).fill("12/07/1984")
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_label("Adresse e-mail (facultative)").fill("jeanne.lefevre@example.org")
    page.get_by_role("checkbox", name=re.compile("^J'accepte")).check()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page = desktop.new_page()

        page.goto(f"{base}/")
        shoot(page, out, "01-accueil")
        page.get_by_label("Nom, profession ou motif").fill("médecin")
        page.get_by_label("Ville ou code postal").fill("Doullens")
        page.get_by_role("button", name="Rechercher").click()
        shoot(page, out, "02-recherche")

        page.goto(f"{base}/{PRACTICE}/")
        shoot(page, out, "03-cabinet")

        page.get_by_role(
            "link", name=re.compile("^Consultation de médecine générale")
        ).first.click()
        first_week_with_slots(page)
        shoot(page, out, "04-semaine")

        page.locator("a.slot").first.click()
        fill_identity(page)
        shoot(page, out, "05-formulaire")

        page.get_by_role("button", name="Confirmer le rendez-vous").click()
        page.get_by_role("heading", name="Votre rendez-vous est confirmé").wait_for()
        shoot(page, out, "06-confirmation")

        page.locator("a.link-box").click()
        shoot(page, out, "07-gerer")

        phone = browser.new_context(
            viewport={"width": 375, "height": 812},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="fr-FR",
        )
        mobile = phone.new_page()
        mobile.goto(f"{base}/{PRACTICE}/")
        mobile.get_by_role("link", name=re.compile("^Séance de kinésithérapie")).first.click()
        first_week_with_slots(mobile)
        shoot(mobile, out, "08-telephone-semaine", full_page=False)
        mobile.locator("a.slot").first.click()
        shoot(mobile, out, "09-telephone-formulaire", full_page=False)

        desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-FR")
        page = desk.new_page()
        page.goto(f"{base}/desk/")
        page.get_by_label("Identifiant").fill(DESK_LOGIN)
        page.get_by_label("Mot de passe").fill(DESK_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_label("Code de vérification").fill(demo_code(DESK_LOGIN))
        page.get_by_role("button", name="Vérifier").click()
        page.locator(".agenda").wait_for()
        shoot(page, out, "10-desk-agenda")
        page.goto(f"{base}/desk/{PRACTICE}/agenda/?vue=semaine")
        shoot(page, out, "11-desk-semaine")
        page.goto(f"{base}/desk/{PRACTICE}/salle-attente/")
        shoot(page, out, "12-desk-salle-attente")
        page.locator("table a").first.click()
        shoot(page, out, "13-desk-rendez-vous")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
