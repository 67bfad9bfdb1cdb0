"""The receptionist gives the same answers whether the caller's number belongs to a
patient or not: the caller ID only ever chooses between files that the name and birth date
already matched; it never greets, names or finds anyone by itself."""

import pytest

from accueil.reception import services
from tests.reception.agenda import KNOWN_CALLER, NOW, PHONE, build_practice

pytestmark = pytest.mark.django_db

UNKNOWN_CALLER = "+33655501234"


def replies(caller: str, phrases: list[str]) -> list[str]:
    started = services.start_call(to=PHONE, from_=caller, now=NOW)
    said = [started.say]
    for phrase in phrases:
        said.append(services.take_turn(started.call.id, phrase, now=NOW).say)
    return said


@pytest.mark.parametrize(
    "phrases",
    [
        # The caller ID's own patient, named with her birth date.
        [
            "je voudrais un rendez-vous avec le docteur lemoine jeudi matin",
            "dupont",
            "le trois mars quatre-vingt-cinq",
        ],
        # Nobody of that name and birth date.
        [
            "je voudrais un rendez-vous avec le docteur lemoine jeudi matin",
            "durand",
            "le douze avril soixante-dix",
        ],
        # The name of the caller ID's patient with another birth date.
        ["je voudrais annuler mon rendez-vous", "dupont", "le premier janvier deux mille"],
        # Just asking who is calling.
        ["vous pouvez me dire quel est mon nom"],
    ],
    ids=["known", "unknown", "wrong-birth-date", "who-am-i"],
)
def test_same_answers_from_a_patients_number_and_from_another(phrases):
    build_practice()
    from_patient = replies(KNOWN_CALLER, phrases)
    from_elsewhere = replies(UNKNOWN_CALLER, phrases)
    assert len(from_patient) == len(phrases) + 1
    assert from_patient == from_elsewhere
