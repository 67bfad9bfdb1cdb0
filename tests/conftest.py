import pytest

from accueil.directory.models import Membership
from tests import factories


@pytest.fixture(autouse=True)
def no_abuse_limits(request, settings, monkeypatch):
    """Rate limits and the daily SMS cap are lifted for tests that are not about them: the
    fuzz, concurrency and scenario tests send hundreds of requests from 127.0.0.1 and SMS
    to one number. Tests marked `abuse_limits` keep the settings' limits (and set their own).
    The environment too, for the servers and workers some tests start as processes."""
    if "abuse_limits" in request.keywords:
        return
    settings.RATE_LIMITS_ENABLED = False
    settings.SMS_DAILY_CAP_PER_NUMBER = 0
    monkeypatch.setenv("RATE_LIMITS_ENABLED", "0")
    monkeypatch.setenv("SMS_DAILY_CAP_PER_NUMBER", "0")


@pytest.fixture
def practice(db):
    """The standard cast: an owner, a member of the same practice, an outsider elsewhere."""
    org, practitioner, motif = factories.agenda()
    other = factories.organisation(name="Cabinet voisin")
    return {
        "organisation": org,
        "practitioner": practitioner,
        "motif": motif,
        "owner": factories.staff(org, Membership.Role.OWNER),
        "member": factories.staff(org, Membership.Role.SECRETARY),
        "outsider": factories.staff(other, Membership.Role.OWNER),
        "other_organisation": other,
    }


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped when the suite runs on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (make test runs it there)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
