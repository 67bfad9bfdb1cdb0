"""What the receptionist says about dates and times, the way a French voice says them:
"mardi 3 mars à 14 h 30", "le 1er avril", "9 h". Pure functions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def say_date(day: dt.date, *, weekday: bool = True) -> str:
    """Like "mardi 3 mars" or "lundi 1er juin"."""
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {MONTHS[day.month - 1]}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def say_time(moment: dt.time) -> str:
    """Like "14 h 30", "9 h", "9 h 05"."""
    if moment.minute == 0:
        return f"{moment.hour} h"
    return f"{moment.hour} h {moment.minute:02d}"


def say_datetime(instant: dt.datetime) -> str:
    """Like "mardi 3 mars à 14 h 30", in Paris time."""
    if instant.tzinfo is None:
        raise ValueError("An aware datetime is needed to speak Paris time.")
    local = instant.astimezone(PARIS)
    return f"{say_date(local.date())} à {say_time(local.time())}"


def say_list(items: list[str], last: str = "ou") -> str:
    """ "a", "a ou b", "a, b ou c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
