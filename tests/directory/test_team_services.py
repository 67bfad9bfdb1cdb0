"""The team services: rules the desk's « Équipe » page relies on, checked without the page."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from accueil.audit.models import Action, AuditEntry, ObjectType
from accueil.directory import services
from accueil.directory.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

Role = Membership.Role


def own(practice, who: str) -> Membership:
    return Membership.objects.get(user=practice[who], organisation=practice["organisation"])


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_the_team_lists_the_practice_s_members_only(practice):
    factories.authenticator(practice["owner"])
    team = {m.user_id: m for m in services.team(practice["organisation"])}
    assert set(team) == {practice["owner"].pk, practice["member"].pk}
    assert team[practice["owner"].pk].has_second_factor
    assert not team[practice["member"].pk].has_second_factor


def test_the_last_owner_is_neither_demoted_nor_removed(practice):
    mine = own(practice, "owner")
    actor = practice["owner"]
    errors = errors_of(lambda: services.change_member(mine, actor=actor, role=Role.SECRETARY))
    assert "au moins un responsable" in errors["role"][0]
    errors = errors_of(lambda: services.remove_member(mine, actor=actor))
    assert "au moins un responsable" in errors["__all__"][0]
    assert Membership.objects.filter(pk=mine.pk, role=Role.OWNER).exists()
    # Another practice's owner does not count for this one.
    assert Membership.objects.filter(role=Role.OWNER).count() == 2


def test_outside_roles_are_never_a_practitioner(practice):
    member, actor = own(practice, "member"), practice["owner"]
    for role in (Role.REFERRER, Role.ANALYST):
        errors = errors_of(
            lambda role=role: services.change_member(
                member, actor=actor, role=role, practitioner=practice["practitioner"]
            )
        )
        assert errors == {"practitioner": [errors["practitioner"][0]]}
    services.change_member(
        member, actor=actor, role=Role.SECRETARY, practitioner=practice["practitioner"]
    )


def test_a_practitioner_of_another_practice_is_refused(practice):
    foreign = factories.practitioner(practice["other_organisation"])
    errors = errors_of(
        lambda: services.change_member(
            own(practice, "member"),
            actor=practice["owner"],
            role=Role.PRACTITIONER,
            practitioner=foreign,
        )
    )
    assert errors["practitioner"] == ["Ce praticien n'appartient pas à cet établissement."]


def test_a_new_account_needs_a_free_login_and_a_good_password(practice):
    def create(**kw):
        data = {
            "first_name": "Lucie",
            "last_name": "Martin",
            "username": "lmartin",
            "email": "lucie@example.org",
            "role": Role.SECRETARY,
            "password": "Quatre-saisons-a-Lille",
            **kw,
        }
        return services.create_member(practice["organisation"], actor=practice["owner"], **data)

    errors = errors_of(lambda: create(username=practice["member"].username.upper()))
    assert "déjà pris" in errors["username"][0]
    errors = errors_of(lambda: create(password="lmartin1", email="pas-une-adresse"))
    assert errors["password"] and errors["email"] == ["Adresse e-mail invalide."]
    errors = errors_of(lambda: create(username="l martin!"))
    assert "lettres, chiffres" in errors["username"][0]
    assert not User.objects.filter(username="lmartin").exists()
    membership = create()
    assert membership.user.has_usable_password() and membership.role == Role.SECRETARY
    entry = AuditEntry.objects.get(object_type=ObjectType.ACCOUNT, action=Action.CREATE)
    assert entry.object_id == str(membership.user_id)
    assert entry.summary == "Compte créé et ajouté : lmartin, secrétaire"


def test_removing_writes_the_journal_and_keeps_the_account(practice):
    member = own(practice, "member")
    services.remove_member(member, actor=practice["owner"])
    assert User.objects.filter(pk=practice["member"].pk).exists()
    entry = AuditEntry.objects.get(object_type=ObjectType.ACCOUNT, action=Action.DELETE)
    assert entry.organisation_id == practice["organisation"].id
    assert entry.actor_id == practice["owner"].pk
    assert entry.summary == f"Retiré de l'équipe : {practice['member'].username}, secrétaire"
