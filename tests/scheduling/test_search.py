"""First available slot across practitioners (`scheduling.search`).

Examples named after the rules, then the search against a naive reference on randomised
small agendas: every candidate's first slot from `available_slots` over the whole horizon,
sorted by (start, practitioner id), the first `limit` of them.
"""

import datetime as dt
import random

import pytest

from accueil.booking import services as booking
from accueil.booking.models import Channel
from accueil.directory.models import Motif, Practitioner
from accueil.directory.services import Audience, may_book
from accueil.scheduling import search, services
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

FRIDAY = MONDAY - dt.timedelta(days=3)  # 1 January 2027, a public holiday: NOW's day


def found(**kw) -> list[tuple[Practitioner, dt.datetime]]:
    kw.setdefault("now", NOW)
    return [(f.practitioner, f.slot.start) for f in search.first_available(**kw)]


def practitioners(**kw) -> list[Practitioner]:
    return [p for p, _ in found(**kw)]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return wall_clock(day, dt.time(hour, minute))


def book(p: Practitioner, m: Motif, start: dt.datetime, now: dt.datetime = NOW) -> None:
    booking.book(
        practitioner=p,
        motif=m,
        start=start,
        patient=factories.patient(p.organisation),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=now,
    )


# --- Examples ----------------------------------------------------------------------------------


def test_orders_by_earliest_and_filters():
    org, gp, m = factories.agenda()
    nurse = factories.practitioner(org, profession="infirmier", last_name="Soin")
    m.practitioners.add(nurse)
    factories.period(nurse, [m], start_time=dt.time(8), end_time=dt.time(9))
    far = factories.organisation()
    remote = factories.practitioner(
        far, sites=[factories.site(far, postcode="13001", city="Marseille")]
    )
    remote_motif = factories.motif(far, [remote])
    factories.period(remote, [remote_motif], start_time=dt.time(7), end_time=dt.time(8))

    result = search.first_available(now=NOW)
    assert [f.practitioner for f in result] == [remote, nurse, gp]
    assert [f.motif for f in result] == [remote_motif, m, m]
    assert result[0].slot.start == at(MONDAY, 7)
    assert practitioners(limit=1) == [remote]
    assert practitioners(postcode_prefix="59") == [nurse, gp]
    assert practitioners(profession="infirmier") == [nurse]
    assert practitioners(profession="INFIRMIER") == [nurse]
    assert practitioners(city="marseille") == [remote]
    assert practitioners(organisation_id=org.id) == [nurse, gp]
    assert practitioners(organisation_id=far.id, postcode_prefix="59") == []


def test_looks_weeks_ahead_when_the_agenda_is_full_now():
    _, p, _ = factories.agenda()
    factories.absence(p, at(MONDAY, 0), at(MONDAY + dt.timedelta(days=30), 0))
    ((who, start),) = found()
    assert (who, start) == (p, at(MONDAY + dt.timedelta(days=30), 9))


def test_ignores_motifs_not_open_to_the_audience():
    _, p, _ = factories.agenda(bookable_by=Motif.BookableBy.STAFF)
    assert found() == []
    assert practitioners(audience=Audience.REFERRER) == []
    assert practitioners(audience=Audience.STAFF) == [p]


def test_ignores_inactive_practitioners_and_motifs():
    _, p, m = factories.agenda()
    p.active = False
    p.save()
    assert found() == []
    p.active = True
    p.save()
    m.active = False
    m.save()
    assert found() == []


def test_ties_on_start_go_to_the_lowest_practitioner_id():
    org = factories.organisation()
    team = [factories.practitioner(org) for _ in range(5)]
    m = factories.motif(org, team)
    for p in reversed(team):  # periods created in the opposite order of the ids
        factories.period(p, [m])
    assert found(limit=3) == [(p, at(MONDAY, 9)) for p in team[:3]]
    # The first two have their 9:00 taken: the others come first, then 9:20 by id again.
    for p in team[:2]:
        book(p, m, at(MONDAY, 9))
    assert found() == [(p, at(MONDAY, 9)) for p in team[2:]] + [
        (p, at(MONDAY, 9, 20)) for p in team[:2]
    ]


