"""An owner resets a member's second factor (`reset_member_second_factor`): only an account
that reaches nothing but this practice, never one's own."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services
from accueil.directory.models import Membership
from tests import factories
from tests.secretariat import cast as secretariat_cast

pytestmark = pytest.mark.django_db


def own(practice, who: str) -> Membership:
    return Membership.objects.get(user=practice[who], organisation=practice["organisation"])


def test_the_reset_deletes_the_devices_and_ends_the_sessions(practice, client):
    member = practice["member"]
    services.new_recovery_codes(member)
    factories.login_verified(client, member)
    assert services.reset_member_second_factor(own(practice, "member"), actor=practice["owner"])
    assert not services.has_authenticator(member) and services.recovery_codes_left(member) == 0


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_no_reset_for_an_administration_account(practice, flag):
    member = practice["member"]
    setattr(member, flag, True)
    member.save()
    device = factories.authenticator(member)
    with pytest.raises(services.ResetRefused, match="sert aussi ailleurs"):
        services.reset_member_second_factor(own(practice, "member"), actor=practice["owner"])
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_no_reset_for_an_operator_of_a_secretariat(practice):
    """An operator who also joined the practice: the reset would open the secretariat."""
    operator = secretariat_cast.operator(secretariat_cast.secretariat_org())
    joined = Membership.objects.create(
        user=operator.user, organisation=practice["organisation"], role="secretary"
    )
    device = factories.authenticator(operator.user)
    with pytest.raises(services.ResetRefused):
        services.reset_member_second_factor(joined, actor=practice["owner"])
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
