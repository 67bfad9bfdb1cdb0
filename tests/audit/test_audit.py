"""The audit log: an entry for every read of patient data and every change, in the change's
transaction, with who, where from and through which channel; nothing can alter it."""

import datetime as dt
import ipaddress

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accueil.audit import services as audit
from accueil.audit.models import Action, AppendOnly, AuditEntry, ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Channel, Status
from accueil.directory.services import Audience
from accueil.patients.services import PatientIdentity
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db

JEANNE = PatientIdentity(
    first_name="Jeanne",
    last_name="Lefèvre",
    birth_date=dt.date(1984, 7, 12),
    phone="06 12 34 56 78",
    email="jeanne@example.org",
)


def nine(minute=0):
    return wall_clock(MONDAY, dt.time(9, minute))


def book(practice, start=None, patient=JEANNE, **kw):
    kw.setdefault("channel", Channel.DESK)
    kw.setdefault("audience", Audience.STAFF)
    return booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=start or nine(),
        patient=patient,
        now=NOW,
        **kw,
    )


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def assert_no_identity(entry: AuditEntry) -> None:
    for secret in ("Jeanne", "Lefèvre", "0612345678", "+33612345678", "jeanne@"):
        assert secret not in entry.summary


# Changes ------------------------------------------------------------------------------------


def test_every_change_through_the_booking_services_is_logged(practice):
    owner = practice["owner"]
    appointment = book(practice, actor=owner)
    booking.move(
        appointment, start=nine(20), channel=Channel.DESK, audience=Audience.STAFF, now=NOW
    )
    booking.change_status(appointment, Status.NO_SHOW, channel=Channel.DESK, actor=owner, now=NOW)
    booking.change_status(appointment, Status.BOOKED, channel=Channel.DESK, actor=owner, now=NOW)
    booking.cancel(appointment, by_patient=True, channel=Channel.WEB, reason="Fièvre", now=NOW)

    logged = entries(object_type=ObjectType.APPOINTMENT)
    assert [(e.action, e.channel) for e in logged] == [
        (Action.CREATE, Channel.DESK),
        (Action.UPDATE, Channel.DESK),
        (Action.UPDATE, Channel.DESK),
        (Action.UPDATE, Channel.DESK),
        (Action.UPDATE, Channel.WEB),
    ]
    assert {e.object_id for e in logged} == {str(appointment.public_id)}
    assert {e.organisation_id for e in logged} == {practice["organisation"].id}
    assert logged[0].actor == owner and logged[0].actor_label == owner.username
    assert logged[1].actor is None and logged[1].actor_label == ""
    assert logged[0].summary == "Réservé : 04/01/2027 09:00"
    assert logged[1].summary == "Déplacé : 04/01/2027 09:20 (avant : 04/01/2027 09:00)"
    assert "Réservé → Non honoré" in logged[2].summary
    assert "Fièvre" not in logged[4].summary  # free text stays out of the log
    for entry in logged:
        assert_no_identity(entry)


def test_patient_creation_and_change_are_logged(practice):
    appointment = book(practice)
    created = entries(object_type=ObjectType.PATIENT)
    assert [(e.action, e.object_id) for e in created] == [
        (Action.CREATE, str(appointment.patient_id))
    ]
    book(practice, start=nine(20), patient=PatientIdentity(**{**JEANNE.__dict__, "email": ""}))
    assert len(entries(object_type=ObjectType.PATIENT)) == 1  # found, nothing changed
    book(
        practice, start=nine(40), patient=PatientIdentity(**{**JEANNE.__dict__, "email": "j@x.fr"})
    )
    changed = entries(object_type=ObjectType.PATIENT)[-1]
    assert (changed.action, changed.summary) == (Action.UPDATE, "Modifié : email")
    assert_no_identity(changed)


def test_entries_are_written_in_the_transaction_of_the_change(practice):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        book(practice)
        assert AuditEntry.objects.count() == 2  # the patient and the appointment
        raise Abort
    assert AuditEntry.objects.count() == 0
    book(practice)
    with pytest.raises(booking.SlotTaken):
        book(practice, patient=PatientIdentity(**{**JEANNE.__dict__, "first_name": "Paul"}))
    assert AuditEntry.objects.filter(object_type=ObjectType.PATIENT).count() == 1


