"""Real parallel connections against PostgreSQL: no slot is ever given twice.

Each protection layer of the locking protocol (booking/services.py) is shown to hold on its
own, and the negative control shows that without both the same race double-books.
"""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection

from accueil.booking import overlap, services
from accueil.booking.models import ACTIVE_STATUSES, Appointment, Channel
from accueil.directory.services import Audience
from accueil.patients.services import PatientIdentity
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 50


def at(hour: int, minute: int = 0) -> dt.datetime:
    return wall_clock(MONDAY, dt.time(hour, minute))


def race(n: int, attempt) -> Counter:
    """Run attempt(i) in n threads released together; count outcomes by name."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = [""] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            attempt(i)
            outcomes[i] = "booked"
        except services.SlotTaken:
            outcomes[i] = "slot_taken"
        except Exception as exc:  # any other answer is a failure of the test
            outcomes[i] = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def booker(practitioner, motif, start_of):
    def attempt(i: int) -> None:
        services.book(
            practitioner=practitioner,
            motif=motif,
            start=start_of(i),
            patient=PatientIdentity("Patient", f"Numéro{i}", dt.date(1980, 1, 1), "0612345678"),
            channel=Channel.API,
            audience=Audience.PUBLIC,
            now=NOW,
        )

    return attempt


def overlapping_pairs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM booking_appointment a JOIN booking_appointment b
              ON a.practitioner_id = b.practitioner_id AND a.id < b.id
             AND a.session_key <> b.session_key
             AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
             WHERE a.status = ANY(%s) AND b.status = ANY(%s)
            """,
            [list(ACTIVE_STATUSES), list(ACTIVE_STATUSES)],
        )
        return cursor.fetchone()[0]


def assert_exactly_one_booking(outcomes: Counter) -> None:
    assert outcomes == Counter({"booked": 1, "slot_taken": RACERS - 1})
    assert Appointment.objects.count() == 1
    assert overlapping_pairs() == 0


@pytest.fixture
def without_lock(monkeypatch):
    monkeypatch.setattr(services, "row_lock", lambda: "")


@pytest.fixture
def without_constraint():
    with connection.cursor() as cursor:
        cursor.execute(overlap.DROP_SQL)
    yield
    Appointment.objects.all().delete()  # overlapping rows would refuse the constraint
    with connection.cursor() as cursor:
        cursor.execute(overlap.ADD_SQL)


@pytest.fixture
def check_then_wait(monkeypatch):
    """Every racer passes the availability check before any of them writes."""
    barrier = threading.Barrier(RACERS)
    original = services.check_slot_free

    def checked_then_wait(*args, **kwargs):
        slot = original(*args, **kwargs)
        barrier.wait(timeout=60)
        return slot

    monkeypatch.setattr(services, "check_slot_free", checked_then_wait)


def test_fifty_bookings_of_one_slot_give_exactly_one():
    _, p, m = factories.agenda()
    outcomes = race(RACERS, booker(p, m, lambda i: at(10)))
    assert_exactly_one_booking(outcomes)


def test_the_database_constraint_alone_gives_exactly_one(without_lock, check_then_wait):
    _, p, m = factories.agenda()
    outcomes = race(RACERS, booker(p, m, lambda i: at(10)))
    assert_exactly_one_booking(outcomes)


def test_the_row_lock_alone_gives_exactly_one(without_constraint):
    _, p, m = factories.agenda()
    outcomes = race(RACERS, booker(p, m, lambda i: at(10)))
    assert_exactly_one_booking(outcomes)


def test_negative_control_without_lock_and_constraint_double_books(
    without_lock, without_constraint, check_then_wait
):
    _, p, m = factories.agenda()
    outcomes = race(RACERS, booker(p, m, lambda i: at(10)))
    with pytest.raises(AssertionError):
        assert_exactly_one_booking(outcomes)
    assert outcomes["booked"] > 1
    assert overlapping_pairs() > 0


def test_adjacent_slots_both_succeed():
    _, p, m = factories.agenda()
    outcomes = race(RACERS, booker(p, m, lambda i: at(10) if i % 2 else at(10, 20)))
    assert outcomes == Counter({"booked": 2, "slot_taken": RACERS - 2})
    first, second = Appointment.objects.order_by("start")
    assert first.end == second.start
    assert overlapping_pairs() == 0


def test_group_session_never_exceeds_capacity():
    org, p, _ = factories.agenda()
    workshop = factories.motif(
        org, [p], name="Atelier", duration=dt.timedelta(minutes=90), capacity=8
    )
    factories.period(p, [workshop], start_time=dt.time(14), end_time=dt.time(16))
    outcomes = race(30, booker(p, workshop, lambda i: at(14)))
    assert outcomes == Counter({"booked": 8, "slot_taken": 22})
    assert Appointment.objects.filter(motif=workshop).count() == 8


def test_concurrent_moves_into_one_slot_give_it_once():
    _, p, m = factories.agenda()
    tuesday = MONDAY + dt.timedelta(days=1)
    starts = [wall_clock(tuesday, dt.time(9)) + dt.timedelta(minutes=20 * i) for i in range(6)]
    for i, start in enumerate(starts):
        booker(p, m, lambda _, s=start: s)(i)
    appointments = list(Appointment.objects.order_by("start"))

    def mover(i: int) -> None:
        services.move(
            appointments[i], start=at(10), channel=Channel.WEB, audience=Audience.PUBLIC, now=NOW
        )

    outcomes = race(len(appointments), mover)
    assert outcomes == Counter({"booked": 1, "slot_taken": len(appointments) - 1})
    assert Appointment.objects.filter(start=at(10)).count() == 1
    assert Appointment.objects.filter(start__in=starts).count() == len(appointments) - 1
    assert overlapping_pairs() == 0
