"""French speech-to-text output turned into structured requests. Pure functions.

Input is what a speech recogniser gives: lower case, little punctuation, filler words,
numbers sometimes spelled out ("trois mars mille neuf cent quatre-vingt-cinq"). Spelled
numbers become digits with text2num, then the text is folded (accents and apostrophes
removed) so that every rule below is written once, in plain ASCII.

Nothing here decides what to do: `policy` does. Nothing here reads the clock: `now` is an
argument. Dates are resolved in Europe/Paris, preferring the future (except birth dates).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field

import dateparser
import phonenumbers
from rapidfuzz import fuzz
from text_to_num import alpha2digit

from accueil.reception.speech import PARIS

# Intents, in the order they are reported when several appear at the same place.
BOOK = "book"
CANCEL = "cancel"
MOVE = "move"
ASK_APPOINTMENT = "ask_appointment"
INFO = "info"
MESSAGE = "message"
PRESCRIPTION = "prescription"
RESULTS = "results"
SPEAK_DOCTOR = "speak_doctor"
SPEAK_HUMAN = "speak_human"
PROFESSIONAL = "professional"
WRONG_NUMBER = "wrong_number"
GOODBYE = "goodbye"

INTENTS = (
    BOOK,
    CANCEL,
    MOVE,
    ASK_APPOINTMENT,
    INFO,
    MESSAGE,
    PRESCRIPTION,
    RESULTS,
    SPEAK_DOCTOR,
    SPEAK_HUMAN,
    PROFESSIONAL,
    WRONG_NUMBER,
    GOODBYE,
)

TOPICS = ("hours", "walk_in", "address", "directions", "parking", "fees", "documents")

WEEKDAY_WORDS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTH_WORDS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}

FILLERS = re.compile(
    r"\b(euh+|heu+|hum+|bah|ben|hein|alors|du coup|en fait|voila|bon|bonjour|bonsoir|"
    r"allo|madame|monsieur|s il vous plait|s il vous plai|merci beaucoup|enfin)\b"
)


# Normalisation ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no accents, apostrophes and punctuation as spaces (slashes, colons and
    dots between digits kept: 03/03/1985, 14:30)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("œ", "oe").replace("æ", "ae")
    text = re.sub(r"(?<=\d)[/.:](?=\d)", lambda m: {"/": "S", ".": "D", ":": "C"}[m[0]], text)
    text = re.sub(r"[^a-z0-9SDC]+", " ", text)
    text = text.replace("S", "/").replace("D", "/").replace("C", ":")
    return " ".join(text.split())


@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Spelled numbers as digits, then folded."""
    lowered = " ".join(text.lower().replace("’", "'").split())
    if not lowered:
        return ""
    # text2num reads hyphenated and spaced forms ("quatre-vingt-cinq", "dix sept").
    try:
        converted = alpha2digit(lowered, "fr")
    except Exception:  # a library corner case must never break a call
        converted = lowered
    folded = fold(converted)
    folded = re.sub(r"\bpremier(e)?\b", "1er", folded)
    folded = re.sub(r"\b(\d+)\s*h\s*(\d\d)\b", r"\1 heures \2", folded)
    folded = re.sub(r"\b(\d+)\s*h\b", r"\1 heures", folded)
    folded = re.sub(r"\b(\d+)h(\d\d)?\b", lambda m: f"{m[1]} heures {m[2] or ''}".strip(), folded)
    return " ".join(folded.split())


def without_fillers(folded: str) -> str:
    return " ".join(FILLERS.sub(" ", folded).split())


# Yes / no / correction -------------------------------------------------------------------

YES = re.compile(
    r"^(oui|ouais|ouai|yes|d accord|dac|ok|okay|parfait|exactement|tout a fait|volontiers|"
    r"tres bien|bien sur|ca marche|entendu|je confirme|c est bon|c est ca|c est parfait|"
    r"ca me va|ca m arrange|ca me convient|impeccable|super|absolument|affirmatif|"
    r"allez y|vas y|c est exact|exact|oui oui|si)\b"
)
NO = re.compile(
    r"^(non|nan|pas du tout|surtout pas|non merci|ca ne me va pas|ca va pas|ca me va pas|"
    r"ca ne va pas|aucun|aucune|ni l un ni l autre|jamais|negatif|pas vraiment|pas ca)\b"
)


def yes_no(folded: str) -> bool | None:
    """True for yes, False for no, None when the answer is neither."""
    text = without_fillers(folded)
    if NO.match(text):
        return False
    if YES.match(text):
        return True
    return None


# Intents ---------------------------------------------------------------------------------

