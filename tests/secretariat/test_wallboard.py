"""Wallboard figures (pure), Erlang C staffing next to the plan, and the pages."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accueil.directory.models import Membership
from accueil.secretariat import services, views
from accueil.secretariat import wallboard as board
from accueil.secretariat.models import Outcome, PlannedStaffing, QueuedCall
from tests import factories
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at

NINE = at(MONDAY, 9)


def row(client="A", queued=0, wait=None, handling=None, abandoned=None, operator=None):
    queued_at = NINE + dt.timedelta(seconds=queued)
    taken = queued_at + dt.timedelta(seconds=wait) if wait is not None else None
    return board.Row(
        client=client,
        queued_at=queued_at,
        taken_at=taken,
        wrapped_at=taken + dt.timedelta(seconds=handling) if handling is not None else None,
        abandoned_at=queued_at + dt.timedelta(seconds=abandoned) if abandoned else None,
        operator=operator,
    )


def test_summarise_counts_service_level_abandonment_and_handling():
    rows = [
        row("A", 0, wait=5, handling=120, operator="Alice"),
        row("A", 10, wait=20, handling=180, operator="Alice"),  # 20 s is within target
        row("B", 20, wait=45, handling=240, operator="Bruno"),
        row("B", 30, abandoned=60),
        row("B", 40),  # still waiting
        row("A", 1900, wait=3, operator="Bruno"),  # 9:31:40, on call (not wrapped)
    ]
    result = board.summarise(rows, now=NINE + dt.timedelta(minutes=40))
    overall = result.overall
    assert (overall.offered, overall.answered, overall.abandoned, overall.waiting) == (6, 4, 1, 1)
    assert overall.service_level == pytest.approx(3 / 5)
    assert overall.abandonment == pytest.approx(1 / 5)
    assert overall.average_handling == pytest.approx(180)
    assert result.waiting_now == 1
    assert result.longest_wait == 40 * 60 - 40
    practices = dict(result.by_practice)
    assert (practices["A"].offered, practices["B"].abandoned) == (3, 1)
    operators = dict(result.by_operator)
    assert (operators["Alice"].handled, operators["Bruno"].answered) == (2, 2)
    slots = dict(result.by_half_hour)
    assert slots[dt.time(9)].offered == 5 and slots[dt.time(9, 30)].offered == 1
    assert slots[dt.time(7)].offered == 0  # every half-hour of the day is listed
    assert len(slots) == 24


def test_empty_figures_have_no_rates():
    figures = board.summarise([], NINE).overall
    assert figures.service_level is None and figures.average_handling is None


def test_needed_staffing_is_erlang_c_per_half_hour_next_to_the_plan():
    # The published example (tests/secretariat/test_staffing.py): 100 calls in 30 min of
    # 3 minutes each need 14 operators for 80 % within 20 s.
    needs = board.needed_staffing(
        {dt.time(9): 100.0, dt.time(12): 4.0}, 180.0, {dt.time(9): 12}, {dt.time(9): 97}
    )
    by_start = {n.start: n for n in needs}
    nine = by_start[dt.time(9)]
    assert (nine.needed, nine.planned, nine.today, nine.shortfall) == (14, 12, 97, 2)
    assert nine.short
    assert by_start[dt.time(12)].needed == 2
    assert by_start[dt.time(7)].needed == 0


def test_bar_chart_scales_bars_to_the_tallest():
    chart = board.bar_chart([("9h", [(10, "needed", "a"), (5, "planned", "b")]), ("10h", [])])
    tall, half = chart.bars
    assert tall.height == pytest.approx(2 * half.height)
    assert tall.y + tall.height == pytest.approx(chart.baseline)
    assert [label for _, label in chart.labels] == ["9h"]


# Pages --------------------------------------------------------------------------------------


@pytest.fixture
def cast(db, monkeypatch):
    monkeypatch.setattr(views, "_now", lambda: at(MONDAY, 11))
    return secretariat_cast.build()


def history(cast):
    """Four past Mondays of calls (9:00 peak) and today's morning."""
    for weeks in range(0, 5):
        day = MONDAY - dt.timedelta(weeks=weeks)
        for i in range(12):
            call = services.enqueue(
                cast.contracts[i % 3],
                source=QueuedCall.Source.DIRECT,
                caller_number="+33612345678",
                now=at(day, 9, i * 2),
            )
            if i == 11:
                services.caller_hung_up(call.id, now=at(day, 9, i * 2, 40))
                continue
            call = services.take_next_call(cast.alice, now=at(day, 9, i * 2, 10))
            services.finish(
                cast.alice, call, outcome=Outcome.BOOKED, note="", now=at(day, 9, i * 2 + 1)
            )


def test_wallboard_shows_today_and_staffing(cast):
    history(cast)
    PlannedStaffing.objects.create(
        secretariat=cast.secretariat, weekday=0, start=dt.time(9), operators=1
    )
    client = Client()
    factories.login_verified(client, cast.alice.user)
    html = client.get(reverse("secretariat:wallboard"), {"jour": MONDAY}).content.decode()
    assert "Tableau de bord · Télésecrétariat Picard" in html
    assert "Cabinet des Tilleuls" in html and "Alice Opératrice" in html
    assert '<rect class="bar needed"' in html  # server-rendered SVG
    assert not re.search(r'<rect[^>]*"-?[0-9]+,[0-9]', html)  # numbers SVG can read
    assert "Pointe : 09:00 (12,0 appels par demi-heure)" in html
    assert "<script" not in html.replace('<script src="/static/vendor/htmx.min.js" defer>', "")


def test_wallboard_live_fragment_polls(cast):
    services.enqueue(
        cast.contracts[0], source=QueuedCall.Source.DIRECT, caller_number="", now=at(MONDAY, 10, 58)
    )
    client = Client()
    factories.login_verified(client, cast.manager)
    html = client.get(reverse("secretariat:wallboard_live")).content.decode()
    assert html.startswith('<div id="direct"') and 'hx-trigger="every 6s"' in html
    assert "2 min 00 s" in html  # longest wait


def test_practice_staff_never_see_a_secretariats_wallboard(cast):
    for user in (factories.staff(cast.clients[0], Membership.Role.OWNER),):
        client = Client()
        factories.login_verified(client, user)
        assert client.get(reverse("secretariat:wallboard")).status_code == 404
        assert client.get(reverse("secretariat:wallboard_live")).status_code == 404


def test_members_plan_staffing_operators_only_read_it(cast):
    manager = Client()
    factories.login_verified(manager, cast.manager)
    data = {"jour": "0", "0900": "5", "0930": "6", "1000": "0"}
    response = manager.post(reverse("secretariat:planning"), data)
    assert response.status_code == 302
    assert dict(
        PlannedStaffing.objects.filter(secretariat=cast.secretariat).values_list(
            "start", "operators"
        )
    ) == {dt.time(9): 5, dt.time(9, 30): 6}
    operator = Client()
    factories.login_verified(operator, cast.alice.user)
    assert "disabled" in operator.get(reverse("secretariat:planning")).content.decode()
    assert operator.post(reverse("secretariat:planning"), data).status_code == 404


@pytest.mark.django_db
def test_save_plan_refuses_nonsense():
    secretariat = secretariat_cast.secretariat_org()
    with pytest.raises(ValidationError):
        board.save_plan(secretariat, 7, {})
    with pytest.raises(ValidationError):
        board.save_plan(secretariat, 0, {dt.time(9): -1})
