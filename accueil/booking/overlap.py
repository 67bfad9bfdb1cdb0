"""The database's own guarantee that a practitioner is never booked twice (PostgreSQL).

Two active appointments of one practitioner may not overlap unless they are participants
of the same group session (same `session_key`). btree_gist lets a GiST index combine the
equality on ids and keys with the overlap of time ranges.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

CONSTRAINT_NAME = "appointment_no_overlap"

ADD_SQL = f"""
ALTER TABLE booking_appointment ADD CONSTRAINT {CONSTRAINT_NAME} EXCLUDE USING gist (
    practitioner_id WITH =,
    tstzrange("start", "end", '[)') WITH &&,
    session_key WITH <>
) WHERE (status IN ('booked', 'arrived', 'seen', 'no_show'))
"""

DROP_SQL = f"ALTER TABLE booking_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT_NAME}"


def is_enforced_by_database(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


DEADLOCK = "40P01"


def is_deadlock_on_the_constraint(exc: Exception) -> bool:
    """A deadlock the server broke while checking the constraint for a new row."""
    cause = exc.__cause__
    return (
        getattr(cause, "sqlstate", None) == DEADLOCK
        and "exclusion constraint" in str(exc)
        and "booking_appointment" in str(exc)
    )