_INTENT_PATTERNS: dict[str, list[str]] = {
    WRONG_NUMBER: [
        r"trompe\w* de numero",
        r"mauvais numero",
        r"erreur de numero",
        r"faux numero",
        r"pas le bon numero",
        r"je croyais (appeler|tomber)",
        r"(pizzeria|garage|boulangerie|taxi|la mairie|restaurant)\b",
        r"c est pas (le|la) (pharmacie|garage)",
    ],
    GOODBYE: [
        r"\bau revoir\b",
        r"\bc est tout\b",
        r"\brien d autre\b",
        r"\bbonne (journee|soiree|fin de journee)\b",
        r"\bca sera tout\b",
        r"\bce sera tout\b",
        r"\bje vais raccrocher\b",
        r"\bbye\b",
        r"\bsalut\b",
    ],
    CANCEL: [
        r"\bannul\w*",
        r"\bdecommand\w*",
        r"\b(pourrai|pourrais|pourra|peux|pourrons|pourrez|vais) (pas|plus)"
        r" (venir|y aller|etre la)",
        r"\bne (pourrai|pourrais|peux|pourra) pas (venir|etre la)",
        r"\bsupprim\w* (mon|le|son|sa) (rendez vous|rdv)",
    ],
    MOVE: [
        r"\bdeplac\w*",
        r"\bdecal\w*",
        r"\breport\w*",
        r"\bchanger (l heure|la date|l horaire|le jour|mon|son|de rendez vous|le rendez vous)",
        r"\bmodifi\w* (mon|le|son|l heure|la date)",
        r"\bavancer (mon|le|son)",
        r"\brepousser",
        r"\bun autre (jour|horaire|creneau) (pour|a la place)",
    ],
    ASK_APPOINTMENT: [
        r"\b(c est|c etait|est|il est) quand mon (rendez vous|rdv)",
        r"\bquand (est|c est|j ai) mon (rendez vous|rdv)",
        r"\ba quelle heure (est|j ai|c est) (mon|le) (rendez vous|rdv)",
        r"\b(rappeler|redonner|confirmer|verifier|connaitre) (la date|l heure|l horaire|mon"
        r" rendez vous|mon rdv|le rendez vous|son rendez vous)",
        r"\bj ai (bien )?(un|mon) (rendez vous|rdv) (quand|a quelle heure|c est quand)",
        r"\boublie (la date|l heure|quand|mon rendez vous|a quelle heure)",
        r"\b(est ce que )?j ai (bien )?(un|toujours un) (rendez vous|rdv)\b",
        r"\bmon rendez vous (c est|est) (bien )?(quel jour|quand|a quelle heure)",
        r"\bquel jour (est|c est) mon",
        r"\bmon (rendez vous|rdv)\b.{0,30}\b(tient|est maintenu|toujours|est confirme|est bien"
        r" (prevu|note|enregistre))",
        r"\b(savoir|verifier|confirmer) si (mon|le|son) (rendez vous|rdv)",
    ],
    RESULTS: [
        r"\bresultat\w*",
        r"\bcompte rendu",
        r"\bbilan sanguin",
    ],
    PRESCRIPTION: [
        r"\bordonnance\w*",
        r"\brenouvel\w*",
        r"\bmes medicaments\b",
        r"\bmon traitement\b",
    ],
    SPEAK_DOCTOR: [
        r"\bparler (a|au|avec|directement (a|au|avec)) (le|la|au|du)? ?(docteur|medecin|dr)",
        r"\bparler (a|au|avec) (la|le) (sage femme|kine|infirmiere|cardiologue)",
        r"\b(joindre|avoir) (le|la) (docteur|medecin) (au telephone|en ligne)",
        r"\bque (le|la) (docteur|medecin) me rappelle",
    ],
    SPEAK_HUMAN: [
        r"\bparler (a|avec) (quelqu un|une personne|un humain|une vraie personne|un etre humain"
        r"|la secretaire|une secretaire|le secretariat|quelqu un du cabinet|un conseiller"
        r"|une conseillere|l accueil|un operateur|une operatrice)",
        r"\b(la|une) secretaire\b",
        r"\bun humain\b",
        r"\bune vraie personne\b",
        r"\b(le|au) secretariat\b",
        r"\bpas (a|avec) (un|une) (robot|machine)",
        r"\bpassez moi quelqu un",
    ],
    MESSAGE: [
        r"\blaisser un (message|mot)",
        r"\bun message (pour|a)",
        r"\btransmettre (un|une|le|la|mon|ce)",
        r"\b(qu on|qu il|qu elle|que quelqu un|que le cabinet) me rappelle",
        r"\bme rappeler\b",
        r"\bpasser un message",
        r"\bprevenir (le|la) (docteur|medecin)",
        r"\b(docteur|medecin) (passe|vienne|se deplace|puisse passer|pourrait passer)",
        r"\bvisites? a domicile",
        r"\b(passer|venir) (a la maison|chez (moi|lui|elle|nous))",
    ],
    INFO: [],  # from topics below
    BOOK: [
        r"\b(rendez vous|rendezvous|rdv)\b",
        r"\bconsultation\b",
        r"\bconsulter\b",
        r"\b(voir|vois|consulter) (le|la|un|une) (docteur|medecin|sage femme|kine|infirmiere"
        r"|cardiologue|generaliste|dr)",
        r"\bun creneau\b",
        r"\bune place\b",
        r"\bdisponibilit\w*",
        r"\bpasser (voir|au cabinet)",
        r"\bvenir (voir|consulter)",
        r"\bprendre (un )?(rdv|rendez)",
        r"\ben prendre un (autre|nouveau)",
        r"\bun (autre|nouveau) (rendez vous|rdv)",
        r"\b(me faire|faire) (vacciner|un vaccin|un frottis|un certificat)",
        r"\b(un|une|le|la) (vaccin|frottis|certificat|seance|pesee|bilan)\b",
        r"\bsuivi de grossesse\b",
    ],
    PROFESSIONAL: [
        r"\b(je suis|c est|ici) (le |la |l )?(docteur|dr|medecin|pharmacien\w*|infirmi\w*"
        r"|biologiste|laborantin\w*|kine\w*|sage femme|confrere|consoeur|radiologue|cardiologue)\b",
        r"\b(j appelle|je vous appelle|c est) (de la part )?(de|du|d) (la pharmacie|le laboratoire"
        r"|laboratoire|l hopital|la clinique|le cabinet de radiologie|l ehpad|le labo|du labo"
        r"|cabinet infirmier)",
        r"\b(ici|c est) (la pharmacie|le laboratoire|le labo|l hopital|la clinique|l ehpad)",
        r"\bde la part du (docteur|dr)\b",
        r"\b(un|une) (confrere|consoeur|correspondant)\b",
        r"\bmedecin traitant de (mon|ma|votre) patient",
        r"\bpour (un|une) (de vos|vos) patient",
    ],
}

