"""Back-office flows through the views, as a secretary runs them."""

import datetime as dt

import pytest
from django.urls import reverse

from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel, Status
from accueil.desk import views
from accueil.desk.models import StaffMessage
from accueil.directory.services import Audience
from accueil.patients.models import Patient
from accueil.scheduling.engine import wall_clock
from accueil.scheduling.models import Absence
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, practice, monkeypatch):
    monkeypatch.setattr(views, "_now", lambda: NOW)
    monkeypatch.setattr(booking.timezone, "now", lambda: NOW)
    factories.login_verified(client, practice["member"])
    return client


def url(practice, name, *args):
    return reverse(f"desk:{name}", args=[practice["organisation"].slug, *args])


def nine(minute=0):
    return wall_clock(MONDAY, dt.time(9, minute))


def book_form(practice, start, **extra):
    return {
        "practitioner": practice["practitioner"].id,
        "motif": practice["motif"].id,
        "day": MONDAY.isoformat(),
        "start": start.isoformat(),
        **extra,
    }


def test_login_page_and_home_redirect_to_the_only_practice(client, practice):
    assert client.get(reverse("desk:login")).status_code == 200
    factories.login_verified(client, practice["owner"])
    response = client.get(reverse("desk:home"))
    assert response["Location"] == url(practice, "agenda")


