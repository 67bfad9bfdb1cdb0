"""What a booking, a move or a cancellation writes to the outbox, in its own transaction."""

import datetime as dt

import pytest
from django.db import transaction

from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel
from accueil.directory.models import Motif
from accueil.directory.services import Audience
from accueil.notify import services
from accueil.notify.models import Channel as Via
from accueil.notify.models import Kind, Message, MessageTemplate, NotificationSettings
from accueil.scheduling.engine import PARIS
from tests import factories
from tests.factories import MONDAY, NOW
from tests.notify.conftest import at, book

Status = Message.Status


def rows(appointment, **filters):
    return list(
        Message.objects.filter(appointment=appointment, **filters).order_by("scheduled_for", "id")
    )


def summary(appointment):
    return sorted(
        (m.kind, m.channel, m.status, m.scheduled_for.astimezone(PARIS).strftime("%a %d %H:%M"))
        for m in rows(appointment)
    )


class TestBooking:
    def test_confirmation_and_reminders_by_sms_and_email(self, monday_ten):
        assert summary(monday_ten) == [
            ("confirmation", "email", "queued", "Fri 01 10:00"),
            ("confirmation", "sms", "queued", "Fri 01 10:00"),
            ("reminder", "email", "queued", "Sat 02 10:00"),
            ("reminder", "sms", "queued", "Sat 02 10:00"),
        ]

    def test_texts_are_rendered_in_french_with_the_manage_link(self, monday_ten):
        sms = Message.objects.get(appointment=monday_ten, kind=Kind.CONFIRMATION, channel=Via.SMS)
        assert "lundi 4 janvier 2027 à 10 h" in sms.body
        link = f"/rdv/{monday_ten.public_id}/{monday_ten.manage_token}/"
        assert sms.body.endswith(link)
        assert sms.recipient == "+33612345678"
        email = Message.objects.get(
            appointment=monday_ten, kind=Kind.CONFIRMATION, channel=Via.EMAIL
        )
        assert email.subject == "Rendez-vous confirmé le lundi 4 janvier 2027 à 10 h"
        assert email.body.startswith("Bonjour Jeanne,")
        assert "12 rue des Lilas, 59000 Lille" in email.body
        assert email.recipient == "jeanne@example.org"

    def test_idempotency_keys_are_deterministic_and_unique(self, monday_ten):
        event = monday_ten.events.get()
        keys = {m.idempotency_key for m in rows(monday_ten)}
        assert keys == {
            f"a{monday_ten.id}-e{event.id}-confirmation-sms",
            f"a{monday_ten.id}-e{event.id}-confirmation-email",
            f"a{monday_ten.id}-e{event.id}-reminder48h-sms",
            f"a{monday_ten.id}-e{event.id}-reminder48h-email",
        }

    def test_rolled_back_booking_leaves_no_message(self, agenda):
        _, practitioner, motif = agenda

        class Abort(Exception):
            pass

        with pytest.raises(Abort), transaction.atomic():
            book(practitioner, motif, at(MONDAY, 10))
            assert Message.objects.count() == 4
            raise Abort
        assert Appointment.objects.count() == 0
        assert Message.objects.count() == 0

    def test_a_failing_booking_leaves_no_message(self, monday_ten):
        _, practitioner, motif = (None, monday_ten.practitioner, monday_ten.motif)
        with pytest.raises(booking.SlotTaken):
            book(practitioner, motif, at(MONDAY, 10), first_name="Paul")
        assert Message.objects.exclude(appointment=monday_ten).count() == 0

    def test_no_email_address_no_email(self, agenda):
        _, practitioner, motif = agenda
        appointment = book(practitioner, motif, at(MONDAY, 10), email="")
        assert {m.channel for m in rows(appointment)} == {"sms"}

    def test_reminder_already_past_is_not_queued(self, agenda):
        _, practitioner, motif = agenda
        # Booked on Sunday 3rd at 12:00 for Monday 10:00: 48 h before is Saturday, past.
        appointment = book(
            practitioner, motif, at(MONDAY, 10), now=at(MONDAY, 12) - dt.timedelta(days=1)
        )
        assert {m.kind for m in rows(appointment)} == {"confirmation"}

    def test_second_reminder_two_hours_before_by_sms(self, agenda):
        org, practitioner, motif = agenda
        NotificationSettings.objects.create(organisation=org, second_reminder=True)
        appointment = book(practitioner, motif, at(MONDAY, 11))
        reminders = rows(appointment, kind=Kind.REMINDER)
        assert sorted((m.scheduled_for, m.channel) for m in reminders) == [
            (at(MONDAY - dt.timedelta(days=2), 11), "email"),
            (at(MONDAY - dt.timedelta(days=2), 11), "sms"),
            (at(MONDAY, 9), "sms"),
        ]

    def test_organisation_settings_turn_channels_off(self, agenda):
        org, practitioner, motif = agenda
        NotificationSettings.objects.create(
            organisation=org, confirmation_sms=False, reminder_email=False, reminder_hours=24
        )
        appointment = book(practitioner, motif, at(MONDAY, 10))
        assert summary(appointment) == [
            ("confirmation", "email", "queued", "Fri 01 10:00"),
            ("reminder", "sms", "queued", "Sun 03 10:00"),
        ]

    def test_organisation_text(self, agenda):
        org, practitioner, motif = agenda
        MessageTemplate.objects.create(
            organisation=org,
            kind=Kind.CONFIRMATION,
            channel=Via.SMS,
            body="{organisation} vous attend {date}. {patient.__class__}",
        )
        appointment = book(practitioner, motif, at(MONDAY, 10))
        sms = rows(appointment, kind=Kind.CONFIRMATION, channel=Via.SMS)[0]
        assert (
            sms.body == f"{org.name} vous attend lundi 4 janvier 2027 à 10 h. {{patient.__class__}}"
        )

    def test_suppressed(self, agenda):
        _, practitioner, motif = agenda
        with services.suppressed():
            appointment = book(practitioner, motif, at(MONDAY, 10))
        assert rows(appointment) == []

    def test_status_changes_send_nothing(self, monday_ten):
        before = Message.objects.count()
        booking.change_status(monday_ten, "arrived", channel=Channel.DESK, now=at(MONDAY, 9, 55))
        assert Message.objects.count() == before