def test_motif_on_site_first_then_shortest_then_lowest_id():
    org = factories.organisation()
    p = factories.practitioner(org)
    video = factories.motif(
        org, [p], name="Téléconsultation", duration=dt.timedelta(minutes=10), location_type="video"
    )
    long = factories.motif(org, [p], name="Consultation longue", duration=dt.timedelta(minutes=40))
    usual = factories.motif(org, [p], name="Consultation", duration=dt.timedelta(minutes=20))
    same_length = factories.motif(org, [p], name="Suivi", duration=dt.timedelta(minutes=20))
    factories.period(p, [video, long, usual, same_length])
    (chosen,) = search.first_available(now=NOW)
    assert chosen.motif == usual  # on site, 20 minutes, created before `same_length`
    # A motif name picks among the matching motifs, the shortest first, wherever it is.
    assert [f.motif for f in search.first_available(now=NOW, motif_name="consultation")] == [video]
    assert [f.motif for f in search.first_available(now=NOW, motif_name="LONGUE")] == [long]
    assert search.first_available(now=NOW, motif_name="vaccin") == []


def test_a_practitioner_offering_only_remote_motifs_is_still_found():
    org = factories.organisation()
    p = factories.practitioner(org)
    phone = factories.motif(org, [p], name="Appel", location_type="phone")
    factories.period(p, [phone])
    assert [f.motif for f in search.first_available(now=NOW)] == [phone]


def test_no_slot_on_or_after_an_announced_departure():
    _, leaving, _ = factories.agenda()
    _, staying, _ = factories.agenda()
    factories.absence(leaving, at(MONDAY, 0), at(MONDAY + dt.timedelta(days=2), 0))
    leaving.departure_date = MONDAY + dt.timedelta(days=2)
    leaving.save()
    assert practitioners() == [staying]
    leaving.departure_date = MONDAY + dt.timedelta(days=3)
    leaving.save()
    assert found() == [(staying, at(MONDAY, 9)), (leaving, at(MONDAY + dt.timedelta(days=2), 9))]


def test_public_holidays_close_unless_the_organisation_works_on_them():
    works = factories.organisation(closed_on_public_holidays=False)
    open_on_holidays = factories.practitioner(works)
    factories.period(open_on_holidays, [factories.motif(works, [open_on_holidays])])
    _, closed, _ = factories.agenda()
    now = at(FRIDAY, 7)  # New Year's Day
    assert found(now=now) == [(open_on_holidays, at(FRIDAY, 9)), (closed, at(MONDAY, 9))]


def test_alsace_moselle_holidays():
    _, metropole, _ = factories.agenda()
    alsace, p, _ = factories.agenda()
    alsace.holidays_subdivision = "57"
    alsace.save()
    good_friday = dt.date(2027, 3, 26)
    now = at(good_friday, 7)
    assert found(now=now) == [
        (metropole, at(good_friday, 9)),
        (p, at(good_friday + dt.timedelta(days=4), 9)),  # Easter Monday is a holiday too
    ]


def test_staff_search_within_the_notice_and_beyond_the_public_horizon():
    _, p, m = factories.agenda(horizon=dt.timedelta(days=7))
    now = at(MONDAY, 9, 5)
    assert found(now=now) == [(p, at(MONDAY, 9, 40))]
    assert found(now=now, audience=Audience.STAFF) == [(p, at(MONDAY, 9, 20))]
    factories.absence(p, at(MONDAY, 0), at(MONDAY + dt.timedelta(days=14), 0))
    assert found(now=now) == []
    assert found(now=now, audience=Audience.STAFF) == [(p, at(MONDAY + dt.timedelta(days=14), 9))]


def test_nothing_found():
    assert found() == []
    _, p, _ = factories.agenda()
    assert found(profession="sage-femme") == []
    assert found(limit=0) == []
    factories.absence(p, at(MONDAY, 0), at(MONDAY + dt.timedelta(days=200), 0))
    assert found() == []


