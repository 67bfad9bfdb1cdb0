"""The console through Django's client: access, the queue, taking a call, the screen pop and
every action on a call going through the same services as the desk."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from accueil.audit.models import Action, AuditEntry, ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel, Status
from accueil.desk.models import StaffMessage
from accueil.directory.models import Membership
from accueil.directory.services import Audience
from accueil.notify.models import Kind, Message
from accueil.reception import services as reception
from accueil.secretariat import services, views
from accueil.secretariat.models import Operator, Outcome, QueuedCall
from tests import factories
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import at, with_fallback

pytestmark = pytest.mark.django_db

NINE = at(MONDAY, 9)
CALLER = "+33612345678"


@pytest.fixture
def cast(monkeypatch):
    monkeypatch.setattr(views, "_now", lambda: NINE + dt.timedelta(minutes=1))
    return secretariat_cast.build()


def login(user) -> Client:
    client = Client()
    factories.login_verified(client, user)
    return client


def queued(contract, caller=CALLER, seconds=0, **kw) -> QueuedCall:
    return services.enqueue(
        contract,
        source=QueuedCall.Source.DIRECT,
        caller_number=caller,
        now=NINE + dt.timedelta(seconds=seconds),
        **kw,
    )


def take(cast, operator=None):
    operator = operator or cast.alice
    client = login(operator.user)
    response = client.post(reverse("secretariat:take"))
    assert response.status_code == 302
    return client, response


def test_anonymous_users_go_to_the_login_page(cast):
    for url in (reverse("secretariat:console"), reverse("secretariat:queue")):
        response = Client().get(url)
        assert response.status_code == 302 and "/desk/connexion/" in response["Location"]


def test_the_console_is_for_operators_others_are_sent_where_they_belong(cast):
    practice_secretary = factories.staff(cast.clients[0], Membership.Role.SECRETARY)
    assert login(practice_secretary).get(reverse("secretariat:console")).status_code == 404
    manager = login(cast.manager).get(reverse("secretariat:console"))
    assert manager["Location"] == reverse("secretariat:wallboard")
    owner = factories.staff(cast.clients[0], Membership.Role.OWNER)
    assert login(owner).get(reverse("secretariat:console"))["Location"] == reverse(
        "secretariat:billing"
    )
    for user in (practice_secretary, cast.manager, owner):
        assert login(user).get(reverse("secretariat:queue")).status_code == 404


def test_console_lists_the_queue_across_practices_and_the_team(cast):
    queued(cast.contracts[0], seconds=0)
    queued(cast.contracts[1], seconds=-30, urgent=True)
    response = login(cast.alice.user).get(reverse("secretariat:console"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'File d\'attente <span class="count" aria-live="polite">(2)</span>' in html
    assert html.index("Maison de santé du Val") < html.index("Cabinet des Tilleuls")
    assert "Urgent" in html and "1 min 30 s" in html
    assert "Prendre l'appel suivant" in html
    assert "Bruno" in html  # the team
    assert "Cabinet d&#x27;ailleurs" not in html  # another secretariat's client


def test_queue_fragment_for_htmx_polling(cast):
    queued(cast.contracts[2])
    response = login(cast.alice.user).get(
        reverse("secretariat:queue"), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.startswith('<div id="file"') and 'hx-trigger="every 3s"' in html
    assert "Cabinet Pasteur" in html and "<html" not in html


def test_status_switch(cast):
    client = login(cast.alice.user)
    client.post(reverse("secretariat:status"), {"status": "pause"})
    assert Operator.objects.get(pk=cast.alice.pk).status == Operator.Status.PAUSE
    response = client.post(reverse("secretariat:status"), {"status": "on_call"}, follow=True)
    assert "Statut inconnu." in response.content.decode()


def test_one_click_takes_the_next_call_and_opens_its_screen_pop(cast):
    call = queued(cast.contracts[1])
    client, response = take(cast)
    assert response["Location"] == reverse("secretariat:call", args=[call.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "Maison de santé du Val" in page and "06 12 34 56 78" in page
    # Clicking again while on the call goes back to that call.
    again = client.post(reverse("secretariat:take"))
    assert again["Location"] == response["Location"]


def test_taking_from_an_empty_queue_says_so(cast):
    response = login(cast.alice.user).post(reverse("secretariat:take"), follow=True)
    assert "Aucun appel en attente pour vous." in response.content.decode()


def test_screen_pop_shows_the_practice_card_the_caller_and_the_agents_work(cast):
    org = cast.clients[0]
    practitioner, motif = cast.practitioners[org.id], cast.motifs[org.id]
    patient = factories.patient(org, first_name="Jeanne", last_name="Lefèvre", phone=CALLER)
    factories.patient(cast.clients[1], first_name="Autre", last_name="Cabinet", phone=CALLER)
    booking.book(
        practitioner=practitioner,
        motif=motif,
        start=at(MONDAY + dt.timedelta(days=7), 10),
        patient=patient,
        channel=Channel.WEB,
        audience=Audience.PUBLIC,
        now=factories.NOW,
    )
    sheet = reception.current_sheet(org)[1]
    sheet["topics"]["walk_in"] = "Sans rendez-vous le samedi de 9 h à 11 h."
    sheet["notes"] = "Le docteur préfère les rappels après 18 h."
    sheet["motifs"] = [{"motif": motif.name, "instructions": "Venez à jeun."}]
    reception.save_sheet(org, sheet)
    with_fallback(org)
    agent = reception.start_call(to=org.phone, from_=CALLER, now=NINE).call
    reception.take_turn(agent.id, "je veux parler à une vraie personne", now=NINE)
    client, response = take(cast)
    html = client.get(response["Location"]).content.decode()
    assert "Cabinet des Tilleuls" in html
    assert "Consignes du cabinet" in html and "Sans rendez-vous le samedi" in html
    # The operator reads the sheet's internal notes and each motif's patient instructions.
    assert "Le docteur préfère les rappels après 18 h." in html and "Venez à jeun." in html
    assert practitioner.last_name in html and motif.name in html
    assert "LEFÈVRE Jeanne" in html and "lundi 11 janvier 2027" in html
    assert "CABINET Autre" not in html  # a patient of another practice with that number
    assert "Ce qu'a fait la standardiste virtuelle" in html
    assert "je veux parler à une vraie personne" in html  # the transcript
    # The practice's audit log says who from the secretariat opened its agenda and patient.
    reads = AuditEntry.objects.filter(organisation=org, action=Action.READ)
    assert set(reads.values_list("object_type", "object_id", "actor", "channel")) == {
        (ObjectType.AGENDA, "2027-01-04", cast.alice.user.id, Channel.OPERATOR),
        (ObjectType.PATIENT, str(patient.id), cast.alice.user.id, Channel.OPERATOR),
    }


def test_another_secretariats_operator_gets_404_on_the_call_and_its_actions(cast):
    call = queued(cast.contracts[0])
    take(cast)
    outsider = login(cast.outsider.user)
    assert outsider.get(reverse("secretariat:call", args=[call.public_id])).status_code == 404
    response = outsider.post(
        reverse("secretariat:finish", args=[call.public_id]), {"outcome": "informed"}
    )
    assert response.status_code == 404
    call.refresh_from_db()
    assert call.status == QueuedCall.Status.ON_CALL


def test_a_colleague_reads_the_call_but_cannot_act_on_it(cast):
    call = queued(cast.contracts[0])
    take(cast)
    bruno = login(cast.bruno.user)
    page = bruno.get(reverse("secretariat:call", args=[call.public_id])).content.decode()
    assert "pris par Alice" in page and "Terminer l'appel" not in page
    response = bruno.post(
        reverse("secretariat:finish", args=[call.public_id]), {"outcome": "informed"}, follow=True
    )
    assert "Cet appel n&#x27;est plus le vôtre." in response.content.decode()


def test_operator_books_in_the_practice_agenda_for_a_new_patient(cast):
    org = cast.clients[2]
    practitioner, motif = cast.practitioners[org.id], cast.motifs[org.id]
    call = queued(cast.contracts[2])
    client, response = take(cast)
    slots = client.get(
        response["Location"],
        {"practitioner": practitioner.id, "motif": motif.id, "day": MONDAY.isoformat(),
         "partie": "creneaux"},
        headers={"HX-Request": "true"},
    ).content.decode()  # fmt: skip
    assert slots.startswith('<div id="creneaux"') and "09:20</label>" in slots
    assert "09:00</label>" not in slots  # past at 9:01
    start = re.search(r'name="start" value="([^"]+)"', slots).group(1)
    done = client.post(
        reverse("secretariat:book", args=[call.public_id]),
        {
            "practitioner": practitioner.id,
            "motif": motif.id,
            "start": start,
            "patient": "nouveau",
            "nouveau-first_name": "Inès",
            "nouveau-last_name": "Caron",
            "nouveau-birth_date": "1975-03-02",
            "nouveau-phone": "06 11 22 33 44",
        },
        follow=True,
    )
    assert "Rendez-vous enregistré le 04/01/2027 à 09:20." in done.content.decode()
    appointment = Appointment.objects.get()
    assert (appointment.organisation, appointment.channel, appointment.created_by) == (
        org,
        Channel.OPERATOR,
        cast.alice.user,
    )
    call.refresh_from_db()
    assert call.appointment_ids == [appointment.id]


def test_a_slot_taken_meanwhile_is_said_and_nothing_is_booked_twice(cast):
    org = cast.clients[0]
    practitioner, motif = cast.practitioners[org.id], cast.motifs[org.id]
    patient = factories.patient(org, phone=CALLER)
    start = at(MONDAY, 10)
    booking.book(
        practitioner=practitioner, motif=motif, start=start, patient=factories.patient(org),
        channel=Channel.WEB, audience=Audience.PUBLIC, now=factories.NOW,
    )  # fmt: skip
    call = queued(cast.contracts[0])
    client, _ = take(cast)
    response = client.post(
        reverse("secretariat:book", args=[call.public_id]),
        {"practitioner": practitioner.id, "motif": motif.id, "start": start.isoformat(),
         "patient": patient.id},
        follow=True,
    )  # fmt: skip
    assert "Ce créneau vient d&#x27;être pris." in response.content.decode()
    assert Appointment.objects.count() == 1


def test_operator_cannot_book_with_another_practices_practitioner(cast):
    call = queued(cast.contracts[0])
    client, _ = take(cast)
    other = cast.clients[1]
    response = client.post(
        reverse("secretariat:book", args=[call.public_id]),
        {"practitioner": cast.practitioners[other.id].id, "motif": cast.motifs[other.id].id,
         "start": at(MONDAY, 9).isoformat(), "patient": "nouveau",
         "nouveau-first_name": "A", "nouveau-last_name": "B",
         "nouveau-birth_date": "1980-01-01", "nouveau-phone": "0611223344"},
        follow=True,
    )  # fmt: skip
    assert "Praticien inconnu." in response.content.decode()
    assert not Appointment.objects.exists()


def test_operator_moves_and_cancels_the_callers_appointments(cast):
    org = cast.clients[0]
    practitioner, motif = cast.practitioners[org.id], cast.motifs[org.id]
    patient = factories.patient(org, phone=CALLER)
    first, second = (
        booking.book(
            practitioner=practitioner,
            motif=motif,
            start=at(MONDAY, hour),
            patient=patient,
            channel=Channel.WEB,
            audience=Audience.PUBLIC,
            now=factories.NOW,
        )  # fmt: skip
        for hour in (9, 10)
    )
    call = queued(cast.contracts[0])
    client, response = take(cast)
    page = client.get(response["Location"], {"deplacer": first.public_id, "jour": MONDAY})
    assert "Déplacer le rendez-vous du lundi 4 janvier 2027" in page.content.decode()
    client.post(
        reverse("secretariat:move", args=[call.public_id, first.public_id]),
        {"start": at(MONDAY, 11).isoformat()},
    )
    client.post(
        reverse("secretariat:cancel", args=[call.public_id, second.public_id]),
        {"reason": "Empêchement"},
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.start == at(MONDAY, 11) and first.events.last().channel == Channel.OPERATOR
    assert (second.status, second.cancel_reason) == (Status.CANCELLED_BY_PATIENT, "Empêchement")
    call.refresh_from_db()
    assert call.appointment_ids == [first.id, second.id]


def test_operator_cannot_touch_another_practices_appointment(cast):
    other = cast.clients[1]
    appointment = booking.book(
        practitioner=cast.practitioners[other.id], motif=cast.motifs[other.id],
        start=at(MONDAY, 9), patient=factories.patient(other), channel=Channel.WEB,
        audience=Audience.PUBLIC, now=factories.NOW,
    )  # fmt: skip
    call = queued(cast.contracts[0])
    client, _ = take(cast)
    response = client.post(
        reverse("secretariat:cancel", args=[call.public_id, appointment.public_id]), follow=True
    )
    assert "Rendez-vous introuvable pour ce cabinet." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.BOOKED


def test_operator_leaves_an_urgent_message_in_the_practice_inbox(cast):
    org = cast.clients[1]
    call = queued(cast.contracts[1])
    client, _ = take(cast)
    client.post(
        reverse("secretariat:message", args=[call.public_id]),
        {"body": "Rappeler pour résultats", "urgent": "on", "caller_name": "M. Petit",
         "caller_phone": "06 12 34 56 78", "practitioner": cast.practitioners[org.id].id},
    )  # fmt: skip
    message = StaffMessage.objects.get()
    assert (message.organisation, message.urgent, message.channel, message.caller_phone) == (
        org,
        True,
        Channel.OPERATOR,
        CALLER,
    )
    call.refresh_from_db()
    assert call.message_ids == [message.id]


def test_operator_messages_are_routed_by_the_sheet_like_the_receptionists(cast):
    org = cast.clients[1]
    practitioner = cast.practitioners[org.id]
    practitioner.pro_mobile = "+33611000002"
    practitioner.save()
    sheet = reception.current_sheet(org)[1]
    for category in sheet["messages"]["categories"]:
        if category["key"] == "renouvellement":
            category.update(route=["desk", "sms"], urgent=True)
    reception.save_sheet(org, sheet)
    call = queued(cast.contracts[1])
    client, _ = take(cast)
    page = client.get(reverse("secretariat:call", args=[call.public_id])).content.decode()
    assert 'value="renouvellement"' in page  # the sheet's categories are offered
    for category in ("administratif", "renouvellement"):
        client.post(
            reverse("secretariat:message", args=[call.public_id]),
            {"body": "Renouveler le Levothyrox", "category": category,
             "practitioner": practitioner.id},
        )  # fmt: skip
    administratif, renouvellement = StaffMessage.objects.order_by("id")
    assert (administratif.category, administratif.urgent) == ("administratif", False)
    assert (renouvellement.category, renouvellement.urgent) == ("renouvellement", True)
    sent = Message.objects.filter(kind=Kind.PRACTITIONER_MESSAGE)
    assert [(m.channel, m.recipient) for m in sent] == [("sms", "+33611000002")]
    assert sent[0].idempotency_key.startswith(f"pm{renouvellement.id}-")
    assert "Levothyrox" not in sent[0].body


def test_put_through_only_when_the_sheet_allows_it(cast):
    org = cast.clients[0]
    sheet = reception.current_sheet(org)[1]
    sheet["put_through"] = [
        {"label": "Ligne du Dr", "phones": ["+33322001234"], "roles": ["pharmacie"],
         "number": "+33622334455"},
    ]  # fmt: skip
    reception.save_sheet(org, sheet, now=factories.NOW)
    call = queued(cast.contracts[0])
    client, _ = take(cast)
    url = reverse("secretariat:put_through", args=[call.public_id])
    refused = client.post(url, {"entry": 0, "role": ""}, follow=True)
    assert "Les consignes ne permettent pas de passer cet appelant." in refused.content.decode()
    done = client.post(url, {"entry": 0, "role": "pharmacie"}, follow=True)
    assert "Appel passé à Ligne du Dr (+33622334455)." in done.content.decode()
    call.refresh_from_db()
    assert (call.status, call.outcome) == (QueuedCall.Status.WRAP_UP, Outcome.PUT_THROUGH)


def test_a_listed_caller_is_put_through_without_a_role(cast):
    org = cast.clients[0]
    sheet = reception.current_sheet(org)[1]
    sheet["put_through"] = [
        {"label": "Labo", "phones": [CALLER], "roles": [], "number": "+33622334455"}
    ]
    reception.save_sheet(org, sheet, now=factories.NOW)
    call = queued(cast.contracts[0])
    client, _ = take(cast)
    client.post(reverse("secretariat:put_through", args=[call.public_id]), {"entry": 0})
    call.refresh_from_db()
    assert call.outcome == Outcome.PUT_THROUGH


def test_every_call_ends_with_an_outcome_and_a_note(cast):
    call = queued(cast.contracts[0])
    client, response = take(cast)
    client.post(reverse("secretariat:hang_up", args=[call.public_id]))
    assert Operator.objects.get(pk=cast.alice.pk).status == Operator.Status.WRAP_UP
    missing = client.post(reverse("secretariat:finish", args=[call.public_id]), {}, follow=True)
    assert "Choisissez l&#x27;issue de l&#x27;appel." in missing.content.decode()
    done = client.post(
        reverse("secretariat:finish", args=[call.public_id]),
        {"outcome": "no_slot", "note": "Plus de créneau cette semaine, rappellera lundi."},
    )
    assert done["Location"] == reverse("secretariat:console")
    call.refresh_from_db()
    assert (call.status, call.outcome, call.wrap_up_note) == (
        QueuedCall.Status.DONE,
        Outcome.NO_SLOT,
        "Plus de créneau cette semaine, rappellera lundi.",
    )
    page = client.get(response["Location"]).content.decode()
    assert "Appel terminé" in page and "Aucun créneau à proposer" in page
