import datetime as dt

import pytest

from accueil.directory.services import Audience
from accueil.scheduling import services
from accueil.scheduling.engine import PARIS, wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db


def days_with_slots(p, m, first, last, now=NOW):
    slots = services.available_slots(p, m, first, last, now=now)
    return sorted({s.start.astimezone(PARIS).date() for s in slots})


def test_public_holidays_close_the_agenda():
    _, p, m = factories.agenda()
    # Week of 3 May 2027: Thursday 6 is Ascension (Easter is 28 March 2027).
    april = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)
    days = days_with_slots(p, m, dt.date(2027, 5, 3), dt.date(2027, 5, 7), now=april)
    assert days == [dt.date(2027, 5, d) for d in (3, 4, 5, 7)]


def test_alsace_moselle_also_closes_on_good_friday_and_26_december():
    org, p, m = factories.agenda()
    good_friday = dt.date(2027, 3, 26)
    assert good_friday in days_with_slots(p, m, good_friday, good_friday)
    org.holidays_subdivision = "57"
    org.save()
    p.refresh_from_db()
    assert days_with_slots(p, m, good_friday, good_friday) == []


def test_overseas_department_holiday():
    org, p, m = factories.agenda()
    org.holidays_subdivision = "974"  # La Réunion: abolition of slavery, 20 December
    org.save()
    p.refresh_from_db()
    day = dt.date(2027, 12, 20)
    assert days_with_slots(p, m, day, day, now=dt.datetime(2027, 12, 1, tzinfo=dt.UTC)) == []


def test_organisation_may_work_on_public_holidays():
    org, p, m = factories.agenda()
    org.closed_on_public_holidays = False
    org.save()
    p.refresh_from_db()
    ascension = dt.date(2027, 5, 6)
    april = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)
    assert days_with_slots(p, m, ascension, ascension, now=april) == [ascension]


def test_no_slot_on_or_after_an_announced_departure():
    _, p, m = factories.agenda()
    p.departure_date = MONDAY + dt.timedelta(days=2)
    p.save()
    days = days_with_slots(p, m, MONDAY, MONDAY + dt.timedelta(days=4))
    assert days == [MONDAY, MONDAY + dt.timedelta(days=1)]


def test_absences_block_slots_weekly_ones_every_week():
    _, p, m = factories.agenda()
    factories.absence(
        p,
        wall_clock(MONDAY, dt.time(9)),
        wall_clock(MONDAY, dt.time(12)),
        weekly=True,
        repeat_until=MONDAY + dt.timedelta(days=7),
    )
    days = days_with_slots(p, m, MONDAY, MONDAY + dt.timedelta(days=14))
    assert MONDAY not in days
    assert MONDAY + dt.timedelta(days=7) not in days
    assert MONDAY + dt.timedelta(days=14) in days


def test_staff_see_slots_within_the_notice_period():
    _, p, m = factories.agenda()
    now = wall_clock(MONDAY, dt.time(9, 5))
    public = services.available_slots(p, m, MONDAY, MONDAY, now=now)
    staff = services.available_slots(p, m, MONDAY, MONDAY, now=now, audience=Audience.STAFF)
    assert public[0].start == wall_clock(MONDAY, dt.time(9, 40))
    assert staff[0].start == wall_clock(MONDAY, dt.time(9, 20))
