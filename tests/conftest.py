import pytest

from accueil.directory.models import Membership
from tests import factories


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
