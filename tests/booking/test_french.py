"""Dates written the French way for patients: "mardi 3 mars 2026 à 14 h 30"."""

import datetime as dt

import pytest

from accueil.booking.french import (
    french_date,
    french_datetime,
    french_day_month,
    french_short_date,
    french_time,
    french_when,
)
from accueil.scheduling.engine import PARIS


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_the_issue_example():
    assert french_datetime(paris(2026, 3, 3, 14, 30)) == "mardi 3 mars 2026 à 14 h 30"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 3, 1, 9, 0), "dimanche 1er mars 2026 à 9 h"),
        (paris(2026, 8, 10, 9, 5), "lundi 10 août 2026 à 9 h 05"),
        (paris(2026, 12, 31, 0, 0), "jeudi 31 décembre 2026 à 0 h"),
        (paris(2027, 2, 1, 18, 45), "lundi 1er février 2027 à 18 h 45"),
    ],
)
def test_first_of_the_month_whole_hours_and_minutes(moment, expected):
    assert french_datetime(moment) == expected


def test_any_time_zone_is_shown_in_paris_time():
    # 13:30 UTC is 14:30 in Paris in winter (+01:00) and 15:30 in summer (+02:00).
    assert french_datetime(dt.datetime(2026, 3, 3, 13, 30, tzinfo=dt.UTC)).endswith("14 h 30")
    assert french_datetime(dt.datetime(2026, 7, 7, 13, 30, tzinfo=dt.UTC)).endswith("15 h 30")
    # Late evening UTC is already the next day in Paris.
    assert (
        french_date(dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)) == "mercredi 1er juillet 2026"
    )


def test_daylight_saving_days():
    # Spring forward, Sunday 29 March 2026: 2:00 becomes 3:00.
    assert french_datetime(dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)) == (
        "dimanche 29 mars 2026 à 1 h 30"
    )
    assert french_datetime(dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)) == (
        "dimanche 29 mars 2026 à 3 h 30"
    )
    # Fall back, Sunday 25 October 2026: 2:30 happens twice, an hour apart.
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    second = first + dt.timedelta(hours=1)
    assert french_datetime(first) == french_datetime(second) == "dimanche 25 octobre 2026 à 2 h 30"
    assert french_datetime(second + dt.timedelta(hours=1)) == "dimanche 25 octobre 2026 à 3 h 30"


def test_short_forms():
    day = dt.date(2026, 3, 1)
    assert french_date(day, year=False) == "dimanche 1er mars"
    assert french_short_date(day) == "dim. 1er mars"
    assert french_day_month(day) == "1er mars"
    assert french_time(dt.time(8, 30)) == "8 h 30"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        french_datetime(dt.datetime(2026, 3, 3, 14, 30))


def test_relative_days_for_the_next_slot():
    today = dt.date(2026, 12, 31)
    assert french_when(paris(2026, 12, 31, 15, 0), today) == "aujourd'hui à 15 h"
    assert french_when(paris(2027, 1, 1, 9, 30), today) == "demain à 9 h 30"
    assert french_when(paris(2027, 1, 4, 9, 0), today) == "lundi 4 janvier 2027 à 9 h"
    assert french_when(paris(2026, 12, 31, 9, 0), dt.date(2026, 12, 1)) == (
        "jeudi 31 décembre à 9 h"
    )
