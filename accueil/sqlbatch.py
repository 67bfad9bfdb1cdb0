"""Several SQL statements in one round trip to PostgreSQL.

A booking is a handful of small statements; on PostgreSQL each one costs a round trip to
the server, more than the statement itself (see README "Performance" and decision 0012).
`run()` sends statements that do not depend on each other's results as one query string:
psycopg's client-side-binding cursor (Django's default, `ClientCursor`) binds the
parameters, the server runs them in order, each with its own snapshot as separate
statements would have, and `nextset()` walks the results. A failing statement raises as
it would alone and the ones after it do not run. Elsewhere (SQLite, server-side binding)
the statements run one after the other, with the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.db import connection, models
from django.db.models.query import get_related_populators

Statement = tuple[str, Sequence]


def run(statements: Sequence[Statement]) -> list[list[tuple]]:
    """The rows of each statement, in order (an empty list for one that returns none)."""
    with connection.cursor() as cursor:
        if len(statements) > 1 and _binds_on_client(cursor):
            cursor.execute(
                ";\n".join(sql for sql, _ in statements),
                [value for _, params in statements for value in params],
            )
            results = [_rows(cursor)]
            while cursor.nextset():
                results.append(_rows(cursor))
            return results
        results = []
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(_rows(cursor))
        return results


def _rows(cursor) -> list[tuple]:
    return cursor.fetchall() if cursor.description else []


def _binds_on_client(cursor) -> bool:
    if connection.vendor != "postgresql":
        return False
    try:
        from psycopg import ClientCursor  # psycopg 3; psycopg2 has no nextset()
    except ImportError:
        return False
    return isinstance(cursor.cursor, ClientCursor)


def insert(
    objs: Sequence[models.Model], *, expressions: Mapping[str, Statement] | None = None
) -> Statement:
    """INSERT ... RETURNING id of new rows of one model, with the values `save()` would
    write (defaults, auto_now_add). `expressions`: by attribute name, SQL and its parameters
    written instead of the value, such as a subquery for an id the batch has not returned
    yet. Objects given an id (reserved beforehand) are written with it. Pass the
    statement's rows to `saved()`."""
    opts = objs[0]._meta
    with_pk = objs[0].pk is not None
    if any((obj.pk is not None) != with_pk for obj in objs):
        raise ValueError("Either every object has its id or none has.")
    fields = [f for f in opts.concrete_fields if (with_pk or f is not opts.pk) and not f.generated]
    quote = connection.ops.quote_name
    rows, params = [], []
    for obj in objs:
        values = []
        for field in fields:
            if expressions and field.attname in expressions:
                sql, values_of_sql = expressions[field.attname]
                values.append(sql)
                params.extend(values_of_sql)
            else:
                values.append("%s")
                params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
        rows.append(f"({', '.join(values)})")
    columns = ", ".join(quote(f.column) for f in fields)
    return (
        f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {', '.join(rows)}"
        f" RETURNING {quote(opts.pk.column)}",
        params,
    )


def saved(objs: Sequence[models.Model], rows: list[tuple]) -> None:
    """The objects of an `insert()` given their ids, as `save()` leaves them."""
    for obj, (pk,) in zip(objs, rows, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def select(queryset: models.QuerySet) -> tuple[Statement, Callable[[list[tuple]], list]]:
    """A model queryset's statement, and what turns its rows into the instances iterating
    it would give (database converters and select_related included), for a batch."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    statement = compiler.as_sql()

    def instances(rows: list[tuple]) -> list:
        # As django.db.models.query.ModelIterable, on rows already fetched.
        select, klass_info = compiler.select, compiler.klass_info
        model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[first:last]]
        populators = get_related_populators(klass_info, select, queryset.db)
        objs = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(queryset.db, names, row[first:last])
            for populator in populators:
                populator.populate(row, obj)
            objs.append(obj)
        return objs

    return statement, instances
