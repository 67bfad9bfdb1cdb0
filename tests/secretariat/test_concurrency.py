"""Real parallel connections against PostgreSQL: each queued call is taken by exactly one
operator, however many click "prendre l'appel suivant" at the same moment.

Each guard of the queue protocol (secretariat/services.py) holds on its own; the negative
control shows that without both the same race gives one call to several operators.
"""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Q

from accueil.secretariat import services
from accueil.secretariat.models import QueuedCall
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NINE = at(MONDAY, 9)


def setup_race(operators: int, calls: int):
    cast = secretariat_cast.build()
    team = [
        secretariat_cast.operator(cast.secretariat, first_name=f"Op{i}") for i in range(operators)
    ]
    for i in range(calls):
        services.enqueue(
            cast.contracts[i % 3],
            source=QueuedCall.Source.DIRECT,
            caller_number=f"+336123456{i:02d}",
            now=NINE + dt.timedelta(seconds=i),
        )
    return team


def race(team) -> list:
    """Every operator takes the next call at once; the call id each got (None: no call)."""
    barrier = threading.Barrier(len(team))
    results: list = [None] * len(team)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            call = services.take_next_call(team[i], now=NINE + dt.timedelta(minutes=1))
            results[i] = call.id if call else None
        except Exception as exc:  # any other answer is a failure of the test
            results[i] = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(team))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def assert_each_call_taken_once(results) -> list:
    taken = [r for r in results if r is not None]
    assert not [r for r in taken if isinstance(r, str)], results
    assert len(taken) == len(set(taken)), Counter(taken).most_common(3)
    rows = QueuedCall.objects.filter(status=QueuedCall.Status.ON_CALL)
    assert sorted(rows.values_list("id", flat=True)) == sorted(taken)
    # Each operator who got a call holds exactly that one.
    assert len(set(rows.values_list("taken_by", flat=True))) == len(taken)
    return taken


@pytest.fixture
def read_then_wait(monkeypatch):
    """Every racer has read (and chosen) its call before any of them writes its claim."""
    local = threading.local()
    barrier: list[threading.Barrier] = []
    original = services.still_waiting

    def arm(parties: int) -> None:
        barrier.append(threading.Barrier(parties))

    def waited():
        if not getattr(local, "waited", False):
            local.waited = True
            barrier[0].wait(timeout=60)
        return original()

    monkeypatch.setattr(services, "still_waiting", waited)
    return arm


@pytest.fixture
def without_lock(monkeypatch):
    monkeypatch.setattr(services, "claim_lock", lambda calls: calls)


@pytest.fixture
def without_guard(monkeypatch, read_then_wait):
    local_original = services.still_waiting  # the waiting wrapper above

    def unguarded():
        local_original()
        return Q()

    monkeypatch.setattr(services, "still_waiting", unguarded)
    return read_then_wait


def test_twenty_operators_at_once_take_twenty_different_calls():
    team = setup_race(20, 20)
    taken = assert_each_call_taken_once(race(team))
    assert len(taken) == 20


def test_more_operators_than_calls_each_call_once_the_rest_get_none():
    team = setup_race(24, 8)
    results = race(team)
    taken = assert_each_call_taken_once(results)
    assert len(taken) == 8
    assert results.count(None) == 16


def test_the_skip_locked_read_alone_gives_each_call_once(monkeypatch):
    monkeypatch.setattr(services, "still_waiting", lambda: Q())
    team = setup_race(20, 20)
    assert len(assert_each_call_taken_once(race(team))) == 20


def test_the_guarded_update_alone_gives_each_call_once(without_lock, read_then_wait):
    team = setup_race(12, 12)
    read_then_wait(12)  # all choose the same first call before anyone writes
    taken = assert_each_call_taken_once(race(team))
    assert len(taken) >= 1


def test_negative_control_without_lock_and_guard_gives_one_call_to_many(
    without_lock, without_guard
):
    team = setup_race(12, 12)
    without_guard(12)
    results = race(team)
    with pytest.raises(AssertionError):
        assert_each_call_taken_once(results)
    assert Counter(results).most_common(1)[0][1] > 1  # one call, several operators