_TOPIC_PATTERNS: dict[str, list[str]] = {
    "walk_in": [
        r"\bsans (rendez vous|rdv)",
        r"\bconsultation(s)? libre",
        r"\bpermanence",
        r"\bvenir directement",
    ],
    "hours": [
        r"\bhoraire\w*",
        r"\bheures d ouverture",
        r"\b(vous etes|etes vous|c est|est ce) (ouvert|ferme)",
        r"\bouvert\w*\b",
        r"\bferme\w*\b",
        r"\bjusqu a quelle heure",
        r"\b(travaille|consulte|recoit|est la|est present\w*|sera la|exerce)\b.{0,30}"
        r"\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|matin|apres midi|soir|jours?)\b",
        r"\bquels? jours?\b",
        r"\ba partir de quelle heure",
    ],
    "address": [
        r"\badresse\b",
        r"\bou (se trouve|se situe|est le cabinet|est la maison|est le centre|etes vous"
        r"|vous trouvez|c est|vous etes)\b",
        r"\bsitue\w*\b",
        r"\bdans quelle rue",
    ],
    "directions": [
        r"\bacces\b",
        r"\bcomment (venir|y aller|on y va|vous trouver|acceder|aller|on vient)",
        r"\bacced\w*",
        r"\bbus\b",
        r"\btram\w*",
        r"\bitineraire\b",
        r"\bfauteuil\b",
        r"\bascenseur\b",
        r"\bhandicap\w*",
        r"\bplain pied\b",
        r"\betage\b",
    ],
    "parking": [r"\bparking\b", r"\bstationn\w*", r"\bse garer\b", r"\bme garer\b", r"\bgarer\b"],
    "fees": [
        r"\btarif\w*",
        r"\bprix\b",
        r"\bcombien\b",
        r"\bcoute combien",
        r"\bhonoraires\b",
        r"\bdepassement\w*",
        r"\bsecteur (1|2)\b",
        r"\btiers payant\b",
        r"\bcarte (bleue|bancaire)\b",
        r"\bcheque\w*",
        r"\bpaiement\b",
        r"\bpayer\b",
        r"\brembourse\w*",
        r"\bconventionne\w*",
    ],
    "documents": [
        r"\b(quoi|que|qu est ce qu il faut|qu est ce que je dois) (apporter|amener|prendre)",
        r"\bdocuments?\b",
        r"\bpapiers\b",
        r"\bapporter\b",
        r"\bamener quoi\b",
        r"\bcarte vitale\b",
        r"\bcarnet de sante\b",
    ],
}

_COMPILED = {k: [re.compile(p) for p in v] for k, v in _INTENT_PATTERNS.items()}
_TOPICS = {k: [re.compile(p) for p in v] for k, v in _TOPIC_PATTERNS.items()}


def _first_match(patterns: list[re.Pattern], text: str) -> int | None:
    positions = [m.start() for p in patterns if (m := p.search(text))]
    return min(positions) if positions else None


def topics(folded: str) -> list[str]:
    found = []
    for topic, patterns in _TOPICS.items():
        position = _first_match(patterns, folded)
        if position is not None:
            found.append((position, TOPICS.index(topic), topic))
    return [t for _, _, t in sorted(found)]


def intents(folded: str) -> list[str]:
    """Intents in the order the caller said them (several requests in one utterance)."""
    return list(intent_positions(folded))


HOME_VISIT = re.compile(
    r"\b(docteur|medecin) (passe|vienne|se deplace|puisse passer|pourrait passer)|a domicile"
    r"|a la maison|chez (moi|lui|elle|nous)"
)
SYMPTOMS = re.compile(
    r"\b(fievre|mal (a|au|aux) |douleur|tousse|toux|rhume|grippe|angine|otite|gastro|vomi\w*"
    r"|diarrhee|malade|eruption|boutons|plaque\w*|gorge|migraine|vertige\w*|infection"
    r"|brulure\w* (urinaire|en urinant)|cystite|entorse|tordu la cheville|bless\w*"
    r"|fatigue\w*|insomnie|anxiete|stress|depression|allergie\w*|eczema|conjonctivite)\b"
)
EXPLICIT_BOOKING = re.compile(
    r"\b(prendre|avoir|voudrais|veux|voulais|souhaite|souhaiterais|besoin d|un|pour) "
    r"(un |une )?(rendez vous|rdv|consultation|creneau|place)"
)


