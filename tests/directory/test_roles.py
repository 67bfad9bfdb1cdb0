"""The role table: what each membership role may do."""

from accueil.directory import roles
from accueil.directory.models import Membership
from accueil.directory.roles import Capability

PATIENT_LEVEL = {Capability.AGENDA, Capability.PATIENTS, Capability.MESSAGES, Capability.CALLS}


def test_every_role_has_a_row():
    assert set(roles.CAPABILITIES) == set(Membership.Role.values)


def test_an_analyst_sees_aggregates_only():
    assert roles.CAPABILITIES[Membership.Role.ANALYST] == {Capability.STATISTICS}


def test_a_referrer_only_books_and_never_reaches_the_practices_patients():
    got = roles.CAPABILITIES[Membership.Role.REFERRER]
    assert got == {Capability.REFERRER_BOOKING}
    assert not got & PATIENT_LEVEL


def test_only_owners_change_settings_and_handle_privacy():
    for role in Membership.Role.values:
        owner = role == Membership.Role.OWNER
        member = Membership(role=role)
        assert roles.may(member, Capability.SETTINGS_WRITE) is owner
        assert roles.may(member, Capability.PRIVACY) is owner
    assert not roles.may(None, Capability.STATISTICS)