@pytest.mark.parametrize("later", ["full on its first day", "open from the next day only"])
def test_a_later_bound_may_hide_an_earlier_slot(later):
    # Two practitioners open from Monday 9:00 but away until Tuesday 15:00 fill the first
    # batch (limit 1: two candidates); the third, whose bound is later, has an earlier slot.
    org = factories.organisation()
    m = factories.motif(org)
    for _ in range(2):
        away = factories.practitioner(org)
        m.practitioners.add(away)
        factories.period(away, [m], start_time=dt.time(9), end_time=dt.time(17))
        factories.absence(away, at(MONDAY, 0), at(MONDAY + dt.timedelta(days=1), 15))
    third = factories.practitioner(org)
    m.practitioners.add(third)
    tuesday = MONDAY + dt.timedelta(days=1)
    if later == "full on its first day":
        factories.period(third, [m], start_time=dt.time(9, 20), end_time=dt.time(17))
        factories.absence(third, at(MONDAY, 0), at(tuesday, 0))
        expected = at(tuesday, 9, 20)
    else:
        factories.period(third, [m], start_time=dt.time(9, 40), end_time=dt.time(17), weekdays="1")
        expected = at(tuesday, 9, 40)
    assert found(limit=1) == [(third, expected)]


def test_group_session_with_seats_left_is_offered():
    _, p, m = factories.agenda(capacity=3)
    book(p, m, at(MONDAY, 9))
    (result,) = search.first_available(now=NOW)
    assert (result.slot.start, result.slot.remaining) == (at(MONDAY, 9), 2)


def test_loads_a_few_agendas_not_every_candidates(django_assert_max_num_queries, monkeypatch):
    org = factories.organisation()
    team = [factories.practitioner(org) for _ in range(30)]
    m = factories.motif(org, team)
    for i, p in enumerate(team):
        factories.period(p, [m], start_time=dt.time(8 + i % 4))
    loaded = []
    load_agendas = services.load_agendas

    def spy(practitioners, *args, **kw):
        practitioners = list(practitioners)
        loaded.extend(practitioners)
        return load_agendas(practitioners, *args, **kw)

    monkeypatch.setattr(services, "load_agendas", spy)
    with django_assert_max_num_queries(12):
        result = search.first_available(now=NOW, limit=3)
    assert [f.practitioner for f in result] == [team[0], team[4], team[8]]
    assert len(loaded) <= 6
    # The API lists the sites of each practitioner found: already loaded.
    with django_assert_max_num_queries(0):
        assert all(f.practitioner.sites.all() for f in result)
        assert all(f.practitioner.organisation.name for f in result)


# --- Against a naive reference, on random agendas --------------------------------------------


def reference(
    *,
    profession: str = "",
    motif_name: str = "",
    organisation_id: int | None = None,
    postcode_prefix: str = "",
    city: str = "",
    audience: Audience = Audience.PUBLIC,
    now: dt.datetime,
    limit: int = 10,
) -> list[tuple[int, int, dt.datetime, int]]:
    """(practitioner id, motif id, start, site id) from each practitioner's own slot search."""
    first = services.today(now)
    last = first + dt.timedelta(days=services.MAX_SEARCH_DAYS)
    rows = []
    for p in Practitioner.objects.select_related("organisation").prefetch_related("sites"):
        sites = list(p.sites.all())
        if not (
            p.active
            and (not profession or p.profession.lower() == profession.lower())
            and (organisation_id is None or p.organisation_id == organisation_id)
            and (not postcode_prefix or any(s.postcode.startswith(postcode_prefix) for s in sites))
            and (not city or any(s.city.lower() == city.lower() for s in sites))
        ):
            continue
        motifs = [
            m
            for m in p.motifs.all()
            if may_book(m, audience) and motif_name.lower() in m.name.lower()
        ]
        if not motifs:
            continue
        motif = min(
            motifs,
            key=lambda m: (
                not motif_name and m.location_type != Motif.LocationType.ON_SITE,
                m.duration,
                m.id,
            ),
        )
        slots = services.available_slots(p, motif, first, last, now=now, audience=audience, limit=1)
        if slots:
            rows.append((slots[0].start, p.id, motif.id, slots[0].site_id))
    rows.sort()
    return [(pid, mid, start, site) for start, pid, mid, site in rows[:limit]]


