"""Every page works under its Content-Security-Policy: the browser reports no refused script,
style or image, and no script error, on the desk, the console, the API docs and the admin.

The policy itself is checked in tests/test_headers.py; this test catches a template that
starts relying on an inline script or style element, which the policy then blocks."""

import re

import pytest
from django.contrib.auth import get_user_model

from accueil.directory.models import Membership
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_console import cast  # noqa: F401 - fixture
from tests.browser.test_console import log_in as console_log_in
from tests.browser.test_desk import log_in as desk_log_in

pytestmark = pytest.mark.django_db(transaction=True)


def watch(page) -> list[str]:
    problems: list[str] = []

    def on_console(message) -> None:
        # Browsers ask every site for /favicon.ico; the admin and the API docs link none.
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def visit(page, path: str, problems: list[str], found: dict) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    found[path] = list(problems)
    problems.clear()


def test_desk_pages_run_under_the_policy(new_page):
    org, practitioner, _motif = factories.agenda()
    owner = factories.staff(org, Membership.Role.OWNER)
    page = new_page()
    problems = watch(page)
    desk_log_in(page, owner)
    found: dict[str, list[str]] = {}
    for path in (
        f"/desk/{org.slug}/agenda/",
        f"/desk/{org.slug}/rdv/nouveau/",
        f"/desk/{org.slug}/patients/",
        f"/desk/{org.slug}/statistiques/",
        f"/desk/{org.slug}/appels/simulateur/",
        f"/desk/{org.slug}/reglages/",
        f"/desk/{org.slug}/reglages/consignes/",
    ):
        visit(page, path, problems, found)
    assert {path: errors for path, errors in found.items() if errors} == {}
    # HTMX runs: the patient picker answers as one types.
    page.goto(f"/desk/{org.slug}/rdv/nouveau/")
    with page.expect_response(re.compile(r"/patients/choix/")):
        page.get_by_label(re.compile("^Rechercher")).fill("Mar")
    assert problems == []


def test_console_pages_run_under_the_policy(new_page, cast):  # noqa: F811
    page = new_page()
    problems = watch(page)
    console_log_in(page, cast.alice.user)
    found: dict[str, list[str]] = {}
    for path in ("/console/", "/console/tableau/"):
        visit(page, path, problems, found)
    assert {path: errors for path, errors in found.items() if errors} == {}


def test_api_docs_and_admin_run_under_the_policy(new_page):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x-root-2026")
    page = new_page()
    problems = watch(page)
    found: dict[str, list[str]] = {}
    visit(page, "/api/docs", problems, found)
    page.get_by_text("/api/v1/slots").first.wait_for()
    page.goto("/admin/")  # the admin's login is the desk's, with its second factor
    sign_in(page, root, "x-root-2026")
    visit(page, "/admin/booking/appointment/", problems, found)
    assert {path: errors for path, errors in found.items() if errors} == {}