def intent_positions(folded: str) -> dict[str, int]:
    """Intents and where they start in the filler-free text, in the caller's order."""
    text = without_fillers(folded)
    found: dict[str, int] = {}
    for intent, patterns in _COMPILED.items():
        position = _first_match(patterns, text)
        if position is not None:
            found[intent] = position
    info_topics = topics(text)
    if info_topics:
        found[INFO] = min(_first_match(_TOPICS[t], text) or 0 for t in info_topics)
    # "sans rendez-vous" speaks of walk-in hours, not of booking one.
    if "walk_in" in info_topics and BOOK in found:
        masked = re.sub(r"sans (rendez vous|rdv)", " ", text)
        if not any(p.search(masked) for p in _COMPILED[BOOK]):
            del found[BOOK]
    # A fee or document question about a consultation is a question, not a booking.
    if INFO in found and BOOK in found and not EXPLICIT_BOOKING.search(text):
        del found[BOOK]
    # Moving or cancelling "my appointment" mentions an appointment: not a new booking.
    if (
        (MOVE in found or CANCEL in found)
        and BOOK in found
        and not re.search(
            r"\b(nouveau|autre|en prendre un|reprendre|aussi) (un )?(rendez|rdv|autre|nouveau)",
            text,
        )
        and not re.search(r"\bet (un|une) (rendez vous|rdv|consultation)\b", text)
    ):
        del found[BOOK]
    if ASK_APPOINTMENT in found:
        found.pop(BOOK, None)
    # A prescription asked as an appointment ("un rendez-vous pour un renouvellement") is
    # a booking; the policy decides with the sheet what a bare renewal request becomes.
    if PRESCRIPTION in found and BOOK in found and found[BOOK] < found[PRESCRIPTION]:
        del found[PRESCRIPTION]
    if RESULTS in found and not EXPLICIT_BOOKING.search(text):
        found.pop(BOOK, None)
    if SPEAK_DOCTOR in found:
        found.pop(SPEAK_HUMAN, None)
    if PROFESSIONAL in found:
        found.pop(SPEAK_DOCTOR, None)
    if WRONG_NUMBER in found:
        return {WRONG_NUMBER: found[WRONG_NUMBER]}
    # Symptoms alone ("ma fille a de la fièvre depuis hier"): the caller wants to be seen.
    if not found and (symptom := SYMPTOMS.search(text)):
        found[BOOK] = symptom.start()
    if (
        MESSAGE in found
        and BOOK in found
        and HOME_VISIT.search(text)
        and not EXPLICIT_BOOKING.search(text)
    ):
        del found[BOOK]
    if MESSAGE in found and (PRESCRIPTION in found or RESULTS in found):
        del found[MESSAGE]
    if MESSAGE in found and SPEAK_DOCTOR in found:
        del found[SPEAK_DOCTOR]
    ordered = sorted(found.items(), key=lambda kv: (kv[1], INTENTS.index(kv[0])))
    # "merci au revoir" after a request: the goodbye goes last.
    if GOODBYE in found and len(found) > 1:
        ordered = [kv for kv in ordered if kv[0] != GOODBYE] + [(GOODBYE, found[GOODBYE])]
    return dict(ordered)


def relative_positions(folded: str) -> list[int]:
    return [m.start() for m in RELATIVE.finditer(without_fillers(folded))]


RELATIVE = re.compile(
    r"\bpour (mon|ma|mes|notre) (fils|fille|enfant|enfants|bebe|mari|femme|epouse|epoux|"
    r"mere|pere|maman|papa|conjoint|conjointe|compagnon|compagne|grand mere|grand pere|frere|"
    r"soeur|petit fils|petite fille|garcon|fillette)\b"
    r"|\b(c est|c etait) pour (mon|ma) "
    r"|\bpour (lui|elle)\b"
)


def for_relative(folded: str) -> bool:
    return bool(RELATIVE.search(folded))


# Professionals ---------------------------------------------------------------------------

PROFESSIONAL_ROLES = {
    "pharmacie": r"\bpharmac\w*",
    "laboratoire": r"\b(laboratoire|labo|biologiste|laborantin\w*)\b",
    "medecin": r"\b(docteur|dr|medecin|confrere|consoeur|radiologue|cardiologue|generaliste)\b",
    "infirmier": r"\b(infirmi\w*|cabinet infirmier)\b",
    "hopital": r"\b(hopital|clinique|chu|ch|urgences|service de)\b",
    "kinesitherapeute": r"\bkine\w*",
    "sage-femme": r"\bsage femme\b",
    "ehpad": r"\behpad\b",
}


def professional_role(folded: str) -> str | None:
    if PROFESSIONAL not in intents(folded):
        return None
    for role, pattern in PROFESSIONAL_ROLES.items():
        if re.search(pattern, folded):
            return role
    return "autre"


# Dates and times -------------------------------------------------------------------------


@dataclass
class When:
    """What the caller said about when: every field narrows the slots offered."""

    first: dt.date | None = None
    last: dt.date | None = None
    weekdays: set[int] = field(default_factory=set)
    not_weekdays: set[int] = field(default_factory=set)
    after: int | None = None  # minutes after midnight, wall clock
    before: int | None = None
    asap: bool = False
    at: int | None = None  # an exact time asked for ("à 11 h 40"), minutes after midnight
    text: str = ""  # what the caller said, for "je n'ai rien ..." answers

    def is_empty(self) -> bool:
        return not (
            self.first
            or self.last
            or self.weekdays
            or self.not_weekdays
            or self.after is not None
            or self.before is not None
            or self.asap
        )

    def to_json(self) -> dict:
        return {
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "weekdays": sorted(self.weekdays),
            "not_weekdays": sorted(self.not_weekdays),
            "after": self.after,
            "before": self.before,
            "asap": self.asap,
            "at": self.at,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> When | None:
        if not data:
            return None
        return cls(
            first=dt.date.fromisoformat(data["first"]) if data.get("first") else None,
            last=dt.date.fromisoformat(data["last"]) if data.get("last") else None,
            weekdays=set(data.get("weekdays") or ()),
            not_weekdays=set(data.get("not_weekdays") or ()),
            after=data.get("after"),
            before=data.get("before"),
            asap=bool(data.get("asap")),
            at=data.get("at"),
            text=data.get("text") or "",
        )

    def accepts(self, start: dt.datetime) -> bool:
        local = start.astimezone(PARIS)
        day = local.date()
        if self.first and day < self.first:
            return False
        if self.last and day > self.last:
            return False
        if self.weekdays and day.weekday() not in self.weekdays:
            return False
        if day.weekday() in self.not_weekdays:
            return False
        minutes = local.hour * 60 + local.minute
        if self.after is not None and minutes < self.after:
            return False
        return not (self.before is not None and minutes >= self.before)


# Parts of the day, as minutes after midnight [from, to).
DAY_PARTS = [
    (r"\b(tot le matin|de bonne heure|debut de matinee|premiere heure)\b", 7 * 60, 10 * 60),
    (r"\bfin de matinee\b", 10 * 60 + 30, 12 * 60 + 30),
    (r"\b(entre midi et (deux|2|14 heures)|pause (de )?midi|heure du dejeuner)\b", 11 * 60 + 30,
     14 * 60),
    (r"\bdebut d apres midi\b", 13 * 60, 15 * 60 + 30),
    (r"\bfin d apres midi\b", 16 * 60, 19 * 60),
    (r"\b(fin de (la )?journee|en fin de journee|tard|apres le travail|apres le boulot"
     r"|en sortant du travail)\b", 16 * 60 + 30, 21 * 60),
    (r"\b(apres midi|aprem|aprem)\b", 12 * 60, 19 * 60),
    (r"\b(matin|matinee)\b", 7 * 60, 12 * 60 + 30),
    (r"\b(le soir|en soiree|ce soir|soir)\b", 17 * 60, 21 * 60),
]  # fmt: skip

SMALL_NUMBERS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
                 "quelques": 2}  # fmt: skip
