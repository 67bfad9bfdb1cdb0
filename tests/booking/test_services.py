import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accueil.audit.models import AuditEntry
from accueil.booking import services
from accueil.booking.models import Appointment, AppointmentEvent, Channel, Status
from accueil.directory.models import Motif
from accueil.directory.services import Audience
from accueil.patients.models import Patient
from accueil.patients.services import PatientIdentity
from accueil.scheduling.engine import PARIS, wall_clock
from accueil.scheduling.services import available_slots
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

IDENTITY = PatientIdentity(
    "Jean", "Dupont", dt.date(1980, 2, 29), "06 12 34 56 78", "j@example.org"
)


def at(hour: int, minute: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    return wall_clock(day, dt.time(hour, minute))


def book(p, m, start, patient=IDENTITY, audience=Audience.PUBLIC, **kw):
    return services.book(
        practitioner=p,
        motif=m,
        start=start,
        patient=patient,
        channel=Channel.WEB,
        audience=audience,
        now=kw.pop("now", NOW),
        **kw,
    )


def test_book_creates_patient_appointment_and_history():
    org, p, m = factories.agenda()
    appointment = book(p, m, at(9, 20))
    assert appointment.status == Status.BOOKED
    assert appointment.end - appointment.start == dt.timedelta(minutes=20)
    assert appointment.patient.phone == "+33612345678"
    assert appointment.organisation == org
    assert len(appointment.manage_token) >= 32  # 192 bits, url-safe base64
    (event,) = appointment.events.all()
    assert (event.kind, event.to_status, event.channel) == ("booked", "booked", "web")


def test_same_identity_is_the_same_patient_a_relative_is_not():
    _, p, m = factories.agenda()
    first = book(p, m, at(9))
    again = book(p, m, at(9, 20))
    child = book(
        p,
        m,
        at(9, 40),
        patient=PatientIdentity("Lina", "Dupont", dt.date(2019, 6, 1), "0612345678"),
    )
    assert first.patient_id == again.patient_id
    assert child.patient_id != first.patient_id


def test_a_parent_books_for_a_child():
    _, p, m = factories.agenda()
    child = PatientIdentity("Léa", "Dupont", dt.date(2019, 5, 1), "06 12 34 56 78")
    appointment = book(p, m, at(9), patient=child, guardian=IDENTITY)
    parent = Patient.objects.get(first_name="Jean")
    assert appointment.patient.first_name == "Léa"
    assert appointment.patient.managed_by == parent
    again = book(p, m, at(9, 20), patient=child, guardian=IDENTITY)
    assert again.patient == appointment.patient
    assert Patient.objects.count() == 2


def test_guardian_errors_are_named_and_nothing_is_written():
    _, p, m = factories.agenda()
    child = PatientIdentity("Léa", "Dupont", dt.date(2019, 5, 1), "0612")
    guardian = PatientIdentity("", "Dupont", dt.date(1980, 1, 1), "06 12 34 56 78")
    with pytest.raises(ValidationError) as caught:
        book(p, m, at(9), patient=child, guardian=guardian)
    assert set(caught.value.message_dict) == {"phone", "guardian.first_name"}
    assert not Patient.objects.exists()


def test_taken_slot_is_refused_and_adjacent_slots_are_free():
    _, p, m = factories.agenda()
    book(p, m, at(10))
    with pytest.raises(services.SlotTaken):
        book(p, m, at(10))
    book(p, m, at(9, 40))  # ends at 10:00
    book(p, m, at(10, 20))  # starts at 10:20
    assert Appointment.objects.count() == 3


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (lambda: at(9, 10), "aucun créneau"),  # off the 20-minute grid
        (lambda: at(13), "aucun créneau"),  # outside the opening period
        (lambda: at(9, day=MONDAY + dt.timedelta(days=5)), "aucun créneau"),  # Saturday
        (lambda: NOW - dt.timedelta(days=1), "passé"),
        (lambda: NOW + dt.timedelta(minutes=10), "passé ou trop proche"),  # within notice
        (lambda: at(9, day=MONDAY + dt.timedelta(days=200)), "trop loin"),
    ],
)
def test_start_that_can_never_be_booked_is_a_validation_error(start, message):
    _, p, m = factories.agenda()
    with pytest.raises(ValidationError) as exc:
        book(p, m, start())
    assert message in " ".join(exc.value.message_dict["start"])
    assert not Appointment.objects.exists()
    assert not Patient.objects.exists()


