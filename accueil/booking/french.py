"""Dates and times written the French way, for patients: "mardi 3 mars 2026 à 14 h 30".

Pure functions (no locale, no database). Instants are shown in Paris time, whatever the
time zone they come in; "1er" for the first day of a month; hours as "9 h" and "14 h 30"
(the French typographic form, no leading zero, "h" between spaces).
"""

from __future__ import annotations

import datetime as dt

from accueil.scheduling.engine import PARIS

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_SHORT = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
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


def _local(value: dt.datetime | dt.date) -> dt.datetime | dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("Give an aware datetime: Paris time is derived from it.")
        return value.astimezone(PARIS)
    return value


def day_number(day: dt.date) -> str:
    return "1er" if day.day == 1 else str(day.day)


def french_date(value: dt.datetime | dt.date, *, year: bool = True) -> str:
    """Like "mardi 3 mars 2026" or "dimanche 1er mars 2026"; without the year "mardi 3 mars"."""
    day = _local(value)
    text = f"{WEEKDAYS[day.weekday()]} {day_number(day)} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def french_short_date(value: dt.datetime | dt.date) -> str:
    """Like "mar. 3 mars", for column headings."""
    day = _local(value)
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day_number(day)} {MONTHS[day.month - 1]}"


def french_day_month(value: dt.datetime | dt.date) -> str:
    """Like "3 mars" or "1er mars"."""
    day = _local(value)
    return f"{day_number(day)} {MONTHS[day.month - 1]}"


def french_weekday(value: dt.datetime | dt.date) -> str:
    """Like "mardi"."""
    return WEEKDAYS[_local(value).weekday()]


def french_time(value: dt.datetime | dt.time) -> str:
    """Like "14 h 30", "9 h", "9 h 05"."""
    moment = _local(value) if isinstance(value, dt.datetime) else value
    if moment.minute == 0:
        return f"{moment.hour} h"
    return f"{moment.hour} h {moment.minute:02d}"


def french_datetime(value: dt.datetime, *, year: bool = True) -> str:
    """Like "mardi 3 mars 2026 à 14 h 30", in Paris time."""
    local = _local(value)
    return f"{french_date(local, year=year)} à {french_time(local)}"


def french_time_range(start: dt.time, end: dt.time) -> str:
    """Like "8 h 30 – 12 h"."""
    return f"{french_time(start)} – {french_time(end)}"


def french_when(value: dt.datetime, today: dt.date) -> str:
    """Like "aujourd'hui à 15 h", "demain à 9 h", else "jeudi 26 novembre à 9 h" (the year
    only when it is not this one)."""
    local = _local(value)
    days = (local.date() - today).days
    if days == 0:
        day = "aujourd'hui"
    elif days == 1:
        day = "demain"
    else:
        day = french_date(local, year=local.year != today.year)
    return f"{day} à {french_time(local)}"