def test_agenda_shows_appointments_absences_and_polls_cheaply(desk, practice):
    org, p, m = practice["organisation"], practice["practitioner"], practice["motif"]
    patient = factories.patient(org, last_name="Lefebvre")
    booking.book(
        practitioner=p,
        motif=m,
        start=nine(),
        patient=patient,
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    factories.absence(p, nine(40), wall_clock(MONDAY, dt.time(10)), reason="Réunion")
    page = desk.get(url(practice, "agenda") + f"?jour={MONDAY}")
    html = page.content.decode()
    assert "LEFEBVRE" in html and "Réunion" in html and "Consultation" in html
    stamp = page.context["stamp"]
    unchanged = desk.get(
        url(practice, "agenda") + f"?jour={MONDAY}&stamp={stamp}", HTTP_HX_REQUEST="true"
    )
    assert unchanged.status_code == 204
    booking.book(
        practitioner=p,
        motif=m,
        start=nine(20),
        patient=patient,
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    changed = desk.get(
        url(practice, "agenda") + f"?jour={MONDAY}&stamp={stamp}", HTTP_HX_REQUEST="true"
    )
    assert changed.status_code == 200
    assert "<html" not in changed.content.decode()  # a fragment for htmx
    assert changed.content.decode().count("LEFEBVRE") == 2


def test_week_view_has_six_days(desk, practice):
    page = desk.get(url(practice, "agenda") + f"?jour={MONDAY}&vue=semaine")
    assert len(page.context["grid"]["columns"]) == 6


def test_secretary_books_a_new_patient_by_phone(desk, practice):
    body = book_form(
        practice,
        nine(),
        new_patient="1",
        first_name="Inès",
        last_name="Caron",
        birth_date="1975-03-02",
        phone="06 11 22 33 44",
    )
    response = desk.post(url(practice, "new_appointment"), body)
    appointment = Appointment.objects.get()
    assert response["Location"] == url(practice, "appointment", appointment.public_id)
    assert appointment.channel == Channel.DESK
    assert appointment.created_by == practice["member"]
    assert appointment.patient.phone == "+33611223344"


def test_slot_taken_keeps_the_form_and_offers_fresh_slots(desk, practice):
    org = practice["organisation"]
    booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=nine(),
        patient=factories.patient(org),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    patient = factories.patient(org)
    response = desk.post(
        url(practice, "new_appointment"), book_form(practice, nine(), patient=patient.id)
    )
    assert response.status_code == 200
    assert "vient d'être pris" in response.context["error"]
    assert "vient d&#x27;être pris" in response.content.decode()
    assert nine() not in [s.start for s in response.context["slots"]]
    assert response.context["chosen_patient"] == patient
    assert Appointment.objects.count() == 1


def test_invalid_new_patient_writes_nothing(desk, practice):
    body = book_form(
        practice,
        nine(),
        new_patient="1",
        first_name="Inès",
        last_name="Caron",
        birth_date="1975-03-02",
        phone="0612",
    )
    response = desk.post(url(practice, "new_appointment"), body)
    assert response.status_code == 200
    assert response.context["patient_form"].errors["phone"]
    assert not Appointment.objects.exists() and not Patient.objects.exists()


def test_slots_fragment_for_htmx(desk, practice):
    response = desk.get(
        url(practice, "new_appointment"),
        {
            "practitioner": practice["practitioner"].id,
            "motif": practice["motif"].id,
            "day": MONDAY.isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "<html" not in html and 'name="start"' in html
    assert len(response.context["slots"]) == 9  # 9:00-12:00 by 20 minutes


def test_arrived_then_seen_from_the_waiting_room(desk, practice, monkeypatch):
    org = practice["organisation"]
    appointment = booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=nine(),
        patient=factories.patient(org, last_name="Dumont"),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    monkeypatch.setattr(views, "_now", lambda: nine(15))
    room = desk.get(url(practice, "waiting_room"))
    (row,) = room.context["rows"]
    assert row.late
    status_url = url(practice, "appointment_status", appointment.public_id)
    desk.post(status_url, {"status": "arrived", "next_page": "salle"})
    room = desk.get(url(practice, "waiting_room"))
    (arrived,) = room.context["arrived"]
    assert not arrived.late and arrived.arrived_at is not None
    desk.post(status_url, {"status": "seen"})
    appointment.refresh_from_db()
    assert appointment.status == Status.SEEN
    kinds = list(appointment.events.values_list("to_status", flat=True))
    assert kinds == ["booked", "arrived", "seen"]


def test_impossible_status_change_is_a_message_not_an_error(desk, practice):
    appointment = booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=nine(),
        patient=factories.patient(practice["organisation"]),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    response = desk.post(
        url(practice, "appointment_status", appointment.public_id), {"status": "seen"}, follow=True
    )
    assert "pas possible" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED


def test_cancel_and_move_from_the_appointment_page(desk, practice):
    appointment = booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=nine(),
        patient=factories.patient(practice["organisation"]),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    page = desk.get(url(practice, "appointment", appointment.public_id))
    assert nine(20) in [s.start for s in page.context["slots"]]
    desk.post(
        url(practice, "appointment_move", appointment.public_id), {"start": nine(40).isoformat()}
    )
    appointment.refresh_from_db()
    assert appointment.start == nine(40)
    desk.post(url(practice, "appointment_cancel", appointment.public_id), {"reason": "Malade"})
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED_BY_PRACTICE
    assert appointment.cancel_reason == "Malade"


def test_absence_form_reports_appointments_in_the_way(desk, practice):
    booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=nine(),
        patient=factories.patient(practice["organisation"]),
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=NOW,
    )
    body = {
        "practitioner": practice["practitioner"].id,
        "day": MONDAY.isoformat(),
        "start_time": "08:30",
        "end_day": MONDAY.isoformat(),
        "end_time": "10:00",
        "reason": "Formation",
    }
    response = desk.post(url(practice, "new_absence"), body, follow=True)
    assert "1 rendez-vous sont sur ce créneau" in response.content.decode()
    assert Absence.objects.get().reason == "Formation"
    bad = desk.post(url(practice, "new_absence"), {**body, "end_time": "08:00"})
    assert bad.status_code == 200 and "après le début" in bad.content.decode()
    assert Absence.objects.count() == 1


def test_messages_urgent_first_and_marked_done(desk, practice):
    for body, urgent in (("Renouvellement", False), ("Douleur thoracique", True)):
        desk.post(url(practice, "messages"), {"body": body, "urgent": "on" if urgent else ""})
    page = desk.get(url(practice, "messages"))
    assert [m.body for m in page.context["open_messages"]] == [
        "Douleur thoracique",
        "Renouvellement",
    ]
    first = StaffMessage.objects.get(body="Douleur thoracique")
    desk.post(url(practice, "message_done", first.id))
    page = desk.get(url(practice, "messages"))
    assert [m.body for m in page.context["open_messages"]] == ["Renouvellement"]
    assert desk.post(url(practice, "message_done", first.id)).status_code == 404


def test_patient_search_and_file(desk, practice):
    org = practice["organisation"]
    parent = factories.patient(org, first_name="Marc", last_name="Petit", phone="+33699887766")
    child = factories.patient(
        org, first_name="Lou", last_name="Petit", managed_by=parent, birth_date=dt.date(2018, 4, 2)
    )
    for query in ("petit lou", "02/04/2018", "06 99 88 77 66"):
        found = desk.get(url(practice, "patients"), {"q": query}).context["patients"]
        assert child in found or parent in found, query
    page = desk.get(url(practice, "patient", parent.id))
    assert page.context["file"].relatives == [child]


def test_group_session_takes_participants_until_full(desk, practice):
    org, p = practice["organisation"], practice["practitioner"]
    group = factories.motif(
        org, [p], name="Atelier diabète", duration=dt.timedelta(hours=1), capacity=2
    )
    p.opening_periods.get().motifs.add(group)
    body = {"practitioner": p.id, "motif": group.id, "day": MONDAY.isoformat()}
    for _ in range(2):
        page = desk.get(url(practice, "new_appointment"), body)
        assert "place" in page.content.decode()  # seats left are shown
        patient = factories.patient(org)
        desk.post(
            url(practice, "new_appointment"),
            {**body, "start": nine().isoformat(), "patient": patient.id},
        )
    assert Appointment.objects.filter(motif=group, start=nine()).count() == 2
    page = desk.get(url(practice, "new_appointment"), body)
    assert nine() not in [s.start for s in page.context["slots"]]


def test_a_patient_who_refuses_sms_gets_no_more_sms(desk, practice):
    from accueil.notify.models import Channel as Via
    from accueil.notify.models import Message

    org = practice["organisation"]
    patient = factories.patient(org, email="louise@example.org")
    desk.post(url(practice, "patient_sms", patient.id), {"sms_opt_out": "1"})
    patient.refresh_from_db()
    assert patient.sms_opt_out
    booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=nine(),
        patient=patient,
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )
    assert not Message.objects.filter(channel=Via.SMS, status=Message.Status.QUEUED).exists()
    assert Message.objects.filter(channel=Via.EMAIL, status=Message.Status.QUEUED).exists()
    desk.post(url(practice, "patient_sms", patient.id), {"sms_opt_out": "0"})
    patient.refresh_from_db()
    assert not patient.sms_opt_out
