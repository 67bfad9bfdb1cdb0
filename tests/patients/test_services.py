import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accueil.patients.services import PatientIdentity, check_identity, normalise_phone

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("01.23.45.67.89", "+33123456789"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion mobile
        ("+590 690 00 11 22", "+590690001122"),  # Guadeloupe mobile
    ],
)
def test_french_numbers_are_stored_in_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12", "06 12", "abc", "+44 20 7946 0958", "+1 202 555 0142", ""])
def test_invalid_or_foreign_numbers_are_refused_in_french(raw):
    with pytest.raises(ValidationError) as exc:
        normalise_phone(raw)
    assert "numéro" in exc.value.messages[0].lower()


def test_identity_is_trimmed_and_checked():
    identity = check_identity(
        PatientIdentity(
            "  Marie  Anne ", " Durand ", dt.date(1990, 1, 1), "0612345678", " a@b.fr "
        ),
        TODAY,
    )
    assert (identity.first_name, identity.last_name, identity.email) == (
        "Marie Anne",
        "Durand",
        "a@b.fr",
    )


def test_identity_errors_are_per_field():
    with pytest.raises(ValidationError) as exc:
        check_identity(PatientIdentity("", "X" * 101, dt.date(2030, 1, 1), "", "nope"), TODAY)
    assert set(exc.value.message_dict) == {
        "first_name",
        "last_name",
        "birth_date",
        "phone",
        "email",
    }
