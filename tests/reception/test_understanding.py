"""French speech-to-text understanding: pure functions, `now` given."""

import datetime as dt

import pytest

from accueil.reception import understanding as nlu
from accueil.reception.speech import PARIS, say_datetime

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)  # a Tuesday


def when(text):
    return nlu.parse_when(nlu.normalise(text), NOW)


def test_demain_matin():
    w = when("demain matin")
    assert w.first == w.last == dt.date(2026, 11, 25) and w.after == 7 * 60 and w.before <= 13 * 60


def test_mardi_prochain_apres_17h():
    w = when("mardi prochain après 17 h")
    assert w.first == w.last == dt.date(2026, 12, 1) and w.after == 17 * 60


def test_le_plus_tot_possible():
    assert when("le plus tôt possible").asap
    assert when("euh au plus vite s'il vous plaît").asap


def test_la_semaine_du_14():
    w = when("la semaine du 14")
    assert (w.first, w.last) == (dt.date(2026, 12, 14), dt.date(2026, 12, 20))


def test_fin_de_journee_and_pas_le_mercredi():
    w = when("plutôt en fin de journée mais pas le mercredi")
    assert w.after >= 16 * 60 and w.not_weekdays == {2}
    assert not w.accepts(dt.datetime(2026, 11, 25, 17, 0, tzinfo=PARIS))
    assert w.accepts(dt.datetime(2026, 11, 26, 17, 0, tzinfo=PARIS))


@pytest.mark.parametrize(
    "text,first,last",
    [
        ("le 14 décembre", dt.date(2026, 12, 14), dt.date(2026, 12, 14)),
        ("14/12", dt.date(2026, 12, 14), dt.date(2026, 12, 14)),
        ("le 3", dt.date(2026, 12, 3), dt.date(2026, 12, 3)),
        ("après-demain", dt.date(2026, 11, 26), dt.date(2026, 11, 26)),
        ("la semaine prochaine", dt.date(2026, 11, 30), dt.date(2026, 12, 6)),
        ("dans deux semaines", dt.date(2026, 12, 7), dt.date(2026, 12, 13)),
        ("aujourd'hui", dt.date(2026, 11, 24), dt.date(2026, 11, 24)),
    ],
)
def test_dates(text, first, last):
    w = when(text)
    assert (w.first, w.last) == (first, last)


def test_weekday_time_and_ranges():
    w = when("jeudi vers dix heures")
    assert w.weekdays == {3} and w.at == 600 and w.after == 570
    w = when("entre quatorze heures et seize heures")
    assert (w.after, w.before) == (840, 960)
    w = when("je sais pas mardi ou jeudi matin")
    assert w.weekdays == {1, 3} and not w.not_weekdays
    assert when("bonjour") is None


def test_correction_keeps_the_new_day():
    assert nlu.yes_no(nlu.normalise("non plutôt jeudi")) is False
    assert when("non plutôt jeudi").weekdays == {3}


@pytest.mark.parametrize(
    "text",
    [
        "le 3 mars 85",
        "trois mars mille neuf cent quatre-vingt-cinq",
        "03/03/1985",
        "3 3 1985",
        "le 3 du 3 85",
        "né le trois mars dix-neuf cent quatre-vingt-cinq",
        "03031985",
    ],
)
def test_birth_dates_in_every_form(text):
    assert nlu.parse_birth_date(nlu.normalise(text), NOW.date()) == dt.date(1985, 3, 3)


def test_birth_dates_go_to_the_past():
    today = NOW.date()
    assert nlu.parse_birth_date(nlu.normalise("le 12 juin 18"), today) == dt.date(2018, 6, 12)
    assert nlu.parse_birth_date(nlu.normalise("le 1er janvier 30"), today) == dt.date(1930, 1, 1)
    assert nlu.parse_birth_date(nlu.normalise("31 février 1990"), today) is None


