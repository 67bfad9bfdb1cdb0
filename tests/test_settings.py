"""SQLite runs IMMEDIATE transactions, so concurrent writers queue instead of failing."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connections, transaction

from tests import factories

SQLITE_SETTINGS = settings.DATABASES["default"]
WRITERS = 8

pytestmark = pytest.mark.skipif(
    not SQLITE_SETTINGS["ENGINE"].endswith("sqlite3"), reason="SQLite configuration"
)


def test_sqlite_transactions_are_immediate():
    assert SQLITE_SETTINGS["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def race_read_modify_write(tmp_path, mode: str | None) -> tuple[int, list[str]]:
    """WRITERS threads each read a counter and write it + 1 in one transaction."""
    alias = f"race-{mode}"
    options = {**SQLITE_SETTINGS["OPTIONS"], "transaction_mode": mode}
    connections.settings[alias] = {
        **SQLITE_SETTINGS,
        "NAME": str(tmp_path / "race.sqlite3"),
        "OPTIONS": options,
        "TEST": {},
    }
    with connections[alias].cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n INTEGER)")
        cursor.execute("INSERT INTO counter VALUES (0)")
    connections[alias].close()
    errors: list[str] = []
    barrier = threading.Barrier(WRITERS)

    def write() -> None:
        try:
            barrier.wait(timeout=30)
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                (n,) = cursor.fetchone()
                time.sleep(0.05)  # everyone has read before anyone writes, unless serialised
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
        except Exception as exc:
            errors.append(str(exc))
        finally:
            connections[alias].close()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            (count,) = cursor.fetchone()
    finally:
        connections[alias].close()
        del connections.settings[alias]
    return count, errors


def test_concurrent_writers_queue_with_immediate_transactions(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        count, errors = race_read_modify_write(tmp_path, "IMMEDIATE")
    assert errors == []
    assert count == WRITERS


def test_negative_control_deferred_transactions_fail_or_lose_writes(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        count, errors = race_read_modify_write(tmp_path, None)
    assert errors or count < WRITERS
    assert all("locked" in e for e in errors)


def test_the_django_admin_is_for_superusers_only(client, practice, django_user_model):
    staff = practice["owner"]
    staff.is_staff = True  # even a staff flag and every permission are not enough
    staff.save()
    factories.login_verified(client, staff)
    assert client.get("/admin/").status_code == 302  # to the admin's login page
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x-pass-123")
    factories.login_verified(client, root)
    assert client.get("/admin/").status_code == 200