def test_invalid_identity_writes_nothing():
    _, p, m = factories.agenda()
    bad = PatientIdentity("", "Dupont", dt.date(1980, 1, 1), "12")
    with pytest.raises(ValidationError) as exc:
        book(p, m, at(9), patient=bad)
    assert set(exc.value.message_dict) == {"first_name", "phone"}
    assert not Patient.objects.exists()


def test_slot_taken_rolls_back_the_new_patient():
    _, p, m = factories.agenda()
    book(p, m, at(9))
    other = PatientIdentity("Paul", "Petit", dt.date(1975, 3, 3), "0611111111")
    with pytest.raises(services.SlotTaken):
        book(p, m, at(9), patient=other)
    assert not Patient.objects.filter(last_name="Petit").exists()


def test_audience_decides_which_motifs_can_be_booked():
    org, p, _ = factories.agenda()
    referral = factories.motif(org, [p], name="Avis", bookable_by=Motif.BookableBy.REFERRERS)
    staff_only = factories.motif(org, [p], name="Suivi", bookable_by=Motif.BookableBy.STAFF)
    p.opening_periods.first().motifs.add(referral, staff_only)
    with pytest.raises(ValidationError):
        book(p, referral, at(9))
    book(p, referral, at(9), audience=Audience.REFERRER)
    with pytest.raises(ValidationError):
        book(p, staff_only, at(10), audience=Audience.REFERRER)
    book(p, staff_only, at(10), audience=Audience.STAFF)


def test_motif_of_another_practitioner_or_inactive_is_refused():
    org, p, m = factories.agenda()
    colleague = factories.practitioner(org)
    with pytest.raises(ValidationError):
        book(colleague, m, at(9))
    Motif.objects.filter(pk=m.pk).update(active=False)
    m.refresh_from_db()
    with pytest.raises(ValidationError):
        book(p, m, at(9))


def test_staff_may_book_without_notice_public_may_not():
    _, p, m = factories.agenda()
    now = at(9, 50)
    with pytest.raises(ValidationError):
        book(p, m, at(10), now=now)
    appointment = book(p, m, at(10), now=now, audience=Audience.STAFF)
    assert appointment.start == at(10)


def test_patient_of_another_organisation_is_refused():
    _, p, m = factories.agenda()
    stranger = factories.patient(factories.organisation())
    with pytest.raises(ValidationError):
        book(p, m, at(9), patient=stranger)


def test_group_session_fills_up_to_capacity():
    org, p, _ = factories.agenda()
    workshop = factories.motif(org, [p], name="Atelier", duration=dt.timedelta(hours=1), capacity=3)
    factories.period(p, [workshop], start_time=dt.time(14), end_time=dt.time(15))
    people = [factories.patient(org, first_name=f"P{i}") for i in range(4)]
    for person in people[:3]:
        book(p, workshop, at(14), patient=person)
    with pytest.raises(services.SlotTaken):
        book(p, workshop, at(14), patient=people[3])
    keys = set(Appointment.objects.values_list("session_key", flat=True))
    assert len(keys) == 1
    slots = available_slots(p, workshop, MONDAY, MONDAY, now=NOW)
    assert slots == []


