"""« Équipe »: the practice's members, read by staff, managed by owners (add an existing
login or a new account, change a role, remove, reset a second factor).

The access sweep (tests/security/test_access_sweep.py) checks every member of the cast on
these URLs too; here each action is tried by the owner (done), a member (403, nothing
changes) and an outsider (404, nothing changes).
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services as accounts
from accueil.accounts.models import LoginSession
from accueil.audit.models import Action, AuditEntry, ObjectType
from accueil.directory.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

Role = Membership.Role
PASSWORD = "x-demo-pass"  # tests.factories.staff
NEW_PASSWORD = "Quatre-saisons-a-Lille"


def verified(user) -> Client:
    client = Client()
    factories.login_verified(client, user)
    return client


def url(practice, name, *args):
    return reverse(f"desk:{name}", args=[practice["organisation"].slug, *args])


def membership(practice, who: str) -> Membership:
    return Membership.objects.get(user=practice[who], organisation=practice["organisation"])


def team_state(practice):
    rows = Membership.objects.order_by("pk").values()
    devices = TOTPDevice.objects.order_by("pk").values_list("pk", flat=True)
    return list(rows), list(devices), User.objects.count(), LoginSession.objects.count()


def new_account(**extra) -> dict:
    return {
        "kind": "new",
        "new-first_name": "Lucie",
        "new-last_name": "Martin",
        "new-username": "lmartin",
        "new-email": "lucie.martin@example.org",
        "new-role": Role.SECRETARY,
        "new-practitioner": "",
        "new-password": NEW_PASSWORD,
        **extra,
    }


def actions(practice) -> list[tuple[str, dict]]:
    """Each owner action on the member (a secretary): URL and POST data."""
    target = membership(practice, "member").id
    referrer = factories.staff(practice["other_organisation"], Role.REFERRER)
    return [
        (url(practice, "settings_member_new"), new_account()),
        (
            url(practice, "settings_member_new"),
            {
                "kind": "existing",
                "existing-username": referrer.username,
                "existing-role": "referrer",
            },
        ),
        (url(practice, "settings_member", target), {"role": Role.PRACTITIONER}),
        (url(practice, "settings_member_remove", target), {}),
        (url(practice, "settings_member_reset_second_factor", target), {}),
    ]


# Reading ----------------------------------------------------------------------------------------


def test_members_read_the_team(practice):
    factories.authenticator(practice["owner"])
    page = verified(practice["member"]).get(url(practice, "settings_team"))
    assert page.status_code == 200
    body = page.content.decode()
    for who in ("owner", "member"):
        assert practice[who].username in body
    assert "Responsable" in body and "Secrétaire" in body
    assert "activée" in body
    assert practice["outsider"].username not in body  # another practice's member
    assert "Ajouter un membre" not in body  # owners only
    assert f'href="{url(practice, "settings_team")}"' in body  # the settings menu


def test_the_list_says_who_has_no_second_factor_yet(practice):
    owner = verified(practice["owner"])
    TOTPDevice.objects.filter(user=practice["member"]).delete()
    body = owner.get(url(practice, "settings_team")).content.decode()
    assert "à activer à la prochaine connexion" in body


def test_an_outsider_gets_404_on_every_team_page(practice):
    outsider = verified(practice["outsider"])
    target = membership(practice, "member").id
    for name, args in (
        ("settings_team", ()),
        ("settings_member_new", ()),
        ("settings_member", (target,)),
    ):
        assert outsider.get(url(practice, name, *args)).status_code == 404


# Every action: owner does it, member gets 403, outsider 404 --------------------------------------


@pytest.mark.parametrize("index", range(5))
def test_a_member_is_refused_every_action(practice, index):
    path, data = actions(practice)[index]
    member = verified(practice["member"])
    before = team_state(practice)
    response = member.post(path, data)
    assert response.status_code == 403
    assert team_state(practice) == before
    assert not AuditEntry.objects.filter(object_type=ObjectType.ACCOUNT).exclude(
        action=Action.LOGIN
    )


@pytest.mark.parametrize("index", range(5))
def test_an_outsider_gets_404_for_every_action(practice, index):
    path, data = actions(practice)[index]
    outsider = verified(practice["outsider"])  # an owner, of another practice
    before = team_state(practice)
    assert outsider.post(path, data).status_code == 404
    assert team_state(practice) == before


def test_an_owner_cannot_reach_another_practice_s_member_through_their_own_slug(practice):
    """The membership id is looked up within the URL's practice: 404, not the other's."""
    owner = verified(practice["owner"])
    foreign = Membership.objects.get(user=practice["outsider"])
    before = team_state(practice)
    for name in (
        "settings_member",
        "settings_member_remove",
        "settings_member_reset_second_factor",
    ):
        response = owner.post(url(practice, name, foreign.id), {"role": Role.SECRETARY})
        assert response.status_code == 404, name
    assert team_state(practice) == before


def test_the_owner_creates_an_account_that_enrols_at_first_login(practice):
    owner = verified(practice["owner"])
    response = owner.post(url(practice, "settings_member_new"), new_account())
    assert response.status_code == 302
    assert response["Location"] == url(practice, "settings_team")
    user = User.objects.get(username="lmartin")
    assert user.check_password(NEW_PASSWORD) and user.email == "lucie.martin@example.org"
    assert Membership.objects.get(user=user).role == Role.SECRETARY
    entry = AuditEntry.objects.get(action=Action.CREATE, object_id=str(user.pk))
    assert entry.actor_id == practice["owner"].pk
    assert entry.organisation_id == practice["organisation"].id
    # First login: password, then the enrolment of an authenticator.
    newcomer = Client()
    step = newcomer.post(reverse("desk:login"), {"username": "lmartin", "password": NEW_PASSWORD})[
        "Location"
    ]
    assert step.startswith(reverse("accounts:enrol"))
    assert newcomer.get(url(practice, "settings_team")).status_code == 302


def test_a_weak_password_is_refused_in_french(practice):
    owner = verified(practice["owner"])
    response = owner.post(
        url(practice, "settings_member_new"), new_account(**{"new-password": "12345678"})
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Le formulaire n'a pas été enregistré" in body
    assert "trop courant" in body or "entièrement numérique" in body
    assert not User.objects.filter(username="lmartin").exists()


def test_the_owner_adds_an_existing_login(practice):
    """A practitioner who also works in another practice joins with their own account."""
    elsewhere = factories.staff(practice["other_organisation"], Role.PRACTITIONER)
    owner = verified(practice["owner"])
    response = owner.post(
        url(practice, "settings_member_new"),
        {
            "kind": "existing",
            "existing-username": elsewhere.username.upper(),
            "existing-role": Role.PRACTITIONER,
            "existing-practitioner": practice["practitioner"].id,
        },
    )
    assert response.status_code == 302
    joined = Membership.objects.get(user=elsewhere, organisation=practice["organisation"])
    assert joined.practitioner == practice["practitioner"]
    assert Membership.objects.filter(user=elsewhere).count() == 2
    again = owner.post(
        url(practice, "settings_member_new"),
        {"kind": "existing", "existing-username": elsewhere.username, "existing-role": "secretary"},
    )
    assert "déjà partie de l&#x27;équipe" in again.content.decode()


def test_an_unknown_login_is_an_error_on_its_field(practice):
    owner = verified(practice["owner"])
    response = owner.post(
        url(practice, "settings_member_new"),
        {"kind": "existing", "existing-username": "personne", "existing-role": "secretary"},
    )
    assert response.status_code == 200
    assert "Aucun compte actif avec cet identifiant." in response.content.decode()


def test_the_owner_changes_a_role_and_the_practitioner_link(practice):
    owner = verified(practice["owner"])
    target = membership(practice, "member")
    response = owner.post(
        url(practice, "settings_member", target.id),
        {"role": Role.PRACTITIONER, "practitioner": practice["practitioner"].id},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.PRACTITIONER and target.practitioner == practice["practitioner"]
    entry = AuditEntry.objects.get(action=Action.UPDATE, object_type=ObjectType.ACCOUNT)
    assert "secrétaire → " in entry.summary and "praticien" in entry.summary


def test_a_referrer_cannot_be_linked_to_a_practitioner(practice):
    owner = verified(practice["owner"])
    target = membership(practice, "member")
    response = owner.post(
        url(practice, "settings_member", target.id),
        {"role": Role.REFERRER, "practitioner": practice["practitioner"].id},
    )
    assert response.status_code == 200
    assert "n&#x27;est pas un praticien de l&#x27;établissement" in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.SECRETARY and target.practitioner is None


def test_the_last_owner_cannot_step_down_or_leave(practice):
    owner = verified(practice["owner"])
    mine = membership(practice, "owner")
    response = owner.post(url(practice, "settings_member", mine.id), {"role": Role.SECRETARY})
    assert response.status_code == 200
    assert "au moins un responsable" in response.content.decode()
    response = owner.post(url(practice, "settings_member_remove", mine.id), follow=True)
    assert "au moins un responsable" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_with_a_second_owner_the_first_may_step_down(practice):
    second = factories.staff(practice["organisation"], Role.OWNER)
    owner = verified(practice["owner"])
    mine = membership(practice, "owner")
    response = owner.post(url(practice, "settings_member", mine.id), {"role": Role.SECRETARY})
    assert response.status_code == 302
    assert Membership.objects.get(user=second).role == Role.OWNER


def test_a_removed_member_can_no_longer_open_the_practice(practice):
    member = verified(practice["member"])
    agenda = url(practice, "agenda")
    assert member.get(agenda).status_code == 200
    owner = verified(practice["owner"])
    target = membership(practice, "member")
    response = owner.post(url(practice, "settings_member_remove", target.id))
    assert response.status_code == 302
    assert User.objects.filter(pk=practice["member"].pk).exists()  # the account stays
    assert not Membership.objects.filter(pk=target.pk).exists()
    again = member.get(agenda)  # their only practice: logged out everywhere
    assert again.status_code == 302 and again["Location"].startswith(reverse("desk:login"))
    assert not LoginSession.objects.filter(user=practice["member"]).exists()
    factories.login_verified(member, practice["member"])  # even logged in again: 404
    assert member.get(agenda).status_code == 404
    entry = AuditEntry.objects.get(action=Action.DELETE, object_type=ObjectType.ACCOUNT)
    assert entry.object_id == str(practice["member"].pk) and entry.actor_id == practice["owner"].pk


def test_a_member_of_two_practices_keeps_their_sessions_when_removed_from_one(practice):
    user = practice["member"]
    Membership.objects.create(
        user=user, organisation=practice["other_organisation"], role="secretary"
    )
    member = verified(user)
    owner = verified(practice["owner"])
    owner.post(url(practice, "settings_member_remove", membership(practice, "member").id))
    assert member.get(url(practice, "agenda")).status_code == 404
    other_agenda = reverse("desk:agenda", args=[practice["other_organisation"].slug])
    assert member.get(other_agenda).status_code == 200


def test_reset_second_factor_forces_enrolment_at_next_login(practice):
    user = practice["member"]
    accounts.new_recovery_codes(user)
    member = verified(user)  # gives them an authenticator
    owner = verified(practice["owner"])
    response = owner.post(
        url(practice, "settings_member_reset_second_factor", membership(practice, "member").id)
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    # Their session is ended, not only unverified: logged out, back to the password.
    assert "_auth_user_id" not in member.session
    assert not LoginSession.objects.filter(user=user).exists()
    gone = member.get(url(practice, "agenda"))
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("desk:login") + "?")
    step = Client().post(reverse("desk:login"), {"username": user.username, "password": PASSWORD})
    assert step["Location"].startswith(reverse("accounts:enrol"))
    entry = AuditEntry.objects.get(object_type=ObjectType.SECOND_FACTOR, action=Action.DELETE)
    assert entry.actor_id == practice["owner"].pk and entry.object_id == str(user.pk)


def test_an_owner_cannot_reset_their_own_second_factor_here(practice):
    owner = verified(practice["owner"])
    mine = membership(practice, "owner")
    page = owner.get(url(practice, "settings_member", mine.id)).content.decode()
    assert "Sécurité du compte" in page and "Réinitialiser la double" not in page
    response = owner.post(
        url(practice, "settings_member_reset_second_factor", mine.id), follow=True
    )
    assert "passez par « Sécurité du compte »" in response.content.decode()
    assert TOTPDevice.objects.filter(user=practice["owner"]).exists()


def test_no_reset_for_an_account_used_in_another_practice(practice):
    """The owner may know the password they gave: resetting would open the other practice."""
    user = practice["member"]
    Membership.objects.create(user=user, organisation=practice["other_organisation"], role="owner")
    device = factories.authenticator(user)
    owner = verified(practice["owner"])
    response = owner.post(
        url(practice, "settings_member_reset_second_factor", membership(practice, "member").id),
        follow=True,
    )
    assert "sert aussi ailleurs" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_an_owner_who_leaves_is_sent_to_the_login_page(practice):
    factories.staff(practice["organisation"], Role.OWNER)  # the practice keeps an owner
    owner = verified(practice["owner"])
    response = owner.post(url(practice, "settings_member_remove", membership(practice, "owner").id))
    assert response.status_code == 302 and response["Location"] == reverse("desk:login")
    assert owner.get(url(practice, "settings_team")).status_code == 302  # logged out
