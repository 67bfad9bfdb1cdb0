"""Red flags: emergencies, near-emergencies and negated or past ones (pure functions)."""

import pytest

from accueil.reception import emergency

EMERGENCIES = [
    ("j'ai une douleur dans la poitrine", emergency.CHEST),
    ("mon mari a très mal à la poitrine depuis une heure", emergency.CHEST),
    ("ça me serre dans la poitrine et j'ai mal au bras gauche", emergency.CHEST),
    ("je crois que c'est une crise cardiaque", emergency.CHEST),
    ("il n'a pas de fièvre il a mal à la poitrine", emergency.CHEST),
    ("pas de fièvre mais une douleur thoracique", emergency.CHEST),
    ("je sais pas si c'est grave il a mal à la poitrine", emergency.CHEST),
    ("il n'arrive plus à respirer", emergency.BREATHING),
    ("elle a du mal à respirer", emergency.BREATHING),
    ("il s'étouffe", emergency.BREATHING),
    ("je ne sais pas s'il respire", emergency.BREATHING),
    ("pas de douleur thoracique mais il a du mal à respirer", emergency.BREATHING),
    ("ses lèvres sont bleues, elle respire mal", emergency.BREATHING),
    # "non" answers the agent's question (found by hypothesis).
    ("non elle n'arrive plus à respirer", emergency.BREATHING),
    ("non sa bouche est de travers", emergency.STROKE),
    ("pas de fièvre elle ne respire plus", emergency.BREATHING),
    ("elle a perdu connaissance", emergency.CONSCIOUSNESS),
    ("ma femme s'est évanouie", emergency.CONSCIOUSNESS),
    ("mon père ne répond plus", emergency.CONSCIOUSNESS),
    ("il y a dix minutes il a perdu connaissance", emergency.CONSCIOUSNESS),
    ("il fait un malaise", emergency.CONSCIOUSNESS),
    ("il fait des convulsions", emergency.CONSCIOUSNESS),
    ("il a la bouche de travers et il parle bizarrement", emergency.STROKE),
    ("je crois qu'il a fait un AVC", emergency.STROKE),
    ("son bras est paralysé depuis ce matin", emergency.STROKE),
    ("ça saigne beaucoup et ça s'arrête pas", emergency.BLEEDING),
    ("elle fait une hémorragie", emergency.BLEEDING),
    ("il vomit du sang", emergency.BLEEDING),
    ("sa gorge gonfle après une piqûre de guêpe", emergency.ALLERGY),
    ("un choc anaphylactique", emergency.ALLERGY),
    ("ses lèvres gonflent après les cacahuètes", emergency.ALLERGY),
    ("mon bébé est tout mou", emergency.CHILD),
    ("mon fils ne réagit plus", emergency.CONSCIOUSNESS),
    ("je veux en finir", emergency.SUICIDE),
    ("j'ai des idées suicidaires", emergency.SUICIDE),
    ("je n'ai plus envie de vivre", emergency.SUICIDE),
    ("il a avalé des médicaments, toute la boîte", emergency.OTHER),
    ("j'ai avalé toute la boîte de cachets", emergency.SUICIDE),
    ("c'est une urgence vitale", emergency.OTHER),
]

NOT_EMERGENCIES = [
    "il n'a pas de douleur thoracique",
    "j'ai eu une douleur à la poitrine il y a un an",
    "pas de douleur dans la poitrine",
    "il ne s'est pas évanoui",
    "elle n'a aucun mal à respirer",
    "je voudrais un rendez-vous de suivi après mon infarctus",
    "mon père a fait un AVC il y a trois ans",
    "je voudrais en finir avec ce mal de dos",
    "je voudrais un rendez-vous pour un renouvellement",
    "il a mal au ventre",
    "j'ai de la fièvre depuis trois jours",
    "mon fils s'est coupé le doigt ça saigne un peu",
    "c'est pour mes allergies",
    "il n'a jamais perdu connaissance",
    "en 2019 j'ai fait une hémorragie",
    "mal à la gorge",
    "il ne saigne pas beaucoup",
    "je n'ai pas d'idées noires",
    "l'année dernière il a fait un malaise",
    "",
]


@pytest.mark.parametrize("text,kind", EMERGENCIES)
def test_red_flags_are_caught(text, kind):
    flag = emergency.detect(text)
    assert flag is not None, text
    assert flag.kind == kind


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_negated_past_and_ordinary_are_not(text):
    assert emergency.detect(text) is None


def test_at_least_thirty_phrasings_are_tested():
    assert len(EMERGENCIES) + len(NOT_EMERGENCIES) >= 30


def test_the_sheet_adds_phrases():
    assert emergency.detect("il a mangé de la mort aux rats") is None
    flag = emergency.detect("il a mangé de la mort aux rats", ["mort aux rats"])
    assert flag is not None


def test_suicide_wins_and_gets_3114():
    flag = emergency.detect("j'ai mal à la poitrine et j'ai envie de mourir")
    assert flag.suicidal
    assert "3114" in emergency.emergency_answer(flag)
    assert "15" in emergency.emergency_answer(emergency.RedFlag(emergency.CHEST, "x"))
