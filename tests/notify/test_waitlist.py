"""The waitlist: a freed slot offered to the first waiters, the first to book it wins."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel, Status
from accueil.directory.models import Motif
from accueil.notify import sending, services
from accueil.notify.models import Channel as Via
from accueil.notify.models import Kind, Message, NotificationSettings, WaitlistEntry, WaitlistOffer
from accueil.scheduling.models import Absence
from tests import factories
from tests.factories import MONDAY, NOW
from tests.notify.conftest import at, book, identity

TEN = at(MONDAY, 10)


def join(motif, n, **kw):
    return services.join_waitlist(
        motif=motif,
        identity=identity(first_name=f"Attente{n}", phone=f"06 11 22 33 {n:02d}", email=""),
        now=NOW + dt.timedelta(minutes=n),
        **kw,
    )


@pytest.fixture
def waiters(agenda):
    _, practitioner, motif = agenda
    return [join(motif, n) for n in range(1, 5)]


@pytest.fixture
def freed(agenda, waiters):
    """Monday 10:00 booked, then cancelled: the slot is offered."""
    _, practitioner, motif = agenda
    appointment = book(practitioner, motif, TEN, first_name="Partie")
    booking.cancel(
        appointment, by_patient=True, channel=Channel.WEB, now=NOW + dt.timedelta(hours=1)
    )
    return appointment


def offers():
    return list(WaitlistOffer.objects.order_by("entry__joined_at"))


class TestJoin:
    def test_join_normalises_the_identity(self, agenda):
        _, practitioner, motif = agenda
        entry = join(motif, 1, practitioner=practitioner, times_of_day=["morning"])
        assert (entry.phone, entry.first_name, entry.times_of_day) == (
            "+33611223301",
            "Attente1",
            "morning",
        )
        assert entry.active

    def test_joining_twice_keeps_one_entry(self, agenda):
        _, _, motif = agenda
        assert join(motif, 1) == join(motif, 1)
        assert WaitlistEntry.objects.count() == 1

    def test_known_patient_is_linked(self, agenda):
        org, _, motif = agenda
        patient = factories.patient(
            org,
            first_name="Attente1",
            last_name="Lefèvre",
            birth_date=dt.date(1984, 7, 12),
            phone="+33611223301",
        )
        assert join(motif, 1).patient == patient

    def test_staff_only_motif(self, agenda):
        org, practitioner, _ = agenda
        private = factories.motif(org, [practitioner], bookable_by=Motif.BookableBy.STAFF)
        with pytest.raises(ValidationError) as exc:
            join(private, 1)
        assert "motif" in exc.value.message_dict

    def test_bad_requests(self, agenda):
        org, _, motif = agenda
        stranger = factories.practitioner(org)
        with pytest.raises(ValidationError) as exc:
            join(
                motif,
                1,
                practitioner=stranger,
                earliest=dt.date(2027, 2, 1),
                latest=dt.date(2027, 1, 1),
                times_of_day=["night"],
            )
        assert set(exc.value.message_dict) == {"practitioner", "latest", "times_of_day"}

    def test_leave(self, agenda):
        _, _, motif = agenda
        entry = join(motif, 1)
        services.leave_waitlist(entry.token)
        entry.refresh_from_db()
        assert not entry.active


class TestOffers:
    def test_a_cancelled_slot_goes_to_the_first_three_in_joining_order(self, freed, waiters):
        assert [o.entry for o in offers()] == waiters[:3]
        assert {(o.start, o.status) for o in offers()} == {(TEN, WaitlistOffer.Status.OFFERED)}
        offered_at = NOW + dt.timedelta(hours=1)
        assert {o.expires_at for o in offers()} == {offered_at + dt.timedelta(hours=2)}

    def test_each_offer_is_a_message_with_its_link(self, freed, waiters):
        sms = Message.objects.filter(kind=Kind.WAITLIST_OFFER, channel=Via.SMS).order_by("id")
        assert [m.recipient for m in sms] == [w.phone for w in waiters[:3]]
        first = sms[0]
        assert first.body.endswith(f"/rdv/offre/{offers()[0].token}/")
        assert "lundi 4 janvier 2027 à 10 h" in first.body
        assert "jusqu'à vendredi 1er janvier à 13 h" in first.body

    def test_the_first_to_book_wins_the_others_are_told_and_stay(self, freed, waiters):
        first, second, third = offers()
        appointment = services.accept_offer(
            second.token, now=NOW + dt.timedelta(hours=1, minutes=5)
        )
        assert appointment.start == TEN
        assert appointment.patient.first_name == "Attente2"
        for other in (first, third):
            with pytest.raises(booking.SlotTaken):
                services.accept_offer(other.token, now=NOW + dt.timedelta(hours=1, minutes=6))
        statuses = {o.entry.first_name: o.status for o in offers()}
        assert statuses == {"Attente1": "taken", "Attente2": "accepted", "Attente3": "taken"}
        active = {e.first_name: e.active for e in WaitlistEntry.objects.all()}
        assert active == {"Attente1": True, "Attente2": False, "Attente3": True, "Attente4": True}
        # The winner's booking is a normal one: confirmation and reminders queued.
        assert Message.objects.filter(appointment=appointment, kind=Kind.CONFIRMATION).exists()
        with pytest.raises(services.OfferUnavailable) as exc:
            services.accept_offer(second.token, now=NOW + dt.timedelta(hours=1, minutes=7))
        assert exc.value.code == "used"

    def test_booked_by_someone_else_first(self, agenda, freed):
        _, practitioner, motif = agenda
        book(practitioner, motif, TEN, first_name="Rapide", now=NOW + dt.timedelta(hours=1))
        first = offers()[0]
        with pytest.raises(booking.SlotTaken):
            services.accept_offer(first.token, now=NOW + dt.timedelta(hours=1, minutes=2))
        first.refresh_from_db()
        assert first.status == WaitlistOffer.Status.TAKEN
        assert first.entry.active
        assert Appointment.objects.filter(start=TEN, status=Status.BOOKED).count() == 1

    def test_offers_expire(self, freed):
        first = offers()[0]
        with pytest.raises(services.OfferUnavailable) as exc:
            services.accept_offer(first.token, now=first.expires_at)
        assert exc.value.code == "expired"
        first.refresh_from_db()
        assert first.status == WaitlistOffer.Status.EXPIRED

    def test_the_offer_message_is_dropped_once_the_slot_is_taken(self, agenda, freed, memory_sms):
        _, practitioner, motif = agenda
        book(practitioner, motif, TEN, first_name="Rapide", now=NOW + dt.timedelta(hours=1))
        later = NOW + dt.timedelta(hours=1, minutes=1)
        while sending.send_due(now=later):
            pass
        dropped = Message.objects.filter(kind=Kind.WAITLIST_OFFER)
        assert {(m.status, m.last_error) for m in dropped} == {("dropped", "Créneau déjà pris.")}
        assert [m.kind for m in memory_sms if m.kind == Kind.WAITLIST_OFFER] == []

    def test_expired_offer_message_is_dropped(self, freed, memory_sms):
        first = offers()[0]
        while sending.send_due(now=first.expires_at):
            pass
        sms = Message.objects.filter(kind=Kind.WAITLIST_OFFER)
        assert {m.last_error for m in sms} == {"Proposition expirée."}

    def test_the_same_slot_is_not_offered_twice_to_a_waiter(self, agenda, freed):
        _, practitioner, _ = agenda
        services.on_slot_freed(practitioner, TEN, TEN + dt.timedelta(minutes=20), now=NOW)
        assert len(offers()) == 4  # the fourth waiter now; the first three already have it

    def test_preferences_of_the_waiters(self, agenda):
        org, practitioner, motif = agenda
        other = factories.practitioner(org)
        motif.practitioners.add(other)
        join(motif, 1, practitioner=other)  # another practitioner
        join(motif, 2, times_of_day=["afternoon"])  # not at 10:00
        join(motif, 3, earliest=MONDAY + dt.timedelta(days=1))  # not on Monday
        fit = join(motif, 4, practitioner=practitioner, times_of_day=["morning"], latest=MONDAY)
        appointment = book(practitioner, motif, TEN, first_name="Partie")
        booking.cancel(appointment, by_patient=True, channel=Channel.WEB, now=NOW)
        assert [o.entry for o in offers()] == [fit]

    def test_absence_removed_offers_its_slots(self, agenda, waiters):
        _, practitioner, _ = agenda
        absence = factories.absence(practitioner, at(MONDAY, 9), at(MONDAY, 12))
        Absence.objects.filter(pk=absence.pk).delete()
        made = services.on_slot_freed(practitioner, at(MONDAY, 9), at(MONDAY, 12), now=NOW)
        assert [(o.entry.first_name, o.start) for o in made] == [
            ("Attente1", at(MONDAY, 9)),
            ("Attente2", at(MONDAY, 9)),
            ("Attente3", at(MONDAY, 9)),
            ("Attente4", at(MONDAY, 9, 20)),
        ]

    def test_offer_at_night_expires_two_hours_after_eight(self, agenda, waiters):
        _, practitioner, _ = agenda
        night = at(dt.date(2027, 1, 1), 23)
        services.on_slot_freed(practitioner, TEN, TEN + dt.timedelta(minutes=20), now=night)
        morning = at(dt.date(2027, 1, 2), 8)
        assert {o.expires_at for o in offers()} == {morning + dt.timedelta(hours=2)}
        sms = Message.objects.filter(kind=Kind.WAITLIST_OFFER, channel=Via.SMS)
        assert {m.scheduled_for for m in sms} == {morning}

    def test_organisation_can_turn_offers_off(self, agenda, waiters):
        org, practitioner, motif = agenda
        NotificationSettings.objects.create(organisation=org, waitlist_offers=False)
        appointment = book(practitioner, motif, TEN, first_name="Partie")
        booking.cancel(appointment, by_patient=True, channel=Channel.WEB, now=NOW)
        assert offers() == []

    def test_moving_an_appointment_frees_its_old_slot(self, agenda, waiters):
        _, practitioner, motif = agenda
        appointment = book(practitioner, motif, TEN, first_name="Partie")
        booking.move(
            appointment,
            start=at(MONDAY, 11),
            channel=Channel.WEB,
            audience=services.Audience.PUBLIC,
            now=NOW,
        )
        assert {o.start for o in offers()} == {TEN}
