"""Properties of the dialogue policy over any sequence of caller utterances (hypothesis):
always a non-empty French answer, no booking or disclosure without identity, a red flag
sends to the 15 at that very turn, and the state stays JSON."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accueil.reception import instructions, policy
from tests.reception.fake_agenda import NOW, FakeAgenda

SHEET = instructions.check_sheet(
    instructions.default_sheet(
        instructions.OrganisationFacts(
            name="Maison médicale des Lilas",
            addresses=["12 rue des Lilas, 80000 Amiens"],
            hours="Les rendez-vous ont lieu du lundi au vendredi de 9 h à 18 h.",
        )
    )
)

FRAGMENTS = [
    "je voudrais un rendez-vous", "un rendez-vous jeudi matin", "le plus tôt possible",
    "avec le docteur lemoine", "avec la sage-femme", "pour mon fils", "pour ma fille",
    "je voudrais annuler mon rendez-vous", "je voudrais déplacer mon rendez-vous",
    "c'est quand mon rendez-vous", "vos horaires", "c'est quoi l'adresse", "où se garer",
    "combien ça coûte", "laisser un message", "renouvellement d'ordonnance",
    "mes résultats d'analyse", "parler à la secrétaire", "parler au docteur",
    "ici la pharmacie du centre", "je me suis trompé de numéro", "au revoir", "merci",
    "oui", "non", "non plutôt vendredi", "le premier", "le deuxième", "le troisième",
    "celui de 9 h", "dupont", "martin", "durand", "marie dupont", "d u p o n t",
    "le 3 mars 1985", "trois mars quatre-vingt-cinq", "20 novembre 1952", "12/06/2018",
    "le 1er janvier 2000", "camille", "zéro six douze trente-quatre cinquante-six",
    "pas le mercredi", "la semaine prochaine", "après 17 h", "en fin de journée", "euh", "",
    "bonjour", "je sais pas", "il n'a pas de douleur thoracique",
    "j'ai eu une douleur il y a un an",
]  # fmt: skip
RED_FLAGS = [
    "il a très mal à la poitrine",
    "elle n'arrive plus à respirer",
    "il a perdu connaissance",
    "sa bouche est de travers",
    "ça saigne beaucoup",
    "sa gorge gonfle",
    "mon bébé est tout mou",
    "j'ai envie d'en finir",
]
noise = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàç '-0123456789", max_size=40)
utterance = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.lists(st.sampled_from(FRAGMENTS), min_size=2, max_size=3).map(" ".join),
    noise,
)
callers = st.sampled_from(["", "+33612345678", "+33687654321", "+33600000000"])


def play(utterances, caller, agenda=None):
    agenda = agenda or FakeAgenda()
    ctx = policy.Context(SHEET, agenda, NOW, caller, "Maison médicale des Lilas")
    reply = policy.greet(ctx)
    state = reply.state
    replies = [reply]
    for text in utterances:
        if state["status"] != "open":
            break
        reply = policy.respond(state, text, ctx)
        replies.append(reply)
        state = json.loads(json.dumps(reply.state))  # what the database keeps
        assert state == reply.state
    return agenda, replies


def french(text: str) -> bool:
    return bool(text.strip()) and "None" not in text and "{" not in text and text[0].isupper()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(utterance, max_size=14), callers)
def test_any_call_gets_answers_and_never_acts_without_identity(utterances, caller):
    agenda, replies = play(utterances, caller)  # FakeAgenda raises on any identity breach
    for reply in replies:
        assert french(reply.say), reply.say
        assert reply.status in {"open", "transferred", "ended"}
        assert reply.outcome in {None, *policy.OUTCOMES}
        if reply.status == "transferred":
            assert reply.transfer_to


@settings(max_examples=200, deadline=None)
@given(st.lists(utterance, max_size=8), st.sampled_from(RED_FLAGS), callers, noise)
def test_a_red_flag_sends_to_the_15_at_that_turn(before, flag, caller, extra):
    agenda, replies = play(before, caller)
    state = replies[-1].state
    if state["status"] != "open":
        return
    ctx = policy.Context(SHEET, agenda, NOW, caller, "Maison médicale des Lilas")
    reply = policy.respond(state, f"{extra} {flag}", ctx)
    assert reply.outcome == "emergency" and reply.status == "ended"
    assert "15" in reply.say or "3114" in reply.say
    assert agenda.messages[-1]["urgent"]


@settings(max_examples=100, deadline=None)
@given(st.lists(utterance, max_size=10), callers)
def test_the_policy_is_deterministic(utterances, caller):
    _, first = play(utterances, caller)
    _, second = play(utterances, caller)
    assert [r.say for r in first] == [r.say for r in second]


def test_a_finished_call_refuses_turns():
    agenda, replies = play(["je me suis trompé de numéro"], "")
    ctx = policy.Context(SHEET, agenda, NOW, "", "x")
    try:
        policy.respond(replies[-1].state, "allô", ctx)
    except policy.CallOver:
        return
    raise AssertionError("a turn on an ended call must raise CallOver")


def test_ask_who_when_no_doctor_is_there():
    agenda = FakeAgenda()
    agenda.practitioners = [p for p in agenda.practitioners if p.id == 3] + [
        policy.Practitioner(4, "Thomas", "Vasseur", "M.", "masseur-kinésithérapeute")
    ]
    agenda.motifs = [agenda.motifs[2], policy.Motif(13, "Séance de kinésithérapie", (4,))]
    _, replies = play(["je voudrais un rendez-vous", "le kiné"], "+33612345678", agenda)
    assert "Quel professionnel" in replies[1].say
    assert "nom de famille" in replies[2].say


def test_understanding_is_pluggable_but_red_flags_are_not():
    from accueil.reception import understanding as nlu

    def backend(text, now, lexicon):
        understood = nlu.understand("quels sont vos horaires", now, lexicon)
        understood.text = text
        return understood

    ctx = policy.Context(SHEET, FakeAgenda(), NOW, "", "Cabinet", understand=backend)
    state = policy.greet(ctx).state
    assert "du lundi au vendredi" in policy.respond(state, "blabla", ctx).say
    reply = policy.respond(state, "il a perdu connaissance", ctx)
    assert reply.outcome == "emergency"