# Reads --------------------------------------------------------------------------------------


@pytest.fixture
def desk(client, practice):
    factories.login_verified(client, practice["member"])
    return client


def desk_url(practice, name, *args):
    return reverse(f"desk:{name}", args=[practice["organisation"].slug, *args])


def test_desk_reads_of_patient_data_are_logged(desk, practice):
    appointment = book(practice)
    member = practice["member"]
    pages = [
        (desk_url(practice, "patient", appointment.patient_id), ObjectType.PATIENT),
        (desk_url(practice, "appointment", appointment.public_id), ObjectType.APPOINTMENT),
        (desk_url(practice, "agenda") + f"?jour={MONDAY}", ObjectType.AGENDA),
        (desk_url(practice, "waiting_room"), ObjectType.WAITING_ROOM),
    ]
    for url, object_type in pages:
        before = AuditEntry.objects.count()
        assert desk.get(url, REMOTE_ADDR="192.0.2.10").status_code == 200
        (entry,) = AuditEntry.objects.all().order_by("id")[before:]
        assert (entry.action, entry.object_type) == (Action.READ, object_type), url
        assert (entry.actor, entry.actor_label) == (member, member.username)
        assert (entry.channel, entry.ip) == (Channel.DESK, "192.0.2.10")
        assert entry.organisation_id == practice["organisation"].id
    reads = entries(action=Action.READ)
    assert reads[0].object_id == str(appointment.patient_id)
    assert reads[1].object_id == str(appointment.public_id)
    assert reads[2].object_id == MONDAY.isoformat()


def test_agenda_polls_do_not_log_again(desk, practice):
    url = desk_url(practice, "agenda") + f"?jour={MONDAY}"
    desk.get(url)
    reads = AuditEntry.objects.filter(action=Action.READ).count()
    desk.get(url + "&stamp=x", headers={"HX-Request": "true"})
    assert AuditEntry.objects.filter(action=Action.READ).count() == reads


def test_patient_reads_through_the_manage_link_and_the_api_are_logged(practice):
    appointment = book(practice)
    client = Client()
    manage = reverse("booking:manage", args=[appointment.public_id, appointment.manage_token])
    assert client.get(manage, REMOTE_ADDR="198.51.100.7").status_code == 200
    api = f"/api/v1/appointments/{appointment.public_id}?token={appointment.manage_token}"
    assert client.get(api, REMOTE_ADDR="2001:db8::1").status_code == 200
    web, api_read = entries(action=Action.READ)
    assert (web.channel, web.ip, web.actor_id) == (Channel.WEB, "198.51.100.7", None)
    assert (api_read.channel, api_read.ip) == (Channel.API, "2001:db8::1")
    for entry in (web, api_read):
        assert entry.object_type == ObjectType.APPOINTMENT
        assert entry.object_id == str(appointment.public_id)
    # A wrong token reads nothing, and logs nothing.
    assert client.get(api.replace(appointment.manage_token, "x" * 32)).status_code == 404
    assert len(entries(action=Action.READ)) == 2


def test_changes_made_through_a_request_carry_its_address(desk, practice):
    appointment = book(practice)
    url = desk_url(practice, "appointment_cancel", appointment.public_id)
    desk.post(url, {"reason": "Praticien absent"}, REMOTE_ADDR="192.0.2.44")
    cancelled = entries(action=Action.UPDATE, object_type=ObjectType.APPOINTMENT)[-1]
    assert (cancelled.ip, cancelled.actor) == ("192.0.2.44", practice["member"])


# Client address -----------------------------------------------------------------------------


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(desk, practice, settings):
    url = desk_url(practice, "waiting_room")
    forged = {"REMOTE_ADDR": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "10.9.9.9"}
    desk.get(url, **forged)
    assert AuditEntry.objects.latest("id").ip == "203.0.113.5"

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    desk.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9, 10.0.0.3")
    # The right-most address the trusted proxies did not add: the client's forged first hop
    # (1.2.3.4) is not believed.
    assert AuditEntry.objects.latest("id").ip == "203.0.113.9"
    desk.get(url, **forged)
    assert AuditEntry.objects.latest("id").ip == "203.0.113.5"


