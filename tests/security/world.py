"""A practice with one object of every kind a URL can name, and the cast that knocks on its
doors: its owner, practitioner, secretary, referrer and territory analyst; the owner of
another practice; an operator of a remote secretariat that has no contract with it; an
anonymous visitor.

The practice is a client of another secretariat (one of its calls is on that secretariat's
console, with a contract and statements), so the console's URLs have real objects too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel
from accueil.desk import services as desk
from accueil.directory.models import Membership, Organisation
from accueil.directory.services import Audience
from accueil.notify.models import WaitlistEntry, WaitlistOffer
from accueil.reception import services as reception
from accueil.reception.models import Call
from accueil.scheduling.engine import wall_clock
from accueil.secretariat import services as secretariat
from accueil.secretariat.models import Contract, QueuedCall
from tests import factories
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast

CAST = (
    "owner",
    "practitioner",
    "secretary",
    "referrer",
    "analyst",
    "outsider",
    "foreign_operator",
    "anonymous",
)
ROLES = {
    "owner": Membership.Role.OWNER,
    "practitioner": Membership.Role.PRACTITIONER,
    "secretary": Membership.Role.SECRETARY,
    "referrer": Membership.Role.REFERRER,
    "analyst": Membership.Role.ANALYST,
}


@dataclass
class World:
    organisation: Organisation
    other: Organisation
    users: dict  # cast name -> User (None for anonymous)
    appointment: Appointment
    kwargs: dict  # URL converter name -> value, for the practice's objects
    overrides: dict  # URL name -> {converter: value} where a name means another object


def build() -> World:
    org, practitioner, motif = factories.agenda()
    other = factories.organisation(name="Cabinet voisin")
    users = {who: factories.staff(org, role) for who, role in ROLES.items()}
    users["outsider"] = factories.staff(other, Membership.Role.OWNER)
    foreign = secretariat_cast.secretariat_org("Télésecrétariat sans contrat")
    users["foreign_operator"] = secretariat_cast.operator(foreign, first_name="Olga").user
    users["anonymous"] = None

    appointment = booking.book(
        practitioner=practitioner,
        motif=motif,
        start=wall_clock(MONDAY, dt.time(9)),
        patient=factories.patient(org),
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=factories.NOW,
    )
    absence = factories.absence(
        practitioner, wall_clock(MONDAY, dt.time(11)), wall_clock(MONDAY, dt.time(12))
    )
    message = desk.leave_message(org, body="Rappeler", channel=Channel.DESK, now=factories.NOW)
    desk_call = Call.objects.create(  # the simulator's pages open desk calls only
        organisation=org, to_number="+33322000000", channel="desk", started_at=factories.NOW
    )
    sheet = reception.save_sheet(org, reception.default_sheet(org), now=factories.NOW)

    # Our practice, client of a secretariat whose operator is on one of its calls.
    ours = secretariat_cast.secretariat_org()
    contract = secretariat.save_contract(
        ours,
        org,
        mode=Contract.Mode.ALL_CALLS,
        covered_hours=secretariat_cast.WEEK,
        price_per_call="1",
    )
    alice = secretariat_cast.operator(ours)
    secretariat.enqueue(
        contract,
        source=QueuedCall.Source.DIRECT,
        caller_number="",
        now=secretariat_cast.at(MONDAY, 9),
    )
    queued = secretariat.take_next_call(alice, now=secretariat_cast.at(MONDAY, 9))

    entry = WaitlistEntry.objects.create(
        organisation=org,
        motif=motif,
        first_name="Paul",
        last_name="Attente",
        birth_date=dt.date(1980, 1, 1),
        joined_at=factories.NOW,
    )
    offer = WaitlistOffer.objects.create(
        entry=entry,
        practitioner=practitioner,
        motif=motif,
        site=practitioner.sites.get(),
        start=wall_clock(MONDAY, dt.time(10)),
        end=wall_clock(MONDAY, dt.time(10, 20)),
        created_at=factories.NOW,
        expires_at=factories.NOW + dt.timedelta(hours=2),
    )
    site = practitioner.sites.get()
    kwargs = {
        "slug": org.slug,
        "org_slug": org.slug,
        "site_slug": site.slug,
        "public_id": appointment.public_id,
        "token": appointment.manage_token,
        "patient_id": appointment.patient_id,
        "absence_id": absence.id,
        "message_id": message.id,
        "site_id": site.id,
        "practitioner_id": practitioner.id,
        "motif_id": motif.id,
        "period_id": practitioner.opening_periods.get().id,
        "kind": "reminder",  # a message text: kind and channel
        "channel": "sms",
        "call_id": desk_call.id,
        "sheet_version": sheet.version,
        "contract_id": contract.id,
        "operator_id": alice.id,
        "membership_id": users["secretary"].memberships.get().id,
        "month": "2027-01",
        # The admin's converters: an object of the first model it lists.
        "app_label": "directory",
        "object_id": str(org.id),
        "content_type_id": 1,
        "pk": 1,
        "id": users["owner"].id,
        "appointment_id": appointment.public_id,
        "url": "directory/organisation/",
    }
    overrides = {
        **{
            name: {"call_id": queued.public_id}
            for name in (
                "secretariat:call",
                "secretariat:book",
                "secretariat:cancel",
                "secretariat:move",
                "secretariat:message",
                "secretariat:put_through",
                "secretariat:hang_up",
                "secretariat:finish",
                "secretariat_telephony:operator",
            )
        },
        "booking:waitlist_offer": {"token": offer.token},
        "booking:waitlist_leave": {"token": entry.token},
    }
    return World(org, other, users, appointment, kwargs, overrides)