class TestSmsPolicy:
    def test_opt_out_drops_sms_with_the_reason(self, agenda):
        org, practitioner, motif = agenda
        patient = factories.patient(org, sms_opt_out=True, email="a@example.org")
        appointment = book(practitioner, motif, at(MONDAY, 10), patient=patient)
        sms = rows(appointment, channel=Via.SMS)
        assert {m.status for m in sms} == {Status.DROPPED}
        assert {m.last_error for m in sms} == {"Le patient a refusé les SMS."}
        assert {m.status for m in rows(appointment, channel=Via.EMAIL)} == {Status.QUEUED}

    def test_foreign_number_no_sms(self, agenda):
        org, practitioner, motif = agenda
        patient = factories.patient(org, phone="+32470123456")
        appointment = book(practitioner, motif, at(MONDAY, 10), patient=patient)
        assert {(m.status, m.last_error) for m in rows(appointment, channel=Via.SMS)} == {
            (Status.DROPPED, "Numéro hors de France : SMS non envoyé.")
        }

    def test_overseas_mobile_gets_sms(self, agenda):
        org, practitioner, motif = agenda
        patient = factories.patient(org, phone="+262692123456")
        appointment = book(practitioner, motif, at(MONDAY, 10), patient=patient)
        assert {m.status for m in rows(appointment, channel=Via.SMS)} == {Status.QUEUED}

    def test_child_without_contact_uses_the_guardians(self, agenda):
        org, practitioner, motif = agenda
        parent = factories.patient(org, phone="+33687654321", email="parent@example.org")
        child = factories.patient(org, phone="", managed_by=parent, first_name="Lou")
        appointment = book(practitioner, motif, at(MONDAY, 10), patient=child)
        assert {m.recipient for m in rows(appointment)} == {"+33687654321", "parent@example.org"}