PROFESSIONS = ["medecin generaliste", "infirmier", "sage-femme"]
TOWNS = [("59000", "Lille"), ("59100", "Roubaix"), ("62000", "Arras")]


def random_agendas(rng: random.Random, now: dt.datetime, size: int) -> None:
    """`size` practitioners in a few organisations: varied motifs, periods, absences and
    bookings around `now`, some inactive or leaving."""
    organisations = [
        factories.organisation(
            holidays_subdivision=rng.choice(["", "", "57"]),
            closed_on_public_holidays=rng.random() < 0.8,
        )
        for _ in range(rng.randint(1, 3))
    ]
    today = services.today(now)
    for _ in range(size):
        org = rng.choice(organisations)
        postcode, town = rng.choice(TOWNS)
        p = factories.practitioner(
            org,
            profession=rng.choice(PROFESSIONS),
            sites=[factories.site(org, postcode=postcode, city=town)],
            active=rng.random() < 0.9,
            departure_date=today + dt.timedelta(days=rng.randint(0, 20))
            if rng.random() < 0.15
            else None,
        )
        motifs = []
        shared = list(org.motifs.all())
        if shared and rng.random() < 0.4:  # a motif of a colleague, too
            m = rng.choice(shared)
            m.practitioners.add(p)
            motifs.append(m)
        for _ in range(rng.randint(1, 3)):
            motifs.append(random_motif(rng, org, p))
        for _ in range(rng.randint(1, 3)):
            random_period(rng, p, motifs, today)
        if rng.random() < 0.5:  # away now: the first slot comes hours or days after the bound
            hours = rng.choice([2, 5, 24, 30, 50, 75])
            factories.absence(p, now - dt.timedelta(hours=1), now + dt.timedelta(hours=hours))
        for _ in range(rng.randint(0, 2)):
            start = now + dt.timedelta(minutes=rng.randrange(-24 * 60, 10 * 24 * 60, 15))
            length = dt.timedelta(minutes=rng.choice([30, 90, 240, 24 * 60, 4 * 24 * 60]))
            weekly = rng.random() < 0.3
            factories.absence(
                p,
                start,
                start + (min(length, dt.timedelta(hours=6)) if weekly else length),
                weekly=weekly,
                repeat_until=today + dt.timedelta(days=rng.randint(0, 30)) if weekly else None,
            )
        # Bookings mostly on the first free slots: the first slot found is then often later
        # than the bound, or on another day.
        for _ in range(rng.randint(0, 10) if p.active else 0):
            m = rng.choice([m for m in motifs if m.active] or [None])
            if m is None:
                break
            day = today + dt.timedelta(days=rng.choice([0, 0, 1, 2, 5]))
            slots = services.available_slots(p, m, day, day, now=now, audience=Audience.STAFF)
            if slots:
                book(p, m, rng.choice(slots[:1] * 3 + slots[:4]).start, now=now)


def random_motif(rng: random.Random, org, p: Practitioner) -> Motif:
    duration = dt.timedelta(minutes=rng.choice([10, 15, 20, 30, 45]))
    return factories.motif(
        org,
        [p],
        name=rng.choice(["Consultation", "Suivi", "Vaccination", "Téléconsultation"]),
        duration=duration,
        step=rng.choice([None, None, duration + dt.timedelta(minutes=5)]),
        location_type=rng.choice(["on_site", "on_site", "phone", "video", "home"]),
        bookable_by=rng.choice(["public", "public", "public", "referrers", "staff"]),
        min_notice=dt.timedelta(minutes=rng.choice([0, 30, 30, 120, 24 * 60])),
        horizon=dt.timedelta(days=rng.choice([91, 91, 7, 20])),
        buffer_after=dt.timedelta(minutes=rng.choice([0, 0, 5, 10])),
        travel_time=dt.timedelta(minutes=rng.choice([0, 15])),
        capacity=rng.choice([1, 1, 1, 3]),
        active=rng.random() < 0.95,
    )


