"""The receptionist's services behind the desk pages: the call log, one call with what it
left (appointments, messages), calls from the desk's simulator, sheet versions, and sheets
typed by people (garbage included)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accueil.desk.models import StaffMessage
from accueil.reception import instructions, services, sheet_view
from accueil.reception.models import Call
from tests import factories
from tests.reception.agenda import KNOWN_CALLER, NOW, PHONE, build_practice

pytestmark = pytest.mark.django_db

BOOKING = [
    "bonjour je voudrais un rendez-vous avec le docteur lemoine jeudi matin",
    "dupont",
    "le trois mars quatre-vingt-cinq",
    "le deuxième",
    "non merci au revoir",
]
RENEWAL = [
    "bonjour c'est pour un renouvellement d'ordonnance",
    "marie dupont",
    "mon traitement pour la tension le docteur lemoine le connaît",
    "non merci au revoir",
]
HOURS = ["bonjour quels sont vos horaires", "non merci au revoir"]


@pytest.fixture
def practice(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return build_practice()


def call(lines, caller=KNOWN_CALLER, now=NOW) -> Call:
    result = services.start_call(to=PHONE, from_=caller, now=now)
    for line in lines:
        services.take_turn(result.call.id, line, now=now)
    return Call.objects.get(pk=result.call.id)


def test_a_call_remembers_the_messages_it_left(practice):
    before = StaffMessage.objects.create(
        organisation=practice.organisation, body="Sans rapport", channel="desk", created_at=NOW
    )
    renewal = call(RENEWAL)
    [message] = StaffMessage.objects.exclude(pk=before.pk)
    assert renewal.outcomes == ["message_taken"] and renewal.message_ids == [message.id]
    record = services.call_record(practice.organisation, renewal.id)
    assert record.messages == [message] and record.appointments == []
    assert [t.index for t in record.turns] == list(range(len(RENEWAL) + 1))


def test_a_call_record_lists_its_appointments_and_is_scoped(practice):
    booked = call(BOOKING)
    record = services.call_record(practice.organisation, booked.id)
    [appointment] = record.appointments
    assert appointment.patient == practice.patients["dupont"]
    other = factories.organisation()
    assert services.call_record(other, booked.id) is None


def test_recent_calls_filter_by_outcome_and_paris_day(practice):
    booked = call(BOOKING)
    informed = call(HOURS, now=NOW + dt.timedelta(minutes=5))
    # 23:30 in Paris on the 5th is the 5th's call, though it is the 5th 22:30 UTC...
    late = call(HOURS, now=dt.datetime(2027, 1, 5, 22, 30, tzinfo=dt.UTC))
    # ... and 00:30 in Paris on the 6th is the 6th's, though still the 5th in UTC.
    next_day = call(HOURS, now=dt.datetime(2027, 1, 5, 23, 30, tzinfo=dt.UTC))
    org = practice.organisation
    assert services.recent_calls(org) == [next_day, late, informed, booked]
    assert services.recent_calls(org, outcome="booked") == [booked]
    assert services.recent_calls(org, outcome="informed") == [next_day, late, informed]
    assert services.recent_calls(org, outcome="moved") == []
    assert services.recent_calls(org, day=dt.date(2027, 1, 5)) == [late, informed, booked]
    assert services.recent_calls(org, day=dt.date(2027, 1, 6)) == [next_day]
    assert services.recent_calls(org, outcome="informed", day=dt.date(2027, 1, 6)) == [next_day]
    assert services.recent_calls(org, limit=1) == [next_day]
    assert services.recent_calls(factories.organisation()) == []


def test_desk_calls_reach_the_organisation_by_its_own_number(practice):
    org = practice.organisation
    result = services.start_desk_call(org, "06 12 34 56 78")
    assert (result.call.organisation, result.call.channel) == (org, "desk")
    assert result.call.from_number == KNOWN_CALLER and result.call.to_number == PHONE
    # A hidden number is allowed; a wrong one is refused, in French, by field.
    assert services.start_desk_call(org, "").call.from_number == ""
    with pytest.raises(ValidationError) as exc:
        services.start_desk_call(org, "12")
    assert exc.value.message_dict == {"caller": ["Numéro de téléphone invalide."]}


def test_desk_calls_need_a_number_that_leads_to_this_organisation(practice):
    org = practice.organisation
    # A number another organisation answers first is not this organisation's line.
    other = factories.organisation(phone="03 22 00 00 00")
    assert services.desk_number(other) is None
    with pytest.raises(ValidationError) as exc:
        services.start_desk_call(other, "")
    assert "réglages" in exc.value.message_dict["to"][0]
    assert not Call.objects.filter(organisation=other).exists()
    # The site's number serves when the organisation has none.
    org.phone = ""
    org.save()
    assert services.desk_number(org) == "+33322000001"


def test_sheet_versions_and_their_yaml(practice):
    org = practice.organisation
    assert [v.version for v in services.sheet_versions(org)] == [1]  # the practice's texts
    first = services.import_sheet_yaml(org, services.export_sheet_yaml(org), note="Départ")
    edited = services.export_sheet_yaml(org).replace("Bonjour, ici", "Bonsoir, ici")
    second = services.import_sheet_yaml(org, edited)
    assert [v.version for v in services.sheet_versions(org)] == [3, 2, 1]
    assert (first.note, second.note) == ("Départ", "Import YAML")
    assert services.sheet_version(org, 2) == first
    assert "Bonjour, ici" in services.export_sheet_yaml(org, 2)
    assert "Bonsoir, ici" in services.export_sheet_yaml(org)
    for missing in (0, 4, 2**40):
        assert services.sheet_version(org, missing) is None
        assert services.export_sheet_yaml(org, missing) is None
    assert services.sheet_version(factories.organisation(), 1) is None


# Sheets typed by people ------------------------------------------------------------------


def test_control_characters_are_cleaned_from_every_text():
    sheet = instructions.from_yaml(
        'greeting: "Bonjour\\0 ici\\x07 le cabinet"\nred_flags: ["a\\0b"]\n'
    )
    assert sheet["greeting"] == "Bonjour ici le cabinet"
    assert sheet["red_flags"] == ["a b"]


@pytest.mark.parametrize(
    "text, path",
    [
        ("[" * 50_000, "yaml"),  # deeper than Python's recursion
        ("greeting: a\x00b", "yaml"),
        ("greeting: x\nput_through: [{label: P, phones: 5, number: '0322000001'}]", "put_through"),
        ("greeting: x\nred_flags: [" + ", ".join(["a"] * 201) + "]", "red_flags"),
        ("greeting: x\nmotifs: [" + ", ".join(["{motif: a, keywords: [b]}"] * 201) + "]", "motifs"),
    ],
)  # fmt: skip
def test_garbage_yaml_gets_french_errors(text, path):
    with pytest.raises(ValidationError) as exc:
        instructions.from_yaml(text)
    assert any(key.startswith(path) for key in exc.value.message_dict)


def test_aliases_are_not_expanded_into_a_billion_laughs():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i > 1 else "*a"] * 9) + "]")
    text = "\n".join([*lines, "red_flags: *a8"])
    assert len(instructions.yaml_lines(text)) < 200
    with pytest.raises(ValidationError) as exc:
        instructions.from_yaml(text)
    assert exc.value.message_dict["red_flags"] == ["Liste de textes attendue."]


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
sheet_like = st.fixed_dictionaries(
    {},
    optional={
        key: yaml_values
        for key in ("greeting", "answering", "new_patients", "motifs", "topics")
        + ("put_through", "messages", "fallback", "red_flags")
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=sheet_like | yaml_values)
def test_any_structure_is_a_sheet_or_french_errors(data):
    try:
        sheet = instructions.check_sheet(data)
    except ValidationError as exc:
        assert all(isinstance(m, str) and m for ms in exc.message_dict.values() for m in ms)
    else:
        assert sheet_view.describe(sheet)["greeting"] == sheet["greeting"]


def test_errors_are_placed_on_their_yaml_line_in_french():
    text = (
        "greeting: Bonjour\n"
        "fallback:\n"
        "  number: '12'\n"
        "messages:\n"
        "  categories:\n"
        "  - key: autre\n"
        "    label: Autre\n"
        "    route: pigeon\n"
    )
    with pytest.raises(ValidationError) as exc:
        instructions.from_yaml(text)
    placed = sheet_view.place_errors(exc.value.message_dict, text)
    assert [(p.where, p.messages) for p in placed] == [
        ("Ligne 3 · Relais humain › numéro", ["Numéro de téléphone invalide : 12."]),
        (
            "Ligne 8 · Messages › catégories › n° 1 › acheminement",
            ["Valeur attendue : desk, sms ou email, ou une liste : [desk, sms]."],
        ),
    ]
    # A missing field is placed on its closest parent; unreadable YAML has no line map.
    assert sheet_view.place_errors({"answering.mode": ["x"]}, "answering: {}\n")[0].where == (
        "Ligne 1 · Quand la standardiste répond › mode"
    )
    assert sheet_view.place_errors({"yaml": ["YAML illisible."]}, "[")[0].where == "Texte YAML"
