"""Browser tests: Playwright (sync API) driving Debian's chromium against pytest-django's
live server on 127.0.0.1. Never a downloaded browser: `make install` installs Debian's
chromium when it is missing (as root); without it, or without the playwright package,
these tests are skipped with the reason.
"""

import os
from pathlib import Path

import pytest

from accueil.accounts import services
from accueil.booking import views
from tests import factories
from tests.browser import chromium as chromium_launch
from tests.factories import NOW

# Playwright's sync API keeps an event loop running in the test thread; Django's ORM (used
# by factories and assertions here, never concurrently with the live server's requests on
# the same connection) would refuse to run next to it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(chromium_launch.CHROMIUM)
CHROMIUM_ARGS = chromium_launch.CHROMIUM_ARGS
TIMEOUT_MS = 10_000

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - dev extras not installed
    sync_playwright = None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if sync_playwright is None:
        pytest.skip("playwright is not installed (make install)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing and could not be installed (make install, as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """Pages in fresh browser contexts (separate cookies: separate people), closed after."""
    contexts = []

    def make(**options):
        context = chromium.new_context(
            base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris", **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """The site's clock: Friday 1 January 2027 (see tests.factories); the live server runs
    in this process, so the patch applies to its requests too."""
    monkeypatch.setattr(views, "_now", lambda: NOW)


def sign_in(page, user, password: str) -> None:
    """Both login steps from the login page, as a person does them: the password, then the
    code their authenticator shows now (one is made here if the user has none)."""
    device = factories.authenticator(user)
    page.get_by_label("Identifiant").fill(user.username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Code de vérification").wait_for()
    page.get_by_label("Code de vérification").fill(services.current_code(device))
    page.get_by_role("button", name="Vérifier").click()