def random_period(rng: random.Random, p: Practitioner, motifs: list[Motif], today: dt.date):
    # Mostly the same few hours on weekdays, so that bounds tie or interleave.
    start = rng.choice([8 * 60, 8 * 60 + 30, 9 * 60, 14 * 60, rng.randrange(7 * 60, 18 * 60, 10)])
    end = start + rng.choice([60, 120, 180, 240])
    kw = {}
    if rng.random() < 0.15:
        kw["single_date"] = today + dt.timedelta(days=rng.randint(0, 15))
        kw["weekdays"] = ""
    else:
        days = sorted(rng.sample(range(7), rng.randint(1, 5)))
        kw["weekdays"] = rng.choice(["0,1,2,3,4", ",".join(map(str, days))])
        kw["every_n_weeks"] = rng.choice([1, 1, 2, 3])
        kw["valid_from"] = today + dt.timedelta(days=rng.randint(-30, 10))
        if rng.random() < 0.3:
            kw["valid_until"] = today + dt.timedelta(days=rng.randint(0, 30))
    factories.period(
        p,
        rng.sample(motifs, rng.randint(1, len(motifs))),
        start_time=dt.time(start // 60, start % 60),
        end_time=dt.time(min(end, 23 * 60 + 59) // 60, min(end, 23 * 60 + 59) % 60),
        **kw,
    )


FILTERS = [
    {},
    {"limit": 1},
    {"limit": 2},
    {"profession": "infirmier"},
    {"postcode_prefix": "59"},
    {"city": "lille"},
    {"motif_name": "consult"},
    {"audience": Audience.STAFF},
    {"audience": Audience.REFERRER, "limit": 3},
]


@pytest.mark.parametrize("seed", range(24))
def test_same_answers_as_each_practitioners_own_search(seed):
    rng = random.Random(seed)
    # New Year's Day (a holiday), a Monday evening, or Good Friday 2027 (a holiday in
    # Alsace-Moselle), two days before the spring-forward change; then up to 3 days later.
    now = rng.choice([NOW, at(MONDAY, 18, 30), at(dt.date(2027, 3, 26), 11)])
    now += dt.timedelta(minutes=rng.randrange(0, 3 * 24 * 60, 5))
    random_agendas(rng, now, size=rng.randint(4, 12))
    organisation = {"organisation_id": Practitioner.objects.order_by("id")[0].organisation_id}
    for filters in [*FILTERS, organisation]:
        got = [
            (f.practitioner.id, f.motif.id, f.slot.start, f.slot.site_id)
            for f in search.first_available(now=now, **filters)
        ]
        assert got == reference(now=now, **filters), filters


@pytest.mark.parametrize("seed", range(3))
def test_same_answers_with_many_candidates_and_several_batches(seed):
    rng = random.Random(1000 + seed)
    now = at(MONDAY, 10) + dt.timedelta(minutes=rng.randrange(0, 10 * 60, 5))
    org = factories.organisation()
    team = [factories.practitioner(org) for _ in range(25)]
    m = factories.motif(org, team)
    for p in team:
        hour = rng.choice([8, 9, 14])
        factories.period(p, [m], start_time=dt.time(hour), end_time=dt.time(hour + 3))
        for _ in range(rng.randint(0, 12)):
            day = MONDAY + dt.timedelta(days=rng.randint(0, 3))
            slots = services.available_slots(p, m, day, day, now=now, audience=Audience.STAFF)
            if slots:
                book(p, m, rng.choice(slots[:6]).start, now=now)
    for limit in (1, 3, 10, 30):
        got = [
            (f.practitioner.id, f.motif.id, f.slot.start, f.slot.site_id)
            for f in search.first_available(now=now, limit=limit)
        ]
        assert got == reference(now=now, limit=limit)