ASAP = re.compile(
    r"\b(le plus (tot|vite|rapidement) possible|au plus (tot|vite)|des que possible"
    r"|le (1er|prochain) (creneau|rendez vous|disponible|dispo)|rapidement|en urgence|urgent"
    r"|vite|n importe quand|peu importe|quand vous voulez|pas de preference|aujourd hui si"
    r" possible|ce qui est le plus tot|le plus proche)\b"
)
TIME = r"(\d{1,2}) heures?(?: (\d{1,2}))?(?: et (demie|quart))?|midi|(\d{1,2}):(\d\d)"


def _minutes(match: re.Match) -> int | None:
    text = match.group(0)
    if text == "midi":
        return 12 * 60
    if match.group(4):
        hour, minute = int(match.group(4)), int(match.group(5))
    else:
        hour = int(match.group(1))
        minute = int(match.group(2) or 0)
        if match.group(3) == "demie":
            minute = 30
        elif match.group(3) == "quart":
            minute = 15
    if hour > 23 or minute > 59:
        return None
    if 1 <= hour <= 7:  # "à 5 heures" for an appointment means 17 h
        hour += 12
    return hour * 60 + minute


def _next_weekday(today: dt.date, weekday: int, *, strictly_after: bool = True) -> dt.date:
    days = (weekday - today.weekday()) % 7
    if days == 0 and strictly_after:
        days = 7
    return today + dt.timedelta(days=days)


