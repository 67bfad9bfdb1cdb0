"""The agenda reads of every slot search and booking, as plain SQL.

They run inside each booking's locked transaction, so their cost is the booking's cost:
building these filters with the ORM took about 0.5 ms of Python per query, several times
the database's own work (see `bench/`). The SQL below is portable (SQLite and PostgreSQL);
`_instant` and `_duration` even out what the two drivers return for instants and durations.
The tests of `scheduling.services`, of the engine and of `booking` run through it on both
databases. `agenda_statements` are sent in one round trip on PostgreSQL (sqlbatch).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection

from accueil import sqlbatch
from accueil.booking.models import ACTIVE_STATUSES, Appointment
from accueil.directory.models import Motif
from accueil.scheduling.models import Absence, OpeningPeriod

_q = connection.ops.quote_name
PERIOD = _q(OpeningPeriod._meta.db_table)
PERIOD_MOTIFS = _q(OpeningPeriod.motifs.through._meta.db_table)
ABSENCE = _q(Absence._meta.db_table)
APPOINTMENT = _q(Appointment._meta.db_table)
MOTIF = _q(Motif._meta.db_table)
END = _q("end")


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _date(value: dt.date | None):
    return connection.ops.adapt_datefield_value(value)


def _instant(text: str) -> dt.datetime:
    """An instant selected as text (`_TEXT`): "2026-03-29 01:30:00+00" from PostgreSQL (in
    UTC, the connection's time zone under Django), naive UTC "2026-03-29 01:30:00" from
    SQLite. Parsed by `fromisoformat`, in C: the drivers' own datetime loaders are Python
    and cost several microseconds per value, times thousands of values per slot search."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _text(column: str) -> str:
    return f"CAST({column} AS TEXT)"


def _duration(value: dt.timedelta | int) -> dt.timedelta:
    """SQLite stores durations as microseconds, PostgreSQL as intervals."""
    return value if isinstance(value, dt.timedelta) else dt.timedelta(microseconds=value)


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def period_rows(
    practitioner_ids: Sequence[int],
    first: dt.date,
    last: dt.date,
    *,
    motif_ids: Sequence[int] | None = None,
    weekdays: Iterable[int] | None = None,
) -> list[tuple]:
    """(period id, motif id, practitioner id, site id, start time, end time, weekdays,
    every n weeks, valid from, valid until, single date), one row per period and motif,
    ordered by period. `weekdays` narrows recurring periods to those weekdays."""
    if not practitioner_ids:
        return []
    return _fetch(*_period_statement(practitioner_ids, first, last, motif_ids, weekdays))


def _period_statement(
    practitioner_ids: Sequence[int],
    first: dt.date,
    last: dt.date,
    motif_ids: Sequence[int] | None,
    weekdays: Iterable[int] | None,
) -> sqlbatch.Statement:
    params: list = [*practitioner_ids]
    motif_filter = ""
    if motif_ids is not None:
        motif_filter = f"AND pm.motif_id IN ({_placeholders(motif_ids)})"
        params += motif_ids
    on_weekdays = ""
    if weekdays is not None:
        days = sorted(set(weekdays))
        on_weekdays = "AND (" + " OR ".join(["p.weekdays LIKE %s"] * len(days)) + ")"
    params += [_date(first), _date(last), _date(last), _date(first)]
    if weekdays is not None:
        params += [f"%{day}%" for day in days]  # single digits, comma-separated
    sql = f"""
        SELECT pm.openingperiod_id, pm.motif_id, p.practitioner_id, p.site_id, p.start_time,
               p.end_time, p.weekdays, p.every_n_weeks, p.valid_from, p.valid_until,
               p.single_date
          FROM {PERIOD_MOTIFS} pm JOIN {PERIOD} p ON p.id = pm.openingperiod_id
         WHERE p.practitioner_id IN ({_placeholders(practitioner_ids)}) {motif_filter}
           AND (p.single_date BETWEEN %s AND %s
                OR (p.single_date IS NULL AND p.valid_from <= %s
                    AND (p.valid_until IS NULL OR p.valid_until >= %s) {on_weekdays}))
         ORDER BY pm.openingperiod_id"""
    return sql, params


def _absence_statement(
    practitioner_ids: Sequence[int],
    window_start: dt.datetime,
    window_end: dt.datetime,
    first: dt.date,
) -> sqlbatch.Statement:
    """(practitioner id, start, end, weekly, repeat until) of absences that may touch the
    window: one-off ones overlapping it, weekly ones still repeating on `first`."""
    sql = f"""
        SELECT practitioner_id, {_text("start")}, {_text(END)}, weekly, repeat_until
          FROM {ABSENCE}
         WHERE practitioner_id IN ({_placeholders(practitioner_ids)}) AND start < %s
           AND ((weekly = %s AND {END} > %s)
                OR (weekly = %s AND (repeat_until IS NULL OR repeat_until >= %s)))"""
    params = [
        *practitioner_ids,
        _datetime(window_end),
        False,
        _datetime(window_start),
        True,
        _date(first),
    ]
    return sql, params


def _absences(rows: list[tuple]) -> list[tuple]:
    return [
        (pid, _instant(start), _instant(end), bool(weekly), until)
        for pid, start, end, weekly, until in rows
    ]


def _booked_statement(
    practitioner_ids: Sequence[int],
    window_start: dt.datetime,
    window_end: dt.datetime,
    ignore_appointment_id: int | None,
) -> sqlbatch.Statement:
    """(practitioner id, session key, start, end, motif id, location type, buffer before,
    buffer after, travel time) of active appointments overlapping the window."""
    ignore = "AND a.id <> %s" if ignore_appointment_id is not None else ""
    sql = f"""
        SELECT a.practitioner_id, a.session_key, {_text("a.start")}, {_text(f"a.{END}")},
               a.motif_id,
               m.location_type, m.buffer_before, m.buffer_after, m.travel_time
          FROM {APPOINTMENT} a JOIN {MOTIF} m ON m.id = a.motif_id
         WHERE a.practitioner_id IN ({_placeholders(practitioner_ids)})
           AND a.status IN ({_placeholders(ACTIVE_STATUSES)})
           AND a.start < %s AND a.{END} > %s {ignore}"""
    params = [
        *practitioner_ids,
        *(str(s) for s in ACTIVE_STATUSES),
        _datetime(window_end),
        _datetime(window_start),
    ]
    if ignore_appointment_id is not None:
        params.append(ignore_appointment_id)
    return sql, params


def _booked(rows: list[tuple]) -> list[tuple]:
    return [
        (pid, key, _instant(start), _instant(end), motif_id, location, *map(_duration, guards))
        for pid, key, start, end, motif_id, location, *guards in rows
    ]


def agenda_statements(
    practitioner_ids: Sequence[int],
    first: dt.date,
    last: dt.date,
    window_start: dt.datetime,
    window_end: dt.datetime,
    *,
    motif_ids: Sequence[int] | None = None,
    weekdays: Iterable[int] | None = None,
    ignore_appointment_id: int | None = None,
) -> list[sqlbatch.Statement]:
    """The reads of `period_rows`, `_absence_statement` and `_booked_statement`, sent in
    one round trip (sqlbatch): one booking's or one search's reads (the window covers
    first..last with its margins). `agenda_rows` reads their rows."""
    return [
        _period_statement(practitioner_ids, first, last, motif_ids, weekdays),
        _absence_statement(practitioner_ids, window_start, window_end, first),
        _booked_statement(practitioner_ids, window_start, window_end, ignore_appointment_id),
    ]


def agenda_rows(
    periods: list[tuple], absences: list[tuple], booked: list[tuple]
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The rows of `agenda_statements`, instants parsed."""
    return periods, _absences(absences), _booked(booked)
