"""The public site's reads: opening hours, search, next slots, slot keys, manage links."""

import datetime as dt

import pytest

from accueil.booking import public
from accueil.booking import services as booking
from accueil.booking.models import Channel
from accueil.directory.models import Motif
from accueil.directory.services import Audience
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def test_slot_keys_round_trip_and_reject_garbage():
    start = wall_clock(dt.date(2026, 10, 25), dt.time(2, 30)).replace(fold=1)
    key = public.slot_key(start)
    assert key == "20261025T0130Z"  # the second 2:30 of the fall-back night, unambiguous
    # (Compared in UTC: Python never finds a fold=1 time equal to another zone's.)
    assert public.parse_slot_key(key) == start.astimezone(dt.UTC)
    for bad in ("", None, "2026-10-25T01:30", "20261325T0130Z", "x" * 500):
        assert public.parse_slot_key(bad) is None


def test_merge_hours():
    spans = [(t("14:00"), t("18:00")), (t("08:30"), t("12:00")), (t("11:00"), t("12:30"))]
    assert public.merge_hours(spans) == [(t("08:30"), t("12:30")), (t("14:00"), t("18:00"))]
    assert public.merge_hours([(t("09:00"), t("10:00")), (t("10:00"), t("11:00"))]) == [
        (t("09:00"), t("11:00"))
    ]


def test_opening_hours_of_a_site():
    org = factories.organisation()
    site = factories.site(org)
    a = factories.practitioner(org, sites=[site])
    b = factories.practitioner(org, sites=[site])
    on_site = factories.motif(org, [a, b])
    home = factories.motif(org, [b], name="Visite", location_type=Motif.LocationType.HOME)
    factories.period(a, [on_site], start_time=t("08:30"), end_time=t("12:00"), weekdays="0,1")
    factories.period(b, [on_site], start_time=t("11:00"), end_time=t("13:00"), weekdays="0")
    factories.period(b, [on_site], start_time=t("14:00"), end_time=t("17:00"), weekdays="2")
    factories.period(a, [on_site], weekdays="2", every_n_weeks=2, start_time=t("09:00"))
    factories.period(b, [home], start_time=t("07:00"), end_time=t("08:00"), weekdays="3")
    factories.period(a, [on_site], weekdays="4", valid_until=dt.date(2026, 12, 1))  # over
    gone = factories.practitioner(org, sites=[site], active=False)
    factories.period(gone, [on_site], weekdays="4")
    saturday = dt.date(2027, 1, 9)
    factories.period(a, [on_site], weekdays="", single_date=saturday)

    week, extra = public.opening_hours([site], now=NOW)[site.id]
    hours = {d.name: (d.hours, d.some_weeks) for d in week}
    assert hours["lundi"] == ([(t("08:30"), t("13:00"))], [])
    assert hours["mardi"] == ([(t("08:30"), t("12:00"))], [])
    assert hours["mercredi"] == ([(t("14:00"), t("17:00"))], [(t("09:00"), t("12:00"))])
    assert hours["jeudi"] == ([], [])  # home visits do not open the site
    assert hours["vendredi"] == ([], [])
    assert extra == [public.ExtraOpening(saturday, [(t("09:00"), t("12:00"))])]


def test_search_matches_words_anywhere_without_accents_and_ranks_by_next_slot():
    org = factories.organisation(name="Maison de santé des Deux Vallées")
    site = factories.site(org, city="Doullens", postcode="80600")
    early = factories.practitioner(org, sites=[site], last_name="Étienne", profession="sage-femme")
    late = factories.practitioner(org, sites=[site], last_name="Vasseur", profession="kiné")
    suivi = factories.motif(org, [early], name="Suivi de grossesse")
    seance = factories.motif(org, [late], name="Séance")
    factories.period(early, [suivi], start_time=t("09:00"))
    factories.period(late, [seance], start_time=t("08:00"), weekdays="1")

    found = public.search("", "", now=NOW)
    assert [r.practitioner for r in found.results] == [early, late]  # Monday before Tuesday
    assert found.results[0].next.slot.start == wall_clock(MONDAY, t("09:00"))
    assert [r.practitioner for r in public.search("etienne", "", now=NOW).results] == [early]
    assert [r.practitioner for r in public.search("SAGE FEMME", "", now=NOW).results] == [early]
    assert [r.practitioner for r in public.search("grossesse", "80", now=NOW).results] == [early]
    assert [r.practitioner for r in public.search("deux vallees", "", now=NOW).results] == [
        early,
        late,
    ]
    assert public.search("", "Amiens", now=NOW).results == []
    assert public.search("", "80600", now=NOW, limit=1).more


def test_next_slot_skips_full_weeks():
    org, p, m = factories.agenda()
    later = wall_clock(MONDAY + dt.timedelta(weeks=3), t("09:00"))
    factories.absence(p, wall_clock(MONDAY, t("00:00")), later)
    found = public.next_slots({p: [m]}, now=NOW)
    assert found[p.id].slot.start == later


def test_manage_link_checks():
    org, p, m = factories.agenda()
    appointment = booking.book(
        practitioner=p,
        motif=m,
        start=wall_clock(MONDAY, t("09:00")),
        patient=factories.patient(org),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    token = appointment.manage_token
    assert public.manageable(appointment.public_id, token, now=NOW) == appointment
    assert public.manageable(appointment.public_id, token[:-1], now=NOW) is None
    assert public.manageable(appointment.public_id, "", now=NOW) is None
    late = appointment.end + public.MANAGE_LINK_TTL + dt.timedelta(seconds=1)
    assert public.manageable(appointment.public_id, token, now=late) is None
