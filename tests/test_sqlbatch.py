"""sqlbatch: several statements in one round trip on PostgreSQL, the same results anywhere."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accueil import sqlbatch
from accueil.booking.models import Appointment, AppointmentEvent
from accueil.directory.models import Organisation, Site
from accueil.notify.models import NotificationSettings
from tests import factories

pytestmark = pytest.mark.django_db

ORGANISATION = connection.ops.quote_name(Organisation._meta.db_table)


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def test_rows_of_each_statement_in_order_in_one_round_trip_on_postgresql():
    first = factories.organisation(name="Alpha")
    second = factories.organisation(name="Bêta")
    statements = [
        (f"SELECT name FROM {ORGANISATION} WHERE id = %s", [first.id]),
        (f"SELECT name FROM {ORGANISATION} WHERE id = %s", [-1]),  # no row
        (f"UPDATE {ORGANISATION} SET name = %s WHERE id = %s", ["Gamma", second.id]),
        (
            f"SELECT id, name FROM {ORGANISATION} WHERE id IN (%s, %s) ORDER BY id",
            [first.id, second.id],
        ),
    ]
    with CaptureQueriesContext(connection) as queries:
        results = sqlbatch.run(statements)
    assert results == [[("Alpha",)], [], [], [(first.id, "Alpha"), (second.id, "Gamma")]]
    # One round trip on PostgreSQL (client-side binding); one by one elsewhere.
    assert len(queries) == (1 if on_postgresql() else 4)


def test_a_failing_statement_raises_and_the_next_ones_do_not_run():
    first = factories.organisation(name="Alpha")
    taken = factories.organisation(name="Bêta")
    with pytest.raises(IntegrityError), transaction.atomic():
        sqlbatch.run(
            [
                (f"UPDATE {ORGANISATION} SET name = %s WHERE id = %s", ["Changed", first.id]),
                (f"UPDATE {ORGANISATION} SET slug = %s WHERE id = %s", [taken.slug, first.id]),
                (f"UPDATE {ORGANISATION} SET name = %s WHERE id = %s", ["Never", taken.id]),
            ]
        )
    first.refresh_from_db()
    taken.refresh_from_db()
    assert (first.name, taken.name) == ("Alpha", "Bêta")


START = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)


def appointment_values() -> dict:
    org, practitioner, motif = factories.agenda()
    return dict(
        organisation=org,
        practitioner=practitioner,
        motif=motif,
        site=practitioner.sites.first(),
        patient=factories.patient(org),
        channel="web",
    )


def test_insert_writes_what_save_writes():
    values = appointment_values()
    start = START
    saved = Appointment(
        start=start, end=start + dt.timedelta(minutes=20), session_key="a", **values
    )
    saved.save()
    batched = Appointment(
        start=start + dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=1, minutes=20),
        session_key="b",
        **values,
    )
    (rows,) = sqlbatch.run([sqlbatch.insert([batched])])
    sqlbatch.saved([batched], rows)
    assert batched.pk is not None and not batched._state.adding
    assert batched.created_at is not None  # auto_now_add, as save() sets it
    loaded = Appointment.objects.get(pk=batched.pk)
    for field in ("public_id", "manage_token", "status", "created_at", "start", "patient_id"):
        assert getattr(loaded, field) == getattr(batched, field)
    assert loaded.status == saved.status == "booked"  # the field's default


def test_insert_with_reserved_ids_and_an_expression():
    appointment = Appointment.objects.create(
        start=START, end=START + dt.timedelta(minutes=20), session_key="a", **appointment_values()
    )
    reserved = AppointmentEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    event = AppointmentEvent(id=reserved + 100, kind="booked", at=appointment.start, channel="web")
    event.to_status = "booked"
    table = connection.ops.quote_name(Appointment._meta.db_table)
    by_public_id = (
        f"(SELECT id FROM {table} WHERE public_id = %s)",
        [
            Appointment._meta.get_field("public_id").get_db_prep_save(
                appointment.public_id, connection
            )
        ],
    )
    (rows,) = sqlbatch.run([sqlbatch.insert([event], expressions={"appointment_id": by_public_id})])
    assert rows == [(reserved + 100,)]
    assert AppointmentEvent.objects.get(pk=reserved + 100).appointment_id == appointment.id


def test_insert_refuses_a_mix_of_new_and_reserved_ids():
    with pytest.raises(ValueError):
        sqlbatch.insert([Organisation(id=5, name="a"), Organisation(name="b")])


def test_select_gives_the_instances_of_the_queryset_with_related_rows(
    django_assert_num_queries,
):
    organisation = factories.organisation()
    factories.site(organisation)
    factories.site(organisation, name="Annexe", city="Roubaix")
    NotificationSettings.objects.create(organisation=organisation, reminder_hours=24)
    queryset = Site.objects.select_related("organisation__notification_settings").filter(
        organisation=organisation
    )
    statement, instances = sqlbatch.select(queryset)
    (rows,) = sqlbatch.run([statement])
    expected = sorted(s.id for s in queryset)
    with django_assert_num_queries(0):
        sites = instances(rows)
        assert sorted(s.id for s in sites) == expected and len(expected) == 2
        assert sites[0].organisation.created_at == organisation.created_at  # converted
        assert sites[0].organisation.notification_settings.reminder_hours == 24