def test_group_session_offers_remaining_seats():
    org, p, _ = factories.agenda()
    workshop = factories.motif(org, [p], name="Atelier", duration=dt.timedelta(hours=1), capacity=8)
    factories.period(p, [workshop], start_time=dt.time(14), end_time=dt.time(15))
    book(p, workshop, at(14), patient=factories.patient(org))
    (slot,) = available_slots(p, workshop, MONDAY, MONDAY, now=NOW)
    assert slot.remaining == 7


def test_home_visits_keep_travel_time_between_them():
    org, p, _ = factories.agenda()
    visit = factories.motif(
        org,
        [p],
        name="Visite",
        duration=dt.timedelta(minutes=30),
        location_type=Motif.LocationType.HOME,
        travel_time=dt.timedelta(minutes=15),
    )
    factories.period(p, [visit], start_time=dt.time(14), end_time=dt.time(17))
    starts = [
        s.start.astimezone(PARIS).time() for s in available_slots(p, visit, MONDAY, MONDAY, now=NOW)
    ]
    assert starts == [dt.time(14), dt.time(14, 45), dt.time(15, 30), dt.time(16, 15)]
    book(p, visit, at(14, 45))
    starts = [
        s.start.astimezone(PARIS).time() for s in available_slots(p, visit, MONDAY, MONDAY, now=NOW)
    ]
    assert starts == [dt.time(14), dt.time(15, 30), dt.time(16, 15)]


def test_cancel_frees_the_slot_and_is_idempotent():
    _, p, m = factories.agenda()
    appointment = book(p, m, at(9))
    services.cancel(
        appointment, by_patient=True, channel=Channel.API, reason=" empêchement ", now=NOW
    )
    again = services.cancel(appointment, by_patient=True, channel=Channel.API, now=NOW)
    assert again.status == Status.CANCELLED_BY_PATIENT
    assert again.cancel_reason == "empêchement"
    assert appointment.events.filter(kind=AppointmentEvent.Kind.CANCELLED).count() == 1
    book(p, m, at(9), patient=PatientIdentity("Ana", "Roux", dt.date(2000, 1, 1), "0622222222"))


def test_patient_cannot_cancel_a_past_appointment_the_practice_can():
    _, p, m = factories.agenda()
    appointment = book(p, m, at(9))
    later = at(11)
    with pytest.raises(services.NotChangeable):
        services.cancel(appointment, by_patient=True, channel=Channel.WEB, now=later)
    cancelled = services.cancel(appointment, by_patient=False, channel=Channel.DESK, now=later)
    assert cancelled.status == Status.CANCELLED_BY_PRACTICE


def test_move_is_atomic_and_keeps_identity():
    _, p, m = factories.agenda()
    appointment = book(p, m, at(9))
    blocker = book(
        p, m, at(10), patient=PatientIdentity("Eve", "Lemaire", dt.date(1970, 1, 1), "0633333333")
    )
    with pytest.raises(services.SlotTaken):
        services.move(
            appointment, start=at(10), channel=Channel.WEB, audience=Audience.PUBLIC, now=NOW
        )
    appointment.refresh_from_db()
    assert appointment.start == at(9)  # the old slot was kept
    moved = services.move(
        appointment, start=at(11), channel=Channel.WEB, audience=Audience.PUBLIC, now=NOW
    )
    assert (moved.start, moved.public_id, moved.manage_token) == (
        at(11),
        appointment.public_id,
        appointment.manage_token,
    )
    event = moved.events.get(kind=AppointmentEvent.Kind.MOVED)
    assert event.previous_start == at(9)
    book(p, m, at(9), patient=PatientIdentity("Léo", "Faure", dt.date(1999, 9, 9), "0644444444"))
    assert blocker.start == at(10)


