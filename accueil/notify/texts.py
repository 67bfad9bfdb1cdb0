"""The texts of messages: French defaults, per-organisation overrides, safe placeholders.

A text names placeholders in braces, `{date}`. Rendering replaces exactly the names of a
whitelist with plain strings computed beforehand, in one pass: no attribute or index access
(`{patient.__class__}` stays as typed), no format specification, and a value containing
braces (a patient named "{manage_link}") is not expanded again. Never `str.format` here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from accueil.notify.models import Channel, Kind, MessageTemplate
from accueil.notify.sms import SmsLength, sms_length, to_gsm7

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

COMMON = {"organisation", "organisation_phone", "patient_first_name", "patient_last_name"}
APPOINTMENT = COMMON | {
    "date",
    "practitioner",
    "motif",
    "place",
    "place_short",
    "instructions",
    "manage_link",
}
PLACEHOLDERS: dict[str, frozenset[str]] = {
    Kind.CONFIRMATION: frozenset(APPOINTMENT),
    Kind.REMINDER: frozenset(APPOINTMENT),
    Kind.MOVED: frozenset(APPOINTMENT | {"previous_date"}),
    Kind.CANCELLED: frozenset(APPOINTMENT | {"cancelled_by", "site_link"}),
    Kind.WAITLIST_OFFER: frozenset(
        COMMON
        | {"date", "practitioner", "motif", "place", "place_short", "offer_link"}
        | {"offer_expires"}
    ),
    Kind.PRACTITIONER_MESSAGE: frozenset(
        {"organisation", "practitioner", "urgent", "desk_link", "category"}
    ),
}

# What each placeholder becomes, in French, for the staff who edit texts.
PLACEHOLDER_HELP = {
    "organisation": "nom de l'établissement",
    "organisation_phone": "téléphone de l'établissement",
    "patient_first_name": "prénom du patient",
    "patient_last_name": "nom du patient",
    "date": "date et heure du rendez-vous (« lundi 4 janvier 2027 à 10 h »)",
    "previous_date": "date et heure avant le déplacement",
    "practitioner": "praticien (« Dr Claire Morel »)",
    "motif": "motif du rendez-vous",
    "place": "lieu avec l'adresse (ou « à votre domicile », « par téléphone »...)",
    "place_short": "nom du lieu (ou « à domicile », « par téléphone »...)",
    "instructions": "consignes du motif pour le patient (vide s'il n'y en a pas)",
    "manage_link": "lien pour déplacer ou annuler le rendez-vous",
    "site_link": "lien vers la page de l'établissement pour reprendre rendez-vous",
    "cancelled_by": "« à votre demande » ou « par le cabinet »",
    "offer_link": "lien pour réserver le créneau libéré",
    "offer_expires": "fin de validité de la proposition",
    "urgent": "« URGENT : » pour un message urgent, sinon rien",
    "desk_link": "lien vers les messages du secrétariat",
    "category": "catégorie du message (« Résultats d'examen »), jamais son contenu",
}

# Most SMS a default or edited text may take with realistic values.
SMS_MAX_SEGMENTS = 2

_SIGNATURE = "\n\n{organisation}\n{organisation_phone}"

# (kind, channel) -> (subject, body). SMS texts are written in the GSM-7 alphabet (é, è, à,
# ù are in it; ê, â, ô, ç are not) so that they stay within two segments.
DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    (Kind.CONFIRMATION, Channel.SMS): (
        "",
        "{organisation} : RDV confirmé le {date} avec {practitioner}, {place_short}. "
        "Pour déplacer ou annuler : {manage_link}",
    ),
    (Kind.CONFIRMATION, Channel.EMAIL): (
        "Rendez-vous confirmé le {date}",
        "Bonjour {patient_first_name},\n\n"
        "Votre rendez-vous est confirmé :\n"
        "- le {date}\n- avec {practitioner} ({motif})\n- {place}\n\n"
        "{instructions}"
        "Pour le déplacer ou l'annuler : {manage_link}\n"
        "Le rendez-vous est joint à ce message pour votre agenda." + _SIGNATURE,
    ),
    (Kind.REMINDER, Channel.SMS): (
        "",
        "{organisation} : rappel de votre RDV le {date} avec {practitioner}, {place_short}. "
        "Empêché ? Annulez ici : {manage_link}",
    ),
    (Kind.REMINDER, Channel.EMAIL): (
        "Rappel : rendez-vous le {date}",
        "Bonjour {patient_first_name},\n\n"
        "Nous vous rappelons votre rendez-vous :\n"
        "- le {date}\n- avec {practitioner} ({motif})\n- {place}\n\n"
        "{instructions}"
        "Si vous ne pouvez pas venir, merci d'annuler pour libérer le créneau : "
        "{manage_link}" + _SIGNATURE,
    ),
    (Kind.MOVED, Channel.SMS): (
        "",
        "{organisation} : votre RDV avec {practitioner} est déplacé au {date}, {place_short}. "
        "Détails : {manage_link}",
    ),
    (Kind.MOVED, Channel.EMAIL): (
        "Rendez-vous déplacé au {date}",
        "Bonjour {patient_first_name},\n\n"
        "Votre rendez-vous du {previous_date} est déplacé :\n"
        "- le {date}\n- avec {practitioner} ({motif})\n- {place}\n\n"
        "Pour le déplacer ou l'annuler : {manage_link}" + _SIGNATURE,
    ),
    (Kind.CANCELLED, Channel.SMS): (
        "",
        "{organisation} : votre RDV du {date} avec {practitioner} est annulé ({cancelled_by}). "
        "Reprendre RDV : {site_link}",
    ),
    (Kind.CANCELLED, Channel.EMAIL): (
        "Rendez-vous du {date} annulé",
        "Bonjour {patient_first_name},\n\n"
        "Votre rendez-vous du {date} avec {practitioner} ({motif}) est annulé "
        "({cancelled_by}).\n\n"
        "Pour prendre un nouveau rendez-vous : {site_link}" + _SIGNATURE,
    ),
    (Kind.WAITLIST_OFFER, Channel.SMS): (
        "",
        "{organisation} : un RDV s'est libéré le {date} avec {practitioner}. "
        "Au premier qui le réserve, jusqu'à {offer_expires} : {offer_link}",
    ),
    (Kind.WAITLIST_OFFER, Channel.EMAIL): (
        "Un rendez-vous s'est libéré le {date}",
        "Bonjour {patient_first_name},\n\n"
        "Vous êtes sur la liste d'attente : un rendez-vous s'est libéré.\n"
        "- le {date}\n- avec {practitioner} ({motif})\n- {place}\n\n"
        "Il est proposé à plusieurs personnes : la première qui le réserve l'obtient. "
        "Offre valable jusqu'à {offer_expires} :\n{offer_link}\n\n"
        "Si le créneau est déjà pris, vous restez sur la liste d'attente." + _SIGNATURE,
    ),
    (Kind.PRACTITIONER_MESSAGE, Channel.SMS): (
        "",
        "{organisation} : {urgent}nouveau message ({category}) pour {practitioner} dans "
        "Accueil : {desk_link}",
    ),
    (Kind.PRACTITIONER_MESSAGE, Channel.EMAIL): (
        "{urgent}Nouveau message dans Accueil",
        "Un nouveau message ({category}) vous attend dans Accueil ({organisation}) :\n{desk_link}",
    ),
}

# Realistic, rather long values: what the length check of an edited text renders.
SAMPLE_VALUES = {
    "organisation": "Maison de santé des Deux Vallées",
    "organisation_phone": "03 21 00 00 00",
    "patient_first_name": "Marie-Charlotte",
    "patient_last_name": "Delaporte-Lefebvre",
    "date": "mercredi 23 septembre 2026 à 16 h 45",
    "previous_date": "mercredi 16 septembre 2026 à 10 h 15",
    "practitioner": "Dr Anne-Sophie Vandenberghe",
    "motif": "Consultation de suivi",
    "place": "Maison de santé, 12 rue du Général de Gaulle, 62000 Arras",
    "place_short": "Maison de santé de Saint-Laurent",
    "instructions": "",
    "manage_link": "https://rdv.exemple.fr/rdv/0b5e8a8e-6f1c-4c3e-9a55-7d8a1f2b3c4d/"
    + "x" * 32
    + "/",
    "site_link": "https://rdv.exemple.fr/",
    "cancelled_by": "par le cabinet",
    "offer_link": "https://rdv.exemple.fr/rdv/offre/" + "x" * 24 + "/",
    "offer_expires": "mercredi 23 septembre à 13 h 30",
    "urgent": "URGENT : ",
    "desk_link": "https://rdv.exemple.fr/desk/maison-de-sante-des-deux-vallees/messages/",
    "category": "Renouvellement d'ordonnance",
}


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace `{name}` by values[name] for the names given; anything else stays as is."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def sms_text(text: str) -> str:
    """An SMS body as sent: in GSM-7 spelling when SMS_GSM7_TRANSLITERATE (the default)."""
    return to_gsm7(text) if settings.SMS_GSM7_TRANSLITERATE else text


def placeholders_in(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def texts_for(organisation_id: int, kind: str, channel: str) -> tuple[str, str]:
    """(subject, body): the organisation's own text, else the default."""
    return organisation_texts(organisation_id).get((kind, channel)) or DEFAULTS[(kind, channel)]


