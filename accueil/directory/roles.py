"""What each role of an organisation membership may do: the one table the desk's views and
the services read (`may`). A view states the capability it needs (`desk.views.staff_view`);
a member whose role lacks it gets a 403, anyone outside the organisation a 404.

Remote-secretariat operators are not members of the practices they answer for: they reach
a practice only through a contract, in the console (`secretariat.services.operator_call`).
"""

from __future__ import annotations

import enum

from accueil.directory.models import Membership

Role = Membership.Role


class Capability(enum.StrEnum):
    AGENDA = "agenda"  # agenda, waiting room, appointments, booking for any patient, absences
    PATIENTS = "patients"  # patient search and files
    MESSAGES = "messages"  # messages for the practitioners, undelivered notifications
    CALLS = "calls"  # the virtual receptionist's calls and its simulator
    STATISTICS = "statistics"  # aggregate figures only, never a patient
    SETTINGS_READ = "settings_read"
    SETTINGS_WRITE = "settings_write"
    PRIVACY = "privacy"  # the audit log, patients' rights (export, erasure)
    REFERRER_BOOKING = "referrer_booking"  # book referrer/public motifs, own bookings only


_STAFF = frozenset(
    {
        Capability.AGENDA,
        Capability.PATIENTS,
        Capability.MESSAGES,
        Capability.CALLS,
        Capability.STATISTICS,
        Capability.SETTINGS_READ,
    }
)

CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: _STAFF | {Capability.SETTINGS_WRITE, Capability.PRIVACY},
    Role.PRACTITIONER: _STAFF,
    Role.SECRETARY: _STAFF,
    Role.REFERRER: frozenset({Capability.REFERRER_BOOKING}),
    Role.ANALYST: frozenset({Capability.STATISTICS}),
}

# Where each role lands in the desk (URL names of the desk, with the organisation's slug).
HOME_PAGES: dict[str, str] = {
    Role.REFERRER: "desk:referrer",
    Role.ANALYST: "desk:stats",
}
DEFAULT_HOME = "desk:agenda"


def may(membership: Membership | None, capability: Capability) -> bool:
    return membership is not None and capability in CAPABILITIES.get(membership.role, ())


def capabilities_of(membership: Membership) -> set[str]:
    """The role's capabilities as plain strings, for templates."""
    return {str(c) for c in CAPABILITIES.get(membership.role, ())}


def home_page(membership: Membership) -> str:
    return HOME_PAGES.get(membership.role, DEFAULT_HOME)