def test_move_to_a_slot_overlapping_its_own_time_ignores_itself():
    org, p, long_motif = factories.agenda(
        duration=dt.timedelta(minutes=30), step=dt.timedelta(minutes=10)
    )
    short = factories.motif(org, [p], name="Vaccin", duration=dt.timedelta(minutes=10))
    p.opening_periods.first().motifs.add(short)
    other = book(p, short, at(9), patient=factories.patient(org))
    appointment = book(p, long_motif, at(9, 10))  # 9:10-9:40, the first free start
    services.cancel(other, by_patient=False, channel=Channel.DESK, now=NOW)
    moved = services.move(
        appointment, start=at(9), channel=Channel.WEB, audience=Audience.PUBLIC, now=NOW
    )
    assert (moved.start, moved.end) == (at(9), at(9, 30))


def test_move_to_another_practitioner_of_the_practice():
    org, p, m = factories.agenda()
    colleague = factories.practitioner(org)
    m.practitioners.add(colleague)
    factories.period(colleague, [m])
    appointment = book(p, m, at(9))
    moved = services.move(
        appointment,
        start=at(9),
        practitioner=colleague,
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    assert moved.practitioner == colleague


def test_status_transitions_follow_the_desk_rules():
    _, p, m = factories.agenda()
    appointment = book(p, m, at(9))
    services.change_status(appointment, Status.ARRIVED, channel=Channel.DESK, now=NOW)
    services.change_status(appointment, Status.SEEN, channel=Channel.DESK, now=NOW)
    with pytest.raises(services.NotChangeable):
        services.change_status(
            appointment, Status.CANCELLED_BY_PATIENT, channel=Channel.DESK, now=NOW
        )
    history = list(appointment.events.values_list("from_status", "to_status"))
    assert history == [("", "booked"), ("booked", "arrived"), ("arrived", "seen")]


def test_no_show_still_holds_the_time():
    _, p, m = factories.agenda()
    appointment = book(p, m, at(9))
    services.change_status(appointment, Status.NO_SHOW, channel=Channel.DESK, now=NOW)
    with pytest.raises(services.SlotTaken):
        book(
            p, m, at(9), patient=PatientIdentity("Noé", "Blanc", dt.date(1990, 1, 1), "0655555555")
        )


def test_booking_on_a_dst_day_gives_the_right_offset():
    _, p, m = factories.agenda()
    day = dt.date(2027, 3, 30)  # Tuesday after the spring change (Monday is Easter Monday)
    appointment = book(p, m, wall_clock(day, dt.time(9)))
    assert appointment.start.astimezone(PARIS).isoformat() == "2027-03-30T09:00:00+02:00"


def test_a_slot_in_the_repeated_fall_back_hour_can_be_booked_as_paris_time():
    org, p, m = factories.agenda()
    # Sunday 31 October 2027: 03:00 CEST becomes 02:00 CET, 02:00-03:00 happens twice.
    period = p.opening_periods.get()
    period.weekdays, period.start_time, period.end_time = "6", dt.time(1), dt.time(4)
    period.save()
    second_pass = dt.datetime(2027, 10, 31, 2, 20, tzinfo=PARIS, fold=1)
    appointment = book(p, m, second_pass, audience=Audience.STAFF)
    assert appointment.start.isoformat() == "2027-10-31T01:20:00+00:00"
    assert appointment.start.astimezone(PARIS).utcoffset() == dt.timedelta(hours=1)


def test_a_booking_takes_two_round_trips_on_postgresql():
    """Locking read followed by the messages' context (sites, texts, the instruction sheet)
    and the agenda reads, then the writes (decision 0012); one statement at a time on
    SQLite, where a statement costs no round trip."""
    org, p, m = factories.agenda()
    patient = factories.patient(org, email="l@example.org")
    with CaptureQueriesContext(connection) as queries:
        appointment = book(p, m, at(9, 20), patient=patient)
    # The test's transaction makes book()'s a savepoint: not a statement of book().
    statements = [q for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == (2 if connection.vendor == "postgresql" else 11)
    assert appointment.messages.count() == 4  # confirmation and reminder, SMS and e-mail
    assert appointment.events.get().appointment_id == appointment.id
    entry = AuditEntry.objects.get(object_id=str(appointment.public_id))
    assert entry.action == "create"