def organisation_texts(organisation_id: int) -> dict[tuple[str, str], tuple[str, str]]:
    """All the texts an organisation wrote, by (kind, channel), in one query."""
    return texts_of_rows(
        MessageTemplate.objects.filter(organisation_id=organisation_id).values_list(
            "kind", "channel", "subject", "body"
        )
    )


TEMPLATE = connection.ops.quote_name(MessageTemplate._meta.db_table)
TEXTS_SQL = f"SELECT kind, channel, subject, body FROM {TEMPLATE} WHERE organisation_id = %s"


def organisation_texts_statement(organisation_id: int) -> tuple[str, list]:
    """The query of `organisation_texts`, for a batch (sqlbatch); `texts_of_rows` reads it."""
    return TEXTS_SQL, [organisation_id]


def texts_of_rows(rows) -> dict[tuple[str, str], tuple[str, str]]:
    return {(kind, channel): (subject, body) for kind, channel, subject, body in rows}


def normalise(text: str) -> str:
    """A typed text with the line ends browsers send (CRLF) made plain, and trimmed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def sample_sms_length(body: str) -> SmsLength:
    """The length of an SMS text once sent with realistic, rather long values."""
    return sms_length(sms_text(render(body, SAMPLE_VALUES)))


def check_template(kind: str, channel: str, subject: str, body: str) -> None:
    """ValidationError (French, per field) unless this text can be saved for this kind:
    known placeholders only, and an SMS within SMS_MAX_SEGMENTS with long sample values."""
    allowed = PLACEHOLDERS[kind]
    errors: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = sorted(placeholders_in(text) - allowed)
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            possible = ", ".join("{" + name + "}" for name in sorted(allowed))
            errors[field] = [f"Champ inconnu : {names}. Champs possibles : {possible}."]
    if not body.strip():
        errors.setdefault("body", []).append("Le texte est vide.")
    if channel == Channel.SMS and "body" not in errors:
        length = sample_sms_length(body)
        if length.segments > SMS_MAX_SEGMENTS:
            errors["body"] = [
                f"Texte trop long : {length.segments} SMS ({SMS_MAX_SEGMENTS} au plus, "
                f"codage {length.encoding})."
            ]
    if errors:
        raise ValidationError(errors)