class TestQuietHours:
    def test_confirmation_booked_at_night_waits_for_eight(self, agenda):
        _, practitioner, motif = agenda
        night = at(dt.date(2027, 1, 1), 22, 30)
        appointment = book(practitioner, motif, at(MONDAY, 10), now=night)
        sms = rows(appointment, kind=Kind.CONFIRMATION, channel=Via.SMS)[0]
        email = rows(appointment, kind=Kind.CONFIRMATION, channel=Via.EMAIL)[0]
        assert sms.scheduled_for == at(dt.date(2027, 1, 2), 8)
        assert email.scheduled_for == night

    def test_early_reminder_deferred_to_eight(self, agenda):
        org, practitioner, motif = agenda
        NotificationSettings.objects.create(organisation=org, second_reminder=True)
        # 2 h before 9:40 is 7:40, in the quiet hours: sent at 8:00, still before 9:40.
        appointment = book(practitioner, motif, at(MONDAY, 9, 40))
        second = rows(appointment, kind=Kind.REMINDER, channel=Via.SMS)[-1]
        assert (second.status, second.scheduled_for) == (Status.QUEUED, at(MONDAY, 8))

    def test_sms_that_would_arrive_after_the_appointment_is_dropped(self, agenda):
        org, practitioner, motif = agenda
        early = factories.motif(org, [practitioner], name="Prise de sang")
        factories.period(practitioner, [early], start_time=dt.time(7), end_time=dt.time(8))
        NotificationSettings.objects.create(
            organisation=org, second_reminder=True, second_reminder_hours=2
        )
        appointment = book(practitioner, early, at(MONDAY, 7, 20))
        second = rows(appointment, kind=Kind.REMINDER, channel=Via.SMS)[-1]
        assert second.status == Status.DROPPED
        assert second.last_error == "Heures de silence : le SMS arriverait trop tard."

    @pytest.mark.parametrize(
        ("hour", "minute", "deferred"),
        [(19, 59, False), (20, 0, True), (23, 0, True), (3, 0, True), (7, 59, True), (8, 0, False)],
    )
    def test_window(self, hour, minute, deferred):
        instant = at(dt.date(2027, 1, 5), hour, minute)
        assert services.in_quiet_hours(instant) is deferred

    def test_disabled(self, settings):
        settings.SMS_QUIET_HOURS = ""
        assert not services.in_quiet_hours(at(dt.date(2027, 1, 5), 3))


class TestDaylightSaving:
    """48 h before means two days before at the same wall-clock time (decision 0006)."""

    @pytest.mark.parametrize(
        ("monday", "offset_before", "offset_after"),
        [
            (dt.date(2026, 10, 26), "+02:00", "+01:00"),  # after the fall-back Sunday
            (dt.date(2026, 3, 30), "+01:00", "+02:00"),  # after the spring-forward Sunday
        ],
    )
    def test_reminder_fires_at_the_same_wall_clock_hour(self, monday, offset_before, offset_after):
        start = at(monday, 10)
        reminder = services.reminder_time(start, 48)
        local = reminder.astimezone(PARIS)
        assert (local.date(), local.hour, local.minute) == (monday - dt.timedelta(days=2), 10, 0)
        assert local.isoformat().endswith(offset_before)
        assert start.astimezone(PARIS).isoformat().endswith(offset_after)
        # Not 48 absolute hours: the day in between is 25 or 23 hours long.
        assert start.astimezone(dt.UTC) - reminder != dt.timedelta(hours=48)

    @pytest.mark.parametrize("monday", [dt.date(2026, 10, 26), dt.date(2026, 3, 30)])
    def test_booked_appointment_gets_its_reminder_at_ten_on_saturday(self, agenda, monday):
        _, practitioner, motif = agenda
        now = at(monday - dt.timedelta(days=20), 9)
        appointment = book(practitioner, motif, at(monday, 10), now=now)
        reminder = rows(appointment, kind=Kind.REMINDER, channel=Via.SMS)[0]
        local = reminder.scheduled_for.astimezone(PARIS)
        assert (local.weekday(), local.hour, local.minute) == (5, 10, 0)

    def test_hours_beyond_whole_days_are_absolute(self):
        start = at(dt.date(2026, 10, 26), 10)
        assert services.reminder_time(start, 2) == start - dt.timedelta(hours=2)
        assert services.reminder_time(start, 26) == at(dt.date(2026, 10, 25), 8)


