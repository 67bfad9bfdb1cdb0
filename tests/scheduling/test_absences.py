import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accueil.booking import services as booking
from accueil.booking.models import Channel
from accueil.directory.services import Audience
from accueil.scheduling.engine import wall_clock
from accueil.scheduling.services import add_absence, available_slots
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    return wall_clock(day, dt.time(hour, minute))


def test_weekly_absence_blocks_every_week_and_reports_what_it_covers():
    org, p, m = factories.agenda()
    next_week = MONDAY + dt.timedelta(days=7)
    covered = booking.book(
        practitioner=p,
        motif=m,
        start=at(next_week, 10),
        patient=factories.patient(org),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    booking.book(
        practitioner=p,
        motif=m,
        start=at(next_week, 11),
        patient=factories.patient(org),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    _, conflicts = add_absence(
        p,
        at(MONDAY, 10),
        at(MONDAY, 10, 40),
        reason="Staff",
        weekly=True,
        repeat_until=MONDAY + dt.timedelta(days=14),
    )
    assert conflicts == [covered]
    starts = {s.start for s in available_slots(p, m, next_week, next_week, now=NOW)}
    assert at(next_week, 10) not in starts and at(next_week, 10, 20) not in starts
    later = MONDAY + dt.timedelta(days=21)
    assert at(later, 10) in {s.start for s in available_slots(p, m, later, later, now=NOW)}


@pytest.mark.parametrize(
    "start, end, kw, field",
    [
        ((10, 0), (9, 0), {}, "end"),
        ((10, 0), (10, 0), {}, "end"),
        ((9, 0), (10, 0), {"reason": "x" * 201}, "reason"),
        ((9, 0), (10, 0), {"weekly": True, "repeat_until": dt.date(2026, 1, 1)}, "repeat_until"),
    ],
)
def test_invalid_absences_are_refused_with_a_field(start, end, kw, field):
    _, p, _ = factories.agenda()
    with pytest.raises(ValidationError) as caught:
        add_absence(p, at(MONDAY, *start), at(MONDAY, *end), **kw)
    assert field in caught.value.message_dict
    assert not p.absences.exists()
