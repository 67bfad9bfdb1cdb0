"""What the receptionist says about dates and times, the way a French voice says them:
"mardi 3 mars à 14 h 30", "le 1er avril", "9 h". Pure functions, spoken forms of the
written ones in `booking.french` (the same words, without the year)."""

from __future__ import annotations

import datetime as dt

from accueil.booking.french import french_date, french_datetime, french_day_month, french_time
from accueil.scheduling.engine import PARIS

__all__ = ["PARIS", "say_date", "say_datetime", "say_list", "say_time"]


def say_date(day: dt.date, *, weekday: bool = True) -> str:
    """Like "mardi 3 mars" or "lundi 1er juin"; without the weekday "3 mars"."""
    return french_date(day, year=False) if weekday else french_day_month(day)


def say_time(moment: dt.time) -> str:
    """Like "14 h 30", "9 h", "9 h 05"."""
    return french_time(moment)


def say_datetime(instant: dt.datetime) -> str:
    """Like "mardi 3 mars à 14 h 30", in Paris time (ValueError for a naive datetime)."""
    return french_datetime(instant, year=False)


def say_list(items: list[str], last: str = "ou") -> str:
    """ "a", "a ou b", "a, b ou c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