class TestMoveAndCancel:
    def test_move_drops_the_old_reminders_and_queues_new_ones(self, monday_ten):
        moved = booking.move(
            monday_ten,
            start=at(MONDAY + dt.timedelta(days=1), 11),
            channel=Channel.WEB,
            audience=Audience.PUBLIC,
            now=NOW + dt.timedelta(hours=1),
        )
        assert summary(moved) == [
            ("confirmation", "email", "dropped", "Fri 01 10:00"),
            ("confirmation", "sms", "dropped", "Fri 01 10:00"),
            ("moved", "email", "queued", "Fri 01 11:00"),
            ("moved", "sms", "queued", "Fri 01 11:00"),
            ("reminder", "email", "dropped", "Sat 02 10:00"),
            ("reminder", "email", "queued", "Sun 03 11:00"),
            ("reminder", "sms", "dropped", "Sat 02 10:00"),
            ("reminder", "sms", "queued", "Sun 03 11:00"),
        ]
        dropped = rows(moved, status=Status.DROPPED)
        assert {m.last_error for m in dropped} == {"Rendez-vous déplacé."}
        email = rows(moved, kind=Kind.MOVED, channel=Via.EMAIL)[0]
        assert "Votre rendez-vous du lundi 4 janvier 2027 à 10 h est déplacé" in email.body
        assert "mardi 5 janvier 2027 à 11 h" in email.body

    def test_moving_back_to_the_same_time_gets_new_keys(self, monday_ten):
        for start in (at(MONDAY, 11), at(MONDAY, 10)):
            booking.move(
                monday_ten, start=start, channel=Channel.WEB, audience=Audience.PUBLIC, now=NOW
            )
        assert len(rows(monday_ten, kind=Kind.REMINDER, status=Status.QUEUED)) == 2

    def test_cancel_drops_pending_and_tells_the_patient(self, monday_ten):
        booking.cancel(monday_ten, by_patient=False, channel=Channel.DESK, now=NOW)
        pending = rows(monday_ten, kind__in=[Kind.CONFIRMATION, Kind.REMINDER])
        assert {(m.status, m.last_error) for m in pending} == {
            (Status.DROPPED, "Rendez-vous annulé.")
        }
        cancelled = rows(monday_ten, kind=Kind.CANCELLED)
        assert {m.channel for m in cancelled} == {"sms", "email"}
        sms = next(m for m in cancelled if m.channel == Via.SMS)
        assert "est annulé (par le cabinet)" in sms.body

    def test_cancelled_by_the_patient(self, monday_ten):
        booking.cancel(monday_ten, by_patient=True, channel=Channel.WEB, now=NOW)
        sms = rows(monday_ten, kind=Kind.CANCELLED, channel=Via.SMS)[0]
        assert "(à votre demande)" in sms.body

    def test_home_visit_place(self, agenda):
        org, practitioner, _ = agenda
        visit = factories.motif(
            org, [practitioner], name="Visite", location_type=Motif.LocationType.HOME
        )
        factories.period(practitioner, [visit], start_time=dt.time(14), end_time=dt.time(16))
        appointment = book(practitioner, visit, at(MONDAY, 14))
        sms = rows(appointment, kind=Kind.CONFIRMATION, channel=Via.SMS)[0]
        assert ", à domicile." in sms.body


def test_practitioner_is_told_by_email_without_content(db, settings):
    org, practitioner, _ = factories.agenda()
    user = factories.staff(org, email="dr@example.org")
    user.memberships.update(practitioner=practitioner)
    messages = services.notify_practitioner(org, practitioner, reference="42", urgent=True, now=NOW)
    assert [(m.recipient, m.kind, m.subject) for m in messages] == [
        ("dr@example.org", Kind.PRACTITIONER_MESSAGE, "URGENT : Nouveau message dans Accueil")
    ]
    assert f"/desk/{org.slug}/messages/" in messages[0].body
