"""The settings services: their rules hold whoever calls them, not only the desk forms."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accueil.directory import services as directory
from accueil.directory.models import Membership
from accueil.scheduling import services as scheduling
from tests import factories

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def errors_of(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        call(*args, **kwargs)
    return raised.value.message_dict


def test_only_owners_change_settings(practice):
    roles = {m.role: directory.may_change_settings(m) for m in Membership.objects.all()}
    assert roles == {Membership.Role.OWNER: True, Membership.Role.SECRETARY: False}
    practitioner_member = Membership(role=Membership.Role.PRACTITIONER)
    assert not directory.may_change_settings(practitioner_member)


@pytest.mark.parametrize("code", [code for code, _ in directory.HOLIDAY_SUBDIVISIONS])
def test_every_offered_subdivision_is_known_to_the_holidays_library(code):
    org = factories.organisation()
    directory.update_profile(
        org,
        name=org.name,
        phone="",
        closed_on_public_holidays=True,
        holidays_subdivision=code,
    )
    closed = scheduling.closed_days(org, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert dt.date(2027, 7, 14) in closed
    assert (dt.date(2027, 12, 26) in closed) == (code in {"57", "6AE"})


def test_profile_refuses_a_subdivision_the_slot_search_would_fail_on():
    org = factories.organisation()
    errors = errors_of(
        directory.update_profile,
        org,
        name="Cabinet",
        phone="",
        closed_on_public_holidays=True,
        holidays_subdivision="67",
    )
    assert errors == {"holidays_subdivision": ["Choisissez une zone de la liste."]}
    org.refresh_from_db()
    assert org.holidays_subdivision == ""


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("0321456789", "03 21 45 67 89"),
        ("+33 3 21 45 67 89", "03 21 45 67 89"),
        ("0262214567", "0262 21 45 67"),
    ],
)
def test_practice_phones_are_shown_in_national_format(raw, shown):
    site = directory.save_site(
        factories.organisation(),
        None,
        name="Lieu",
        address="1 rue",
        postcode="62000",
        city="Arras",
        phone=raw,
    )
    assert site.phone == shown


@pytest.mark.parametrize("raw", ["12", "+44 20 7946 0958", "03 21"])
def test_practice_phones_must_be_french(raw):
    errors = errors_of(
        directory.save_site,
        factories.organisation(),
        None,
        name="Lieu",
        address="1 rue",
        postcode="62000",
        city="Arras",
        phone=raw,
    )
    assert errors == {"phone": ["Numéro de téléphone français invalide."]}


@pytest.mark.parametrize(
    ("rpps", "valid"),
    [
        ("10003141594", True),
        ("10000000009", True),
        ("10003141595", False),
        ("1000314159", False),
        ("1000314159a", False),
        ("١٠٠٠٣١٤١٥٩٤", False),
    ],
)
def test_rpps_is_eleven_digits_with_a_luhn_key(rpps, valid):
    assert directory.is_valid_rpps(rpps) is valid


def test_a_practitioner_works_only_at_sites_of_its_organisation(practice):
    org = practice["organisation"]
    foreign = factories.site(practice["other_organisation"])
    errors = errors_of(
        directory.save_practitioner,
        org,
        None,
        title="Dr",
        first_name="Ana",
        last_name="Roy",
        profession="sage-femme",
        sites=[foreign],
    )
    assert errors == {"sites": ["Ce lieu n'appartient pas à cet établissement."]}


def test_a_motif_is_offered_only_by_practitioners_of_its_organisation(practice):
    stranger = factories.practitioner(practice["other_organisation"])
    errors = errors_of(
        directory.save_motif,
        practice["organisation"],
        practice["motif"],
        name="Consultation",
        duration=20 * MINUTE,
        practitioners=[practice["practitioner"], stranger],
    )
    assert errors == {"practitioners": ["Ce praticien n'appartient pas à cet établissement."]}
    assert list(practice["motif"].practitioners.all()) == [practice["practitioner"]]


def test_motif_rules():
    errors = errors_of(
        directory.save_motif,
        factories.organisation(),
        None,
        name="",
        duration=dt.timedelta(0),
        step=dt.timedelta(seconds=-60),
        location_type="moon",
        bookable_by="everyone",
        min_notice=None,
        horizon=dt.timedelta(days=400),
        buffer_before=-MINUTE,
        travel_time=dt.timedelta(hours=5),
        capacity=0,
    )
    assert errors == {
        "name": ["Ce champ est obligatoire."],
        "duration": ["Entre 1 minute et 12 heures."],
        "step": ["Entre 1 minute et 12 heures."],
        "location_type": ["Choisissez un lieu de consultation de la liste."],
        "bookable_by": ["Choisissez qui peut réserver dans la liste."],
        "min_notice": ["Ce champ est obligatoire."],
        "horizon": ["Entre 1 jour et 366 jours."],
        "buffer_before": ["Entre 0 minute et 4 heures."],
        "travel_time": ["Entre 0 minute et 4 heures."],
        "capacity": ["La capacité va de 1 à 200 personnes."],
    }


def test_objects_of_another_organisation_are_a_programming_error(practice):
    with pytest.raises(ValueError):
        directory.save_motif(
            practice["other_organisation"], practice["motif"], name="X", duration=MINUTE
        )


def period_kwargs(practice, **changes) -> dict:
    p = practice["practitioner"]
    return {
        "site": p.sites.get(),
        "motifs": [practice["motif"]],
        "start_time": dt.time(14),
        "end_time": dt.time(18),
        "weekdays": [2],
        "every_n_weeks": 1,
        "valid_from": dt.date(2027, 1, 1),
        **changes,
    }


def test_a_period_uses_sites_and_motifs_of_its_organisation_only(practice):
    p = practice["practitioner"]
    stranger = factories.practitioner(practice["other_organisation"])
    foreign_motif = factories.motif(practice["other_organisation"], [stranger])
    unused_site = factories.site(practice["organisation"], name="Annexe")
    cases = [
        ({"site": stranger.sites.get()}, "site", "Ce lieu n'appartient pas à cet établissement."),
        ({"site": unused_site}, "site", "Ce praticien n'exerce pas dans ce lieu"),
        ({"motifs": [practice["motif"], foreign_motif]}, "motifs", "Ce motif n'appartient pas"),
    ]
    for changes, field, message in cases:
        errors = errors_of(scheduling.save_period, p, None, **period_kwargs(practice, **changes))
        assert message in errors[field][0], changes
    assert p.opening_periods.count() == 1


def test_a_single_date_period_drops_the_weekly_fields(practice):
    p = practice["practitioner"]
    period = scheduling.save_period(
        p,
        None,
        **period_kwargs(practice, weekdays=[], every_n_weeks=3, single_date=dt.date(2027, 1, 9)),
    )
    assert (period.weekdays, period.every_n_weeks) == ("", 1)
    assert (period.valid_from, period.valid_until) == (dt.date(2027, 1, 9), None)


def test_a_period_of_another_practitioner_is_a_programming_error(practice):
    other = factories.practitioner(practice["organisation"])
    with pytest.raises(ValueError):
        scheduling.save_period(
            other, practice["practitioner"].opening_periods.get(), **period_kwargs(practice)
        )