# Append-only --------------------------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted_through_the_application(practice):
    book(practice)
    entry = AuditEntry.objects.first()
    entry.summary = "rien"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="rien")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.bulk_update([entry], ["summary"])
    assert AuditEntry.objects.get(pk=entry.pk).summary != "rien"


def test_deleting_a_user_or_an_organisation_keeps_their_entries(practice):
    owner = practice["owner"]
    book(practice, actor=owner)
    logged = AuditEntry.objects.count()
    owner.delete()
    assert AuditEntry.objects.count() == logged
    assert AuditEntry.objects.filter(actor_label=owner.username).exists()


@pytest.mark.postgres
def test_postgresql_refuses_updates_and_deletes_from_any_sql_client(practice):
    book(practice)
    table = AuditEntry._meta.db_table
    for sql in (f"UPDATE {table} SET summary = 'x'", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEntry.objects.count() == 2


@pytest.mark.postgres
def test_postgresql_lets_only_the_retention_purge_delete(practice):
    book(practice)
    assert audit.purge_before(NOW + dt.timedelta(days=1)) == {practice["organisation"].id: 2}
    assert AuditEntry.objects.count() == 0
    book(practice, start=nine(20))
    # The purge left nothing enabled behind it.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table}")


def test_purge_deletes_only_entries_older_than_the_cutoff(practice):
    org = practice["organisation"]
    for at in (NOW - dt.timedelta(seconds=1), NOW, NOW + dt.timedelta(seconds=1)):
        audit.record(
            organisation_id=org.id,
            action=Action.READ,
            object_type=ObjectType.AGENDA,
            object_id="",
            channel=Channel.DESK,
            at=at,
        )
    assert audit.purge_before(NOW) == {org.id: 1}
    assert sorted(AuditEntry.objects.values_list("at", flat=True)) == [
        NOW,
        NOW + dt.timedelta(seconds=1),
    ]
    assert audit.purge_before(NOW) == {}


# The owner's journal ------------------------------------------------------------------------


def test_owner_searches_the_journal_and_exports_it(client, practice):
    owner, member = practice["owner"], practice["member"]
    appointment = book(practice, actor=member)
    factories.login_verified(client, member)
    client.get(desk_url(practice, "patient", appointment.patient_id))
    factories.login_verified(client, owner)
    journal = desk_url(practice, "journal")

    page = client.get(journal).content.decode()
    assert "Journal d'accès" in page and "Dossier patient" in page and member.username in page

    def shown(**query) -> int:
        return client.get(journal, query).context["page"].paginator.count

    assert shown() == 3
    assert shown(action="read") == 1
    assert shown(actor=member.id, object_type="appointment") == 1
    assert shown(object_type="patient", object_id=str(appointment.patient_id)) == 2
    assert shown(since="2026-01-01", until="2026-01-02") == 0
    assert shown(since="01/01/2027", until="01/01/2027") == 1  # the booking, at NOW
    assert (
        client.get(journal, {"since": "2027-01-02", "until": "2027-01-01"}).context["form"].errors
    )
    audit.record(
        organisation_id=practice["other_organisation"].id,
        action=Action.READ,
        object_type=ObjectType.AGENDA,
        object_id="",
        channel=Channel.DESK,
    )
    assert shown() == 3  # another practice's entries are never shown

    export = client.get(desk_url(practice, "journal_csv"), {"action": "create"})
    assert export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("Date;Utilisateur;Action;Objet;Identifiant;Canal")
    assert len(lines) == 3  # header, the appointment and the patient created
    assert all(member.username in line for line in lines[1:])
    exported = AuditEntry.objects.latest("id")
    assert (exported.object_type, exported.actor) == (ObjectType.AUDIT_LOG, owner)


def test_journal_is_for_owners_only(client, practice):
    factories.login_verified(client, practice["member"])
    response = client.get(desk_url(practice, "journal"))
    assert response.status_code == 403
    assert "responsable" in response.content.decode()
    assert client.get(desk_url(practice, "journal_csv")).status_code == 403
    factories.login_verified(client, practice["outsider"])
    assert client.get(desk_url(practice, "journal")).status_code == 404
