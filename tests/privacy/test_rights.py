"""Patients' rights: everything held about one patient (page and JSON), and erasure that
keeps the statistics, refused while an appointment is still to come."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accueil.audit.models import Action, AuditEntry, ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel, Status
from accueil.desk import services as desk
from accueil.desk.models import StaffMessage
from accueil.directory.services import Audience
from accueil.notify.models import Message, WaitlistEntry
from accueil.patients.models import Patient
from accueil.privacy import rights
from accueil.reception.models import Call, Turn
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(days=30)  # after MONDAY: its appointments are past


@pytest.fixture
def louise(practice):
    """A patient with a relative, two appointments (one cancelled), messages, a staff
    message, a waitlist entry and a call; and, around her, data that is not hers."""
    org, p, m = practice["organisation"], practice["practitioner"], practice["motif"]
    patient = factories.patient(
        org, first_name="Louise", last_name="Bernard", email="louise@example.org"
    )
    child = factories.patient(org, first_name="Léo", last_name="Bernard", managed_by=patient)
    neighbour = factories.patient(org, first_name="Marc", last_name="Voisin", phone="+33698765432")

    def book(who, hour):
        return booking.book(
            practitioner=p,
            motif=m,
            start=wall_clock(MONDAY, dt.time(hour)),
            patient=who,
            channel=Channel.DESK,
            audience=Audience.STAFF,
            actor=practice["member"],
            now=NOW,
        )

    seen = book(patient, 9)
    cancelled = book(patient, 10)
    booking.cancel(cancelled, by_patient=True, channel=Channel.WEB, reason="Grippe", now=NOW)
    book(neighbour, 11)
    desk.leave_message(
        org,
        body="Demande de renouvellement d'ordonnance",
        caller_name="Louise Bernard",
        caller_phone="0612345678",
        patient=patient,
        channel=Channel.DESK,
        now=NOW,
    )
    WaitlistEntry.objects.create(
        organisation=org,
        motif=m,
        first_name="Louise",
        last_name="Bernard",
        birth_date=patient.birth_date,
        phone=patient.phone,
        joined_at=NOW,
        times_of_day="morning",
    )
    call = Call.objects.create(
        organisation=org,
        from_number=patient.phone,
        to_number="+33322000000",
        status=Call.Status.ENDED,
        outcomes=["message_taken"],
        summary="Renouvellement d'ordonnance",
        started_at=NOW,
    )
    Turn.objects.create(call=call, index=0, caller_text="", say="Bonjour", at=NOW)
    Turn.objects.create(call=call, index=1, caller_text="mon ordonnance", say="Bien noté", at=NOW)
    other_practice = Call.objects.create(  # same number, another practice: not theirs
        organisation=practice["other_organisation"],
        from_number=patient.phone,
        to_number="+33322000009",
        started_at=NOW,
    )
    return {
        "patient": patient,
        "child": child,
        "seen": seen,
        "cancelled": cancelled,
        "call": call,
        "other_call": other_practice,
    }


def test_export_holds_everything_about_the_patient_and_nothing_else(practice, louise):
    org = practice["organisation"]
    data = rights.patient_data(org, louise["patient"].id, now=LATER)
    assert data["patient"]["last_name"] == "Bernard"
    assert data["patient"]["email"] == "louise@example.org"
    assert [r["first_name"] for r in data["relatives"]] == ["Léo"]
    appointments = data["appointments"]
    assert [a["id"] for a in appointments] == [
        str(louise["seen"].public_id),
        str(louise["cancelled"].public_id),
    ]
    assert appointments[1]["status"] == "Annulé par le patient"
    assert appointments[1]["cancel_reason"] == "Grippe"
    assert [e["change"] for e in appointments[1]["history"]] == ["Réservé", "Annulé"]
    assert appointments[0]["history"][0]["by"] == practice["member"].username
    assert data["messages"] and all(
        m["recipient"] in {"+33612345678", "louise@example.org"} for m in data["messages"]
    )
    assert data["staff_messages"][0]["body"] == "Demande de renouvellement d'ordonnance"
    assert data["waitlist"][0]["times_of_day"] == ["Matin"]
    assert [c["id"] for c in data["calls"]] == [str(louise["call"].id)]
    assert data["calls"][0]["turns"][1]["caller"] == "mon ordonnance"
    assert data["calls"][0]["outcomes"] == ["Message pris"]
    assert {(a["action"], a["object"]) for a in data["accesses"]} >= {
        ("Création", "Rendez-vous"),
        ("Modification", "Rendez-vous"),
    }
    text = json.dumps(data, default=str)
    assert "Voisin" not in text and "+33698765432" not in text
    assert rights.patient_data(practice["other_organisation"], louise["patient"].id) is None


def test_owner_reads_the_page_and_downloads_the_json_both_logged(client, practice, louise):
    factories.login_verified(client, practice["owner"])
    args = [practice["organisation"].slug, louise["patient"].id]
    page = client.get(reverse("desk:patient_data", args=args))
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    for text in ("Louise", "Léo", "Grippe", "renouvellement", "mon ordonnance", "Message pris"):
        assert text in html
    download = client.get(reverse("desk:patient_data_json", args=args))
    assert download["Content-Type"].startswith("application/json")
    assert "attachment" in download["Content-Disposition"]
    assert json.loads(download.content)["patient"]["first_name"] == "Louise"
    reads = AuditEntry.objects.filter(action=Action.READ, object_type=ObjectType.PATIENT)
    assert [(e.object_id, e.actor) for e in reads] == [
        (str(louise["patient"].id), practice["owner"]),
    ] * 2
    patient_page = client.get(reverse("desk:patient", args=args)).content.decode()
    assert reverse("desk:patient_erase", args=args) in patient_page


def test_members_do_not_see_the_rights_links(client, practice, louise):
    factories.login_verified(client, practice["member"])
    args = [practice["organisation"].slug, louise["patient"].id]
    page = client.get(reverse("desk:patient", args=args)).content.decode()
    assert reverse("desk:patient_data", args=args) not in page
    assert client.get(reverse("desk:patient_data_json", args=args)).status_code == 403
    assert (
        client.post(reverse("desk:patient_erase", args=args), {"confirm": "oui"}).status_code == 403
    )
    assert Patient.objects.get(pk=louise["patient"].id).anonymised_at is None


def test_erasure_is_refused_while_an_appointment_is_to_come(practice, louise):
    org, patient = practice["organisation"], louise["patient"]
    with pytest.raises(ValidationError, match="1 rendez-vous à venir"):
        rights.erase(org, patient.id, actor=practice["owner"], now=NOW)
    patient.refresh_from_db()
    assert patient.last_name == "Bernard"
    assert not AuditEntry.objects.filter(action=Action.DELETE).exists()
    booking.cancel(louise["seen"], by_patient=False, channel=Channel.DESK, now=NOW)
    assert rights.erase(org, patient.id, actor=practice["owner"], now=NOW).anonymised_at


def test_erasure_anonymises_and_keeps_the_statistics(practice, louise):
    org, patient = practice["organisation"], louise["patient"]
    erased = rights.erase(org, patient.id, actor=practice["owner"], now=LATER)
    assert (erased.first_name, erased.last_name, erased.phone, erased.email) == (
        "Patient",
        "Anonyme",
        "",
        "",
    )
    assert erased.anonymised_at == LATER and erased.sms_opt_out
    # Appointments stay, with their statistics, still grouped under the anonymised row.
    kept = Appointment.objects.filter(patient=erased).order_by("start")
    assert [a.status for a in kept] == [Status.BOOKED, Status.CANCELLED_BY_PATIENT]
    assert {a.motif_id for a in kept} == {practice["motif"].id}
    assert all(a.cancel_reason == "" for a in kept)
    assert kept[0].manage_token != louise["seen"].manage_token
    # Relatives stay, without the link; texts and transcripts are gone.
    child = Patient.objects.get(pk=louise["child"].pk)
    assert child.first_name == "Léo" and child.managed_by is None
    assert not Message.objects.filter(appointment__in=kept).exclude(body="").exists()
    message = StaffMessage.objects.get(patient=erased)
    assert (message.body, message.caller_name, message.caller_phone) == ("", "", "")
    entry = WaitlistEntry.objects.get(organisation=org)
    assert (entry.last_name, entry.phone, entry.active) == ("Anonyme", "", False)
    call = Call.objects.get(pk=louise["call"].pk)
    assert (call.from_number, call.summary, call.outcomes) == ("", "", ["message_taken"])
    assert set(call.turns.values_list("caller_text", flat=True)) == {""}
    other_call = Call.objects.get(pk=louise["other_call"].pk)
    assert other_call.from_number == "+33612345678"  # another practice's data is theirs
    # Logged, once; erasing again changes nothing.
    (logged,) = AuditEntry.objects.filter(action=Action.DELETE)
    assert (logged.object_type, logged.object_id, logged.actor) == (
        ObjectType.PATIENT,
        str(patient.id),
        practice["owner"],
    )
    assert "Bernard" not in logged.summary and "2 rendez-vous" in logged.summary
    rights.erase(org, patient.id, actor=practice["owner"], now=LATER)
    assert AuditEntry.objects.filter(action=Action.DELETE).count() == 1
    assert rights.erase(practice["other_organisation"], patient.id, actor=practice["owner"]) is None


def test_erasure_through_the_desk(client, practice, louise, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: LATER)
    factories.login_verified(client, practice["owner"])
    args = [practice["organisation"].slug, louise["patient"].id]
    url = reverse("desk:patient_erase", args=args)
    assert "Effacer Louise" in client.get(url).content.decode()
    unconfirmed = client.post(url)
    assert "Cochez la case" in unconfirmed.content.decode()
    assert Patient.objects.get(pk=louise["patient"].id).anonymised_at is None
    response = client.post(url, {"confirm": "oui"})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:patient", args=args)
    assert Patient.objects.get(pk=louise["patient"].id).last_name == "Anonyme"


def test_erasure_through_the_desk_shows_why_it_is_refused(client, practice, louise):
    factories.login_verified(client, practice["owner"])
    args = [practice["organisation"].slug, louise["patient"].id]
    response = client.post(reverse("desk:patient_erase", args=args), {"confirm": "oui"})
    assert "annulez-les avant" in response.content.decode()
    assert Patient.objects.get(pk=louise["patient"].id).anonymised_at is None