def _date_with_day(today: dt.date, day: int, month: int | None = None) -> dt.date | None:
    """The next date (today or later) with this day number (and month)."""
    for offset in range(0, 14):
        year = today.year + (today.month - 1 + offset) // 12
        m = (today.month - 1 + offset) % 12 + 1
        if month is not None and m != month:
            continue
        try:
            candidate = dt.date(year, m, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


DATEPARSER_SETTINGS = {
    "PREFER_DATES_FROM": "future",
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DAY_OF_MONTH": "first",
}


def _dateparser(fragment: str, today: dt.date) -> dt.date | None:
    settings = {**DATEPARSER_SETTINGS, "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12))}
    try:
        parsed = dateparser.parse(fragment, languages=["fr"], settings=settings)
    except Exception:
        return None
    return parsed.date() if parsed else None


def parse_when(folded: str, now: dt.datetime) -> When | None:
    """Constraints on the appointment's time, or None when the caller said none."""
    text = without_fillers(folded)
    text = re.sub(r"\b(je )?(ne )?(sais|sait) pas\b", " ", text)
    today = now.astimezone(PARIS).date()
    when = When()
    # Excluded weekdays first ("pas le mercredi", "sauf mercredi"), then masked.
    weekday_alt = "|".join(WEEKDAY_WORDS)
    negated = re.compile(
        rf"\b(?:pas|sauf|hors|excepte|jamais|surtout pas|plus)(?: (?:le|les|de|du|un|ce))?"
        rf" ({weekday_alt})s?\b"
    )
    for match in negated.finditer(text):
        when.not_weekdays.add(WEEKDAY_WORDS.index(match.group(1)))
    text_pos = negated.sub(" ", text)
    # "je ne peux pas le mercredi" / "le mercredi je ne peux pas"
    for match in re.finditer(rf"\b({weekday_alt})s? (?:je )?(?:ne )?(?:peux|pourrai) pas\b", text):
        when.not_weekdays.add(WEEKDAY_WORDS.index(match.group(1)))
        text_pos = text_pos.replace(match.group(0), " ")

    if ASAP.search(text_pos):
        when.asap = True
    if re.search(r"\bapres demain\b", text_pos):
        when.first = when.last = today + dt.timedelta(days=2)
        text_pos = re.sub(r"\bapres demain\b", " ", text_pos)
    elif re.search(r"\bdemain\b", text_pos):
        when.first = when.last = today + dt.timedelta(days=1)
    elif re.search(r"\b(aujourd hui|ce matin|cet apres midi|ce soir|tout a l heure)\b", text_pos):
        when.first = when.last = today

    week = re.search(r"\b(?:la )?semaine (?:du|qui commence le|a partir du) (\d{1,2})\b", text_pos)
    if week:
        day = _date_with_day(today, int(week.group(1)))
        if day:
            when.first, when.last = _week_of(day)
            when.first = max(when.first, today)
    elif re.search(r"\b(la semaine prochaine|semaine prochaine|la semaine d apres)\b", text_pos):
        when.first, when.last = _week_of(today + dt.timedelta(days=7))
    elif re.search(r"\bcette semaine\b", text_pos):
        when.first, when.last = today, _week_of(today)[1]
    elif re.search(r"\b(le mois prochain|mois prochain)\b", text_pos):
        first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        when.first = first
        when.last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    in_n = re.search(
        r"\bdans (\d{1,2}|une|un|deux|trois|quatre|cinq|six|quelques) (jours?|semaines?|mois)\b",
        text_pos,
    )
    if in_n:
        count = SMALL_NUMBERS.get(in_n.group(1))
        count = count if count is not None else int(in_n.group(1))
        unit = in_n.group(2)
        if unit.startswith("jour"):
            when.first = today + dt.timedelta(days=count)
        elif unit.startswith("semaine"):
            when.first, when.last = _week_of(today + dt.timedelta(weeks=count))
        else:
            parsed = _dateparser(in_n.group(0), today)
            when.first = parsed or today + dt.timedelta(days=30 * count)
    if re.search(r"\ba partir de (demain|lundi|mardi|mercredi|jeudi|vendredi|samedi)\b", text_pos):
        when.last = None

    # Weekdays ("mardi", "mardi prochain", "jeudi 14").
    days_named = [
        (m.start(), WEEKDAY_WORDS.index(m.group(1)), bool(m.group(2)))
        for m in re.finditer(rf"\b({weekday_alt})s?( prochain)?\b", text_pos)
    ]
    explicit_date = re.search(
        r"\b(?:le )?(\d{1,2}|1er)(?: (" + "|".join(MONTH_WORDS) + r")(?: (\d{4}))?)?\b"
        r"(?! heures| h\b|:| minutes| ans| mois| jours| semaines)",
        text_pos,
    )
    slash_date = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", text_pos)
    date_value: dt.date | None = None
    if slash_date:
        date_value = _dateparser(slash_date.group(0), today)
    elif explicit_date and not week and not in_n:
        day_text, month_text = explicit_date.group(1), explicit_date.group(2)
        day = 1 if day_text == "1er" else int(day_text)
        preceded = text_pos[: explicit_date.start()].split()[-1:]
        is_date = (
            bool(month_text)
            or explicit_date.group(0).startswith("le ")
            or (preceded and preceded[0] in {"le", "du", "au"})
            or bool(days_named)
        )
        if 1 <= day <= 31 and is_date:
            if month_text:
                date_value = _dateparser(explicit_date.group(0).removeprefix("le "), today)
                if date_value is None or date_value < today:
                    date_value = _date_with_day(today, day, MONTH_WORDS[month_text])
            else:
                date_value = _date_with_day(today, day)
    if date_value is not None and date_value >= today:
        when.first = when.last = date_value
    elif days_named:
        weekdays = {d for _, d, _ in days_named}
        if len(days_named) == 1 and days_named[0][2]:
            # "mardi prochain": that one day.
            day = _next_weekday(today, days_named[0][1])
            when.first = when.last = day
        elif when.first is None and not re.search(
            r"\b(tous les|le|les) (lundi|mardi|mercredi|jeudi|vendredi|samedi)s?\b(?! \d)",
            text_pos,
        ):
            when.weekdays = weekdays
            when.first = min(_next_weekday(today, d, strictly_after=False) for d in weekdays)
            if when.first == today and now.astimezone(PARIS).hour >= 18:
                when.first = today + dt.timedelta(days=1)
        else:
            when.weekdays = weekdays

    # Times of day.
    between = re.search(rf"\bentre ({TIME}) et ({TIME})", text_pos)
    if between:
        parts = list(re.finditer(TIME, between.group(0)))
        if len(parts) >= 2:
            when.after, when.before = _minutes(parts[0]), _minutes(parts[1])
    else:
        after = re.search(rf"\b(?:apres|a partir de|pas avant|plus tard que) ({TIME})", text_pos)
        before = re.search(rf"\b(?:avant|pas apres|au plus tard a|jusqu a) ({TIME})", text_pos)
        if after:
            when.after = _minutes(re.search(TIME, after.group(0)))
        if before:
            when.before = _minutes(re.search(TIME, before.group(0)))
        if not after and not before:
            around = re.search(
                rf"\b(?:vers|a|aux alentours de|autour de|sur les) ({TIME})", text_pos
            )
            bare = around or re.search(rf"\b({TIME})", text_pos)
            if bare:
                minutes = _minutes(re.search(TIME, bare.group(0)))
                if minutes is not None:
                    when.after, when.before = max(0, minutes - 30), minutes + 61
                    when.at = minutes
    if when.after is None and when.before is None:
        for pattern, start, end in DAY_PARTS:
            if re.search(pattern, text_pos):
                when.after, when.before = start, end
                break
    if when.is_empty():
        return None
    when.text = text
    return when


# Birth dates -----------------------------------------------------------------------------

_BIRTH_TEXT = re.compile(
    r"\b(\d{1,2}|1er)(?: er)? (?:du )?(" + "|".join(MONTH_WORDS) + r"|\d{1,2}) (\d{4}|\d{2})\b"
)
_BIRTH_SLASH = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b")
_BIRTH_COMPACT = re.compile(r"\b(\d{2})(\d{2})(\d{4})\b")


def _year(text: str, today: dt.date) -> int:
    year = int(text)
    if len(text) == 2:
        year += 1900 if year > today.year % 100 else 2000
    return year


def parse_birth_date(folded: str, today: dt.date) -> dt.date | None:
    """A birth date in any spoken or written form; two-digit years go to the past."""
    text = folded
    for pattern in (_BIRTH_SLASH, _BIRTH_TEXT, _BIRTH_COMPACT):
        match = pattern.search(text)
        if not match:
            continue
        day_text, month_text, year_text = match.groups()
        day = 1 if day_text == "1er" else int(day_text)
        month = MONTH_WORDS.get(month_text) or int(month_text)
        try:
            birth = dt.date(_year(year_text, today), month, day)
        except ValueError:
            continue
        if birth > today:
            birth = birth.replace(year=birth.year - 100)
        if today.year - birth.year > 125:
            continue
        return birth
    return None


def span_of_birth_date(folded: str) -> tuple[int, int] | None:
    for pattern in (_BIRTH_SLASH, _BIRTH_TEXT, _BIRTH_COMPACT):
        match = pattern.search(folded)
        if match:
            return match.span()
    return None


# Names -----------------------------------------------------------------------------------

NAME_PREFIXES = re.compile(
    r"^(?:(?:oui|non|alors|donc|c est|moi c est|je m appelle|je suis|mon nom (?:de famille )?"
    r"(?:c est|est)|nom de famille|mon nom|le nom|il s appelle|elle s appelle|il s agit de"
    r"|c est pour|pour|madame|monsieur|mademoiselle|mme|mr|m|docteur|au nom de"
    r"|a mon nom|son nom (?:c est|est)|son prenom (?:c est|est)|mon prenom (?:c est|est)"
    r"|prenom|nom|ne|nee|le petit|la petite)\s+)+"
)
NOT_NAMES = {
    "oui", "non", "euh", "merci", "bonjour", "alors", "je", "ne", "sais", "pas", "rendez",
    "vous", "le", "la", "et", "de", "du", "des", "mon", "ma", "ca", "c", "est", "quoi",
    "pardon", "comment", "repetez", "attendez", "nee",
}  # fmt: skip


def spoken_name(folded: str) -> str:
    """The name part of an answer to "votre nom ?": prefixes dropped, spelled letters
    ("d u p o n t") glued, at most three words."""
    text = without_fillers(folded)
    span = span_of_birth_date(text)
    if span:
        text = (text[: span[0]] + " " + text[span[1] :]).strip()
    text = re.sub(r"\b(ne|nee) le\b.*$", "", text).strip()
    text = NAME_PREFIXES.sub("", text + " ").strip()
    text = re.sub(r"\b(?:merci|s il vous plait|voila)\b.*$", "", text).strip()
    words = text.split()
    glued: list[str] = []
    letters: list[str] = []
    for word in words:
        if len(word) == 1 and word.isalpha():
            letters.append(word)
            continue
        if letters:
            glued.append("".join(letters))
            letters = []
        glued.append(word)
    if letters:
        glued.append("".join(letters))
    glued = [w for w in glued if not w.isdigit()]
    if not glued or all(w in NOT_NAMES for w in glued):
        return ""
    return " ".join(glued[:3])


def name_key(name: str) -> str:
    """Comparable form of a name: folded, no spaces or hyphens ("Le Moine" = "lemoine")."""
    return re.sub(r"[^a-z]", "", fold(name))


def name_score(said: str, actual: str) -> float:
    """0..100: how well what was said matches a name (a few recognition errors allowed)."""
    said_key, actual_key = name_key(said), name_key(actual)
    if not said_key or not actual_key:
        return 0.0
    scores = [fuzz.ratio(said_key, actual_key)]
    # "dupont marie": one of the words may be the name.
    for word in fold(said).split():
        scores.append(fuzz.ratio(name_key(word), actual_key))
    words = fold(said).split()
    for i in range(len(words) - 1):
        scores.append(fuzz.ratio(name_key(words[i] + words[i + 1]), actual_key))
    return max(scores)


NAME_MATCH = 84.0


# Practitioners ---------------------------------------------------------------------------

PROFESSION_WORDS = {
    "sage femme": ("sage-femme", "sage femme"),
    "maieuticien": ("sage-femme",),
    "kine": ("kinesitherapeute",),
    "kinesitherapeute": ("kinesitherapeute",),
    "kinesi": ("kinesitherapeute",),
    "infirmier": ("infirmier", "infirmiere"),
    "infirmiere": ("infirmier", "infirmiere"),
    "cardiologue": ("cardiologue",),
    "puericultrice": ("puericultrice",),
    "generaliste": ("medecin generaliste",),
    "medecin traitant": ("medecin generaliste",),
    "pediatre": ("pediatre", "medecin de pmi"),
    "psychologue": ("psychologue",),
    "dentiste": ("dentiste", "chirurgien dentiste"),
    "osteopathe": ("osteopathe",),
    "orthophoniste": ("orthophoniste",),
    "dieteticien": ("dieteticien",),
    "dieteticienne": ("dieteticien",),
    "podologue": ("podologue", "pedicure"),
}


@dataclass(frozen=True)
class PractitionerName:
    id: int
    last_name: str
    first_name: str
    profession: str


def match_practitioners(folded: str, practitioners: list[PractitionerName]) -> list[int]:
    """Practitioners named ("docteur lemoine", "le docteur le moine", "dr claire morel") or
    designated by profession ("la sage-femme"), best first; [] when none is mentioned."""
    text = without_fillers(folded)
    words = text.split()
    named: list[tuple[float, int]] = []
    for p in practitioners:
        target = name_key(p.last_name)
        if len(target) < 3:
            continue
        best = 0.0
        for size in (1, 2, 3):
            for i in range(len(words) - size + 1):
                chunk = words[i : i + size]
                if size == 1 and chunk[0] in NOT_NAMES:
                    continue
                key = "".join(chunk)
                if abs(len(key) - len(target)) > 3:
                    continue
                score = fuzz.ratio(key, target)
                # A title just before the name makes a weaker match acceptable.
                before = words[i - 1] if i else ""
                if before in {"docteur", "dr", "docteure", "madame", "monsieur", "mme"}:
                    score += 6
                best = max(best, score)
        if best >= 86:
            named.append((best, p.id))
    if named:
        top = max(s for s, _ in named)
        return [pid for s, pid in sorted(named, key=lambda x: -x[0]) if s >= top - 3]
    wanted: set[str] = set()
    for word, professions in PROFESSION_WORDS.items():
        if re.search(rf"\b{word}\w*\b", text):
            wanted.update(professions)
    if re.search(r"\b(le|un|une|la) (medecin|docteur)\b", text) and not wanted:
        wanted.add("medecin")
    if not wanted:
        return []
    return [p.id for p in practitioners if any(w in fold(p.profession) for w in wanted)]


# Slot choice -----------------------------------------------------------------------------

ORDINALS = {
    "1er": 0,
    "1ere": 0,
    "deuxieme": 1,
    "second": 1,
    "seconde": 1,
    "2eme": 1,
    "2e": 1,
    "troisieme": 2,
    "3eme": 2,
    "3e": 2,
}


def choose_among(folded: str, options: list[dt.datetime]) -> int | None:
    """Which of the proposed starts the caller picked ("le deuxième", "celui de 14 h 30",
    "jeudi", "le 3"), or None."""
    text = without_fillers(folded)
    if not options:
        return None
    if re.search(r"\b(le|la) dernier(e)?\b", text):
        return len(options) - 1
    for word, index in ORDINALS.items():
        if re.search(rf"\b(le|la|au|celui|celle|du)? ?{word}\b", text) and index < len(options):
            if word in {"1er", "1ere"} and re.search(
                r"\b1er (janvier|fevrier|mars|avril|mai|juin|"
                r"juillet|aout|septembre|octobre|novembre"
                r"|decembre)\b",
                text,
            ):
                break
            return index
    if re.search(r"\b(l autre|le suivant)\b", text) and len(options) == 2:
        return 1
    local = [o.astimezone(PARIS) for o in options]
    candidates = set(range(len(options)))
    narrowed = False
    days = {WEEKDAY_WORDS.index(m) for m in re.findall("|".join(WEEKDAY_WORDS), text)}
    if days:
        candidates = {i for i in candidates if local[i].weekday() in days}
        narrowed = True
    times = [m for m in re.finditer(TIME, text)]
    if times:
        wanted = {_minutes(m) for m in times} - {None}
        by_time = {i for i in candidates if local[i].hour * 60 + local[i].minute in wanted}
        if not by_time:
            by_time = {
                i for i in candidates if any(abs(local[i].hour * 60 - w) < 60 for w in wanted)
            }
        candidates = by_time
        narrowed = True
    day_number = re.search(r"\b(?:le|du) (\d{1,2})\b(?! heures)", text)
    if day_number:
        candidates = {i for i in candidates if local[i].day == int(day_number.group(1))}
        narrowed = True
    if re.search(r"\b(matin)\b", text):
        candidates = {i for i in candidates if local[i].hour < 12}
        narrowed = True
    elif re.search(r"\b(apres midi|soir)\b", text):
        candidates = {i for i in candidates if local[i].hour >= 12}
        narrowed = True
    if narrowed and len(candidates) == 1:
        return candidates.pop()
    return None


# Phone numbers ---------------------------------------------------------------------------


def parse_phone(folded: str) -> str | None:
    """A French phone number said digit group by digit group, in E.164, or None."""
    digits = "".join(re.findall(r"\d", folded))
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) != 10:
        return None
    try:
        number = phonenumbers.parse(digits, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# One utterance ---------------------------------------------------------------------------


@dataclass
class Lexicon:
    """What the practice's words mean: its practitioners, motif keywords, message
    categories. Built once per turn from the instruction sheet and the directory."""

    practitioners: list[PractitionerName] = field(default_factory=list)
    motif_keywords: list[tuple[str, int]] = field(default_factory=list)  # (folded kw, motif id)
    category_keywords: list[tuple[str, str]] = field(default_factory=list)  # (kw, category)


@dataclass
class Understanding:
    text: str
    folded: str
    intents: list[str]
    yes: bool | None
    when: When | None
    practitioner_ids: list[int]
    motif_id: int | None
    relative: bool
    topics: list[str]
    category: str | None
    birth_date: dt.date | None
    professional_role: str | None

    @property
    def empty(self) -> bool:
        return not self.folded


def keyword_match(folded: str, keywords: list[tuple[str, object]]) -> object | None:
    """The value of the longest keyword found in the text."""
    best = None
    for keyword, value in keywords:
        key = fold(keyword)
        found = key and re.search(rf"\b{re.escape(key)}", folded)
        if found and (best is None or len(key) > best[0]):
            best = (len(key), value)
    return best[1] if best else None


def understand(text: str, now: dt.datetime, lexicon: Lexicon) -> Understanding:
    folded = normalise(text)
    found_intents = intents(folded)
    today = now.astimezone(PARIS).date()
    return Understanding(
        text=text,
        folded=folded,
        intents=found_intents,
        yes=yes_no(folded),
        when=parse_when(folded, now),
        practitioner_ids=match_practitioners(folded, lexicon.practitioners),
        motif_id=keyword_match(folded, lexicon.motif_keywords),
        relative=for_relative(folded),
        topics=topics(without_fillers(folded)),
        category=keyword_match(folded, lexicon.category_keywords),
        birth_date=parse_birth_date(folded, today),
        professional_role=professional_role(folded) if PROFESSIONAL in found_intents else None,
    )
