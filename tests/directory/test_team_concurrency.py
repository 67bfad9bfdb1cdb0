"""Two owners demoting each other at the same moment, on PostgreSQL: the practice keeps an
owner (team changes of a practice lock its row)."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accueil.directory import services
from accueil.directory.models import Membership
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Role = Membership.Role


def test_two_owners_demoting_each_other_leave_one_owner(monkeypatch):
    org = factories.organisation()
    first, second = (factories.staff(org, Role.OWNER) for _ in range(2))
    memberships = {m.user_id: m for m in Membership.objects.filter(organisation=org)}
    checked = services._is_last_owner

    def slow_check(membership):  # both read the owners before either writes
        answer = checked(membership)
        time.sleep(0.3)
        return answer

    monkeypatch.setattr(services, "_is_last_owner", slow_check)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor, target):
        try:
            barrier.wait(timeout=30)
            services.change_member(memberships[target.pk], actor=actor, role=Role.SECRETARY)
            outcomes.append("demoted")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(organisation=org, role=Role.OWNER).count() == 1
