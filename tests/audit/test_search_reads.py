"""Patient searches show names, birth dates and phones: each patient listed is a read in the
audit log, at the desk (search page, booking picker) and on the console's screen pop."""

import pytest
from django.urls import reverse

from accueil.audit.models import Action, AuditEntry, ObjectType
from tests import factories
from tests.access import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["desk:patients", "desk:patient_picker"])
def test_every_patient_a_desk_search_lists_is_logged_as_read(client, practice, name):
    org = practice["organisation"]
    found = [factories.patient(org, last_name=f"Durandal{i}") for i in range(3)]
    factories.patient(org, last_name="Autre")
    login(client, practice["member"])
    response = client.get(reverse(name, args=[org.slug]), {"q": "durandal"})
    assert response.status_code == 200
    entries = AuditEntry.objects.filter(action=Action.READ, object_type=ObjectType.PATIENT)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(p.id) for p in found)
    entry = entries.first()
    assert entry.actor == practice["member"] and entry.organisation_id == org.id
    assert "durandal" not in entry.summary.lower()  # the query may be a name


def test_an_empty_search_logs_nothing(client, practice):
    login(client, practice["member"])
    client.get(reverse("desk:patients", args=[practice["organisation"].slug]), {"q": "zz"})
    assert not AuditEntry.objects.exists()
