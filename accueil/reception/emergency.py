"""Red flags: checked first, on every turn, before anything else is understood.

A red flag sends the caller to the 15 (SAMU) or the 112 in the very next answer, and to the
3114 for suicidal thoughts. A flag that is clearly negated ("il n'a pas de douleur
thoracique") or clearly in the past ("j'ai fait un infarctus il y a deux ans") does not
count; anything in between does: in doubt, the 15. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accueil.reception.understanding import fold, normalise

CHEST = "chest_pain"
BREATHING = "breathing"
CONSCIOUSNESS = "consciousness"
STROKE = "stroke"
BLEEDING = "bleeding"
ALLERGY = "allergy"
CHILD = "child_unresponsive"
SUICIDE = "suicide"
OTHER = "other"

_FLAGS: dict[str, list[str]] = {
    CHEST: [
        r"(douleur|douleurs|mal|serrement|oppression|poids|brulure|barre|point)s? (a la|dans la"
        r"|au niveau de la|sur la|en plein milieu de la|au milieu de la) poitrine",
        r"(douleur|gene|oppression|serrement)s? thoracique",
        r"mal (a|au) (la )?poitrine",
        r"poitrine qui (serre|brule|fait mal|me fait mal)",
        r"serre (dans|a) la poitrine",
        r"crise cardiaque",
        r"infarctus",
        r"arret cardiaque",
        r"douleur (dans|au) (le )?bras gauche",
        r"(le )?coeur qui (s emballe|bat (tres|trop) (vite|fort))",
    ],
    BREATHING: [
        r"(arrive|arrivons|arrivent) (pas|plus) a respirer",
        r"(peut|peux|pouvait) (pas|plus) respirer",
        r"respire (mal|plus|difficilement|tres mal|avec difficulte|bizarrement)",
        r"ne respire (pas|plus)",
        r"respire pas",
        r"(s |m )?etouff\w*",
        r"suffoqu\w*",
        r"manque d air",
        r"(du|de) mal a respirer",
        r"(difficulte|difficultes|gene) (a|pour) respirer",
        r"(gene|detresse|insuffisance) respiratoire",
        r"levres (bleues|violettes)",
        r"sais pas s (il|elle) respire",
        r"(a|ai|avons) du mal a (reprendre son|reprendre mon) souffle",
        r"(crise d asthme|asthme) (qui ne passe pas|tres forte|severe|grave)",
        r"avale de travers et (ne|n) (respire|arrive)",
    ],
    CONSCIOUSNESS: [
        r"perd\w* connaissance",
        r"perte de connaissance",
        r"(s est |s etait |est |me suis )?evanoui\w*",
        r"inconscient\w*",
        r"(ne|n) (repond|reagit) (plus|pas|rien)",
        r"repond plus",
        r"(ne|n) (se )?reveille (pas|plus)",
        r"tombe dans les pommes",
        r"convuls\w*",
        r"crise d epilepsie",
        r"fait un malaise",
        r"malaise",
        r"s est effondre\w*",
        r"est tombe\w* (par terre )?et (ne|n) (bouge|se releve)",
    ],
    STROKE: [
        r"\bavc\b",
        r"accident vasculaire",
        r"attaque cerebrale",
        r"(bouche|visage|figure|levre)( est| qui est| qui part| toute| tout)? (de travers|tordue?"
        r"|qui tombe|paralyse\w*|affaisse\w*"
        r"|deforme\w*|qui pend)",
        r"(la )?(moitie|un cote) du visage",
        r"(arrive|peut) (plus|pas) (a )?parler",
        r"(parle|parlait) (bizarrement|mal|de travers|plus)",
        r"(mots|paroles) (qui ne sortent pas|melanges|incomprehensible)",
        r"bafouill\w*",
        r"(difficulte|du mal) a parler",
        r"(bras|jambe|main) (qui ne repond plus|paralyse\w*|tout mou|toute molle|engourdi\w*"
        r"|qui ne bouge plus|ne bouge plus)",
        r"engourdi\w* d un (seul )?cote",
        r"paralys\w*",
        r"(voit|vois) (plus|trouble d un coup) d un oeil",
    ],
    BLEEDING: [
        r"saign\w* (beaucoup|enormement|abondamment|sans arret|fort|tres fort|de partout"
        r"|enormement|a flot|comme)",
        r"(ca|il|elle|sa plaie|la plaie) (ne )?(s arrete|arrete) (pas|plus) de saigner",
        r"saignement (important|abondant|qui ne s arrete pas|tres fort|enorme)",
        r"hemorragi\w*",
        r"(perd|perdu|perds) (beaucoup|enormement) de sang",
        r"(vomi|vomit|crache|crachait) du sang",
        r"(mare|flaque) de sang",
        r"pisse le sang",
        r"plein de sang",
    ],
    ALLERGY: [
        r"choc anaphylactique",
        r"anaphyla\w*",
        r"oedeme de quincke",
        r"quincke",
        r"(gorge|langue|levres|visage|bouche|yeux) qui (gonfle|gonflent|enfle|enflent)",
        r"(gonflement|gonfle|enfle) (de la|du|des) (gorge|langue|levres|visage|bouche)",
        r"(gorge|langue|levres|visage|bouche|paupieres) (tout |toute )?(gonfle|gonflee|gonflees"
        r"|gonflent|enfle|enflee|enflent)",
        r"reaction allergique (grave|severe|forte|tres forte|violente|importante)",
        r"(grosse|forte|grave) (reaction|crise) allergique",
        r"(piqure|pique) .{0,30}(respire|gonfle|gorge)",
    ],
    CHILD: [
        r"(bebe|enfant|fils|fille|petit|petite|nourrisson)\w* .{0,30}(tout mou|toute molle"
        r"|molle|mou\b|tres mou|aphone|inerte|areactif|ne reagit (plus|pas)|geint"
        r"|ne se reveille|ne pleure plus|gris|tout gris|ne tete plus)",
        r"(il|elle) est (tout |toute )?(mou|molle|inerte|gris|grise)\b",
    ],
    SUICIDE: [
        r"suicid\w*",
        r"(me|se) (tuer|foutre en l air|supprimer)",
        r"en finir(?! avec (ce|cette|mon|ma|mes|les|la|le|ces|cet|l|un|une))",
        r"mettre fin a (mes|ses) jours",
        r"(envie|idee|idees|pense|pensee|pensees) de (mourir|mort|me tuer|disparaitre)",
        r"(plus envie|pas envie|plus le gout) de vivre",
        r"(veux|voudrais|veut) mourir",
        r"idees noires",
        r"(me|se) faire du mal",
        r"(avale|pris) (toute|toutes|une boite|des boites|tous) (la|les|mes|ses|de)"
        r" ?(boite|medicaments|cachets|comprimes)",
        r"(sauter|me jeter) (par la fenetre|du pont|sous un train)",
    ],
    OTHER: [
        r"(intoxication|intoxique|empoisonn\w*)",
        r"a avale (des|un|une|du) (produit|javel|medicaments|cachets|pile)",
        r"overdose",
        r"(forte|grosse|tres forte) fievre .{0,40}(bebe|nourrisson|mois)",
        r"(bebe|nourrisson) .{0,30}(forte )?fievre .{0,20}(40|39)",
        r"brul\w* (grave|grave\w*|au visage|etendue)",
        r"accident (de la route|de voiture|grave)",
        r"(tres )?grosse chute .{0,20}(tete|saigne|bouge plus)",
        r"(cogne|tape|choc) (a |sur )?la tete .{0,40}(vomi|dort|somnol|confus)",
        r"(tres|extremement) (confus|somnolent)",
        r"c est (une )?urgence (vitale|grave)",
        r"appele(r)? (le|les) (pompiers|samu|15)",
    ],
}
_COMPILED = {kind: [re.compile(p) for p in patterns] for kind, patterns in _FLAGS.items()}

# Words that deny what follows within the same clause. Not "non": on the phone it answers
# the agent's last question ("non, sa bouche est de travers"); a denial of the flag itself
# has its own "pas", "aucun" or "sans".
NEGATION = re.compile(
    r"\b(pas|aucun|aucune|sans|jamais|ni|rien|plus aucun|absolument pas|nullement)\b"
)
# Negation words that are doubt, not denial: they keep the flag.
DOUBT = re.compile(
    r"\b(sais pas|sait pas|suis pas (sur|sure|certain|certaine)|pas sur|pas sure|"
    r"pas certain|pas certaine|je crois|peut etre|il me semble|on dirait|comme si|"
    r"j ai l impression|j ai peur|est ce que c est|si c est)\b"
)
# Clearly over: a history, not an emergency.
PAST = re.compile(
    r"\b(il y a (\d+|un|une|deux|trois|quatre|cinq|six|dix|quelques|plusieurs) "
    r"(ans?|annees?|mois|semaines?)"
    r"|il y a (longtemps|des annees|des mois)"
    r"|l (an|annee) (derniere|dernier|passe|passee)|l annee d avant"
    r"|le mois (dernier|passe)|(l ete|l hiver|le printemps|l automne) dernier"
    r"|en (19|20)\d\d|quand (j etais|il etait|elle etait) (petit|petite|jeune|enfant)"
    r"|autrefois|dans le passe|antecedents?|(depuis|apres|suite a) (mon|son|sa|ma) "
    r"(infarctus|avc|hemorragie|accident|operation|malaise)"
    r"|suivi (de|pour|apres) (mon|son|sa|ma|un|une)"
    r"|(les |des )?(suites?|controle|bilan|suivi) (de|d|du) (son|mon|ma|sa|l)"
    r"|il y a (\d+) (ans?|annees?|mois|semaines?))\b"
)
# Clause boundaries: a negation or a time expression does not reach across them.
CLAUSE = re.compile(r"\b(mais|par contre|cependant|pourtant|et puis|sauf que|alors que|or)\b|[,;]")
NEGATION_REACH = 6  # words before the flag


@dataclass(frozen=True)
class RedFlag:
    kind: str
    phrase: str

    @property
    def suicidal(self) -> bool:
        return self.kind == SUICIDE


def _clause_around(text: str, start: int, end: int) -> tuple[str, str]:
    """The part of the clause before the match, and the part after it."""
    boundaries = [(m.start(), m.end()) for m in CLAUSE.finditer(text)]
    left = max((b[1] for b in boundaries if b[1] <= start), default=0)
    right = min((b[0] for b in boundaries if b[0] >= end), default=len(text))
    return text[left:start], text[end:right]


# A new subject and verb after the negation starts another statement ("pas de fièvre il a
# mal à la poitrine", "pas de fièvre mais elle ne respire plus"): the negation does not
# reach the flag.
RESTART = re.compile(
    r"\b(il|elle|j|je|on|mon|ma|son|sa|ca|c|et) (a|ai|est|suis|avait|fait|me|se|n|ne)\b"
)


def _negated(before: str, phrase: str) -> bool:
    words = before.split()[-NEGATION_REACH:]
    window = " ".join(words)
    if DOUBT.search(window + " " + phrase):
        return False
    negations = list(NEGATION.finditer(window))
    if not negations:
        return False
    return not RESTART.search(window[negations[-1].end() :])


def _past(before: str, after: str) -> bool:
    return bool(PAST.search(before) or PAST.search(after))


def detect(text: str, extra_phrases: tuple[str, ...] | list[str] = ()) -> RedFlag | None:
    """The first red flag that is neither clearly negated nor clearly past, or None."""
    folded = normalise(text)
    if not folded:
        return None
    # Keep commas as clause boundaries: STT output sometimes has them.
    with_commas = " , ".join(normalise(part) for part in re.split(r"[,;.!?]", text.lower()))
    candidates = [folded, with_commas]
    compiled = dict(_COMPILED)
    extra = [re.compile(rf"\b{re.escape(normalise(p))}\b") for p in extra_phrases if fold(p)]
    if extra:
        compiled["sheet"] = extra
    suicidal: RedFlag | None = None
    found: RedFlag | None = None
    for candidate in candidates:
        for kind, patterns in compiled.items():
            for pattern in patterns:
                for match in pattern.finditer(candidate):
                    before, after = _clause_around(candidate, match.start(), match.end())
                    phrase = match.group(0)
                    # The pattern itself may hold the negation ("n'arrive pas à respirer").
                    if _negated(before, phrase) or _past(before, after):
                        continue
                    flag = RedFlag(kind if kind != "sheet" else OTHER, phrase)
                    if flag.suicidal:
                        suicidal = suicidal or flag
                    found = found or flag
    return suicidal or found


def emergency_answer(flag: RedFlag) -> str:
    """The very next thing the caller hears."""
    if flag.suicidal:
        return (
            "Ce que vous vivez est important et vous n'êtes pas seul. Raccrochez et appelez "
            "tout de suite le 3114 (trente et un, quatorze), le numéro national de prévention "
            "du suicide, gratuit, jour et nuit. En cas de danger immédiat, appelez le 15 "
            "ou le 112. Je préviens le cabinet."
        )
    return (
        "Cela peut être une urgence vitale. Raccrochez et appelez immédiatement le 15, "
        "ou le 112. Si la personne ne respire plus, commencez le massage cardiaque en "
        "attendant les secours. Je préviens le cabinet."
    )