@pytest.mark.parametrize(
    "text,intents",
    [
        ("bonjour je voudrais prendre rendez-vous", ["book"]),
        ("je voudrais annuler mon rendez-vous de mardi", ["cancel"]),
        ("je pourrai pas venir demain", ["cancel"]),
        ("est-ce que je peux décaler mon rendez vous", ["move"]),
        ("c'est quand mon rendez-vous", ["ask_appointment"]),
        ("vous êtes ouverts jusqu'à quelle heure", ["info"]),
        ("c'est combien la consultation", ["info"]),
        ("je voudrais laisser un message pour le docteur", ["message"]),
        ("c'est pour un renouvellement d'ordonnance", ["prescription"]),
        ("je voudrais un rendez-vous pour un renouvellement", ["book"]),
        ("j'appelle pour les résultats de ma prise de sang", ["results"]),
        ("je voudrais parler à la secrétaire", ["speak_human"]),
        ("je voudrais parler au docteur lemoine", ["speak_doctor"]),
        ("bonjour ici la pharmacie du centre", ["professional"]),
        ("je me suis trompé de numéro", ["wrong_number"]),
        ("non merci au revoir", ["goodbye"]),
        ("je voudrais annuler mon rendez-vous et en prendre un autre", ["cancel", "book"]),
        ("est-ce qu'il y a des consultations sans rendez-vous", ["info"]),
        ("j'appelle pour mes résultats et aussi pour un rendez-vous", ["results", "book"]),
    ],
)
def test_intents(text, intents):
    assert nlu.intents(nlu.normalise(text)) == intents


@pytest.mark.parametrize(
    "text,answer",
    [("oui", True), ("ouais d'accord", True), ("ça me va", True), ("non", False),
     ("non merci", False), ("aucun", False), ("peut-être", None), ("le deuxième", None)],
)  # fmt: skip
def test_yes_no(text, answer):
    assert nlu.yes_no(nlu.normalise(text)) is answer


PRACTITIONERS = [
    nlu.PractitionerName(1, "Lemoine", "Claire", "médecin généraliste"),
    nlu.PractitionerName(2, "Dubreuil", "Marc", "médecin généraliste"),
    nlu.PractitionerName(3, "Marchal", "Sophie", "sage-femme"),
    nlu.PractitionerName(4, "Vasseur", "Thomas", "masseur-kinésithérapeute"),
]


@pytest.mark.parametrize(
    "text,ids",
    [
        ("docteur lemoine", [1]),
        ("le docteur le moine", [1]),
        ("avec le dr dubreuil", [2]),
        ("le docteur du breuil", [2]),
        ("la sage-femme", [3]),
        ("madame marchale", [3]),
        ("le kiné", [4]),
        ("je voudrais voir un médecin", [1, 2]),
        ("je m'appelle dupont", []),
        ("un rendez-vous demain", []),
    ],
)
def test_practitioners_fuzzy(text, ids):
    assert nlu.match_practitioners(nlu.normalise(text), PRACTITIONERS) == ids


@pytest.mark.parametrize(
    "text,name",
    [
        ("je m'appelle marie dupont", "marie dupont"),
        ("dupont", "dupont"),
        ("d u p o n t", "dupont"),
        ("c'est madame le goff", "le goff"),
        ("moi c'est martin née le 3 mars 1985", "martin"),
        ("euh", ""),
    ],
)
def test_spoken_names(text, name):
    assert nlu.spoken_name(nlu.normalise(text)) == name


def test_name_scores_tolerate_recognition_errors():
    assert nlu.name_score("du pont", "Dupont") >= nlu.NAME_MATCH
    assert nlu.name_score("le gof", "Le Goff") >= nlu.NAME_MATCH
    assert nlu.name_score("martin", "Dupont") < nlu.NAME_MATCH


def test_choosing_among_offers():
    options = [
        dt.datetime(2026, 11, 25, 9, 0, tzinfo=PARIS),
        dt.datetime(2026, 11, 26, 14, 30, tzinfo=PARIS),
        dt.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS),
    ]
    for text, index in [("le deuxième", 1), ("celui de quatorze heures trente", 1),
                        ("jeudi", 1), ("le premier", 0), ("vendredi", 2), ("le 27", 2),
                        ("la dernière", 2), ("oui", None), ("mardi", None)]:  # fmt: skip
        assert nlu.choose_among(nlu.normalise(text), options) == index, text


def test_phone_numbers_spelled():
    spoken = "zéro six douze trente-quatre cinquante-six soixante-dix-huit"
    assert nlu.parse_phone(nlu.normalise(spoken)) == "+33612345678"
    assert nlu.parse_phone(nlu.normalise("zéro six un deux")) is None


def test_relatives():
    assert nlu.for_relative(nlu.normalise("c'est pour ma fille"))
    assert not nlu.for_relative(nlu.normalise("c'est pour moi"))


def test_dates_are_spoken_in_french():
    assert say_datetime(dt.datetime(2027, 3, 2, 14, 30, tzinfo=PARIS)) == "mardi 2 mars à 14 h 30"
    assert say_datetime(dt.datetime(2027, 4, 1, 8, 0, tzinfo=dt.UTC)) == "jeudi 1er avril à 10 h"
