"""The practice's instruction sheet ("consignes"): its shape, its validation with French
messages, its YAML form and the defaults made from the organisation's own data.

A sheet is a plain dict (stored as JSON, one row per version, see models.InstructionSheet).
Pure functions here; `services` adds what needs the database (the organisation's motifs
and practitioners, versions).

    greeting: "Bonjour, cabinet du Dr Garnier..."
    answering: {mode: always | outside_hours | overflow, overflow_seconds: 20,
                desk_hours: [{days: [0, 1, 2, 3, 4], start: "08:30", end: "12:00"}]}
    new_patients: [{practitioner: "Garnier", motif: null, accepted: false,
                    say: "Le Dr Garnier ne prend plus de nouveaux patients."}]
    motifs: [{motif: "Renouvellement d'ordonnance", keywords: [renouvellement, ordonnance],
              instructions: "Apportez vos ordonnances en cours."}]
    topics: {hours, walk_in, address, directions, parking, fees, documents: "text"}
    notes: "text for the people answering only (never said, never on the public page)"
    put_through: [{label: "Pharmacie du Marché", phones: ["+33322..."], roles: [pharmacie],
                   number: "+33..."}]
    messages: {renewals: message | appointment,
               categories: [{key: renouvellement, label: "...", keywords: [...],
                             route: [desk] | [desk, sms] | [desk, email, sms],
                             urgent: false, practitioner: null}]}
    fallback: {number: "+33...", on_request: true, say: "..."}
    red_flags: ["phrase"]

The sheet is the one home of every text for patients (docs/decisions/0014): the topics and
each motif's instructions are said by the receptionist, shown on the public booking pages
and in confirmations; `notes` is internal. Structured facts (addresses, opening periods)
stay in the directory and the agenda, which the defaults read.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import ValidationError

from accueil.patients.services import normalise_phone
from accueil.reception.speech import PARIS, say_time
from accueil.reception.understanding import PROFESSIONAL_ROLES, TOPICS

ANSWERING_MODES = ("always", "outside_hours", "overflow")
ROUTES = ("desk", "sms", "email")
# Topics shown on the public pages and said to callers; `notes` is the internal part.
PUBLIC_TOPICS = TOPICS
RENEWALS = ("message", "appointment")
DEFAULT_CATEGORIES = [
    {
        "key": "renouvellement",
        "label": "Renouvellement d'ordonnance",
        "keywords": ["renouvellement", "ordonnance", "mes médicaments", "mon traitement"],
        "route": ["desk"],
        "urgent": False,
        "practitioner": None,
    },
    {
        "key": "resultats",
        "label": "Résultats d'examen",
        "keywords": ["résultat", "analyse", "prise de sang", "radio", "compte rendu", "bilan"],
        "route": ["desk"],
        "urgent": False,
        "practitioner": None,
    },
    {
        "key": "administratif",
        "label": "Administratif",
        "keywords": [
            "facture",
            "attestation",
            "arrêt de travail",
            "feuille de soins",
            "mutuelle",
            "dossier",
            "courrier",
        ],
        "route": ["desk"],
        "urgent": False,
        "practitioner": None,
    },
    {
        "key": "autre",
        "label": "Autre demande",
        "keywords": [],
        "route": ["desk"],
        "urgent": False,
        "practitioner": None,
    },
]
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_TEXT = 1000
MAX_ITEMS = 200  # per list: a sheet is read by people, and by the policy at every turn


@dataclass
class OrganisationFacts:
    """What the defaults are made of, read by `services` from the directory."""

    name: str
    addresses: list[str] = field(default_factory=list)
    hours: str = ""


def default_sheet(facts: OrganisationFacts) -> dict[str, Any]:
    """A reasonable sheet from the organisation's data, before anyone edits it."""
    return {
        "greeting": (
            f"Bonjour, ici {facts.name}. Je suis l'assistante virtuelle. "
            "Que puis-je faire pour vous ?"
        ),
        "answering": {"mode": "always", "overflow_seconds": 20, "desk_hours": []},
        "new_patients": [],
        "motifs": [],
        "topics": {
            "hours": _fit(facts.hours),
            "walk_in": "",
            "address": _fit(_address_text(facts.addresses)),
            "directions": "",
            "parking": "",
            "fees": "",
            "documents": "Pensez à apporter votre carte Vitale et, si vous en avez, vos "
            "ordonnances en cours.",
        },
        "notes": "",
        "put_through": [],
        "messages": {"renewals": "message", "categories": copy.deepcopy(DEFAULT_CATEGORIES)},
        "fallback": {"number": "", "on_request": True, "say": ""},
        "red_flags": [],
    }


def hours_sentence(spans: list[tuple[int, dt.time, dt.time]]) -> str:
    """ "Les rendez-vous ont lieu le lundi de 9 h à 12 h et de 14 h à 18 h, ..." from
    (weekday, start, end) spans, overlapping ones merged."""
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for day, start, end in spans:
        by_day.setdefault(day, []).append((start, end))
    if not by_day:
        return ""
    parts = []
    for day in sorted(by_day):
        merged: list[list[dt.time]] = []
        for start, end in sorted(by_day[day]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        ranges = " et ".join(f"de {say_time(s)} à {say_time(e)}" for s, e in merged)
        parts.append(f"le {WEEKDAYS[day]} {ranges}")
    return "Les rendez-vous ont lieu " + ", ".join(parts) + "."


def _fit(text: str) -> str:
    """A default text within a topic's limit (a practice with many sites or periods): the
    defaults must always make a valid sheet, since every public page reads it."""
    if len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 1].rsplit(" ", 1)[0] + "…"


def _address_text(addresses: list[str]) -> str:
    if not addresses:
        return ""
    if len(addresses) == 1:
        return f"L'adresse est : {addresses[0]}."
    return "Nous recevons à plusieurs adresses : " + " ; ".join(addresses) + "."


# Validation ------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_field.setdefault(path, []).append(message)


def _text(data: dict, key: str, path: str, errors: _Errors, *, required=False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            errors.add(path, "Ce champ est obligatoire.")
        return ""
    if not isinstance(value, str):
        errors.add(path, "Texte attendu.")
        return ""
    value = _clean(value)
    if required and not value:
        errors.add(path, "Ce champ ne peut pas être vide.")
    if len(value) > MAX_TEXT:
        errors.add(path, f"Texte trop long ({MAX_TEXT} caractères au plus).")
    return value


def _bool(data: dict, key: str, path: str, errors: _Errors, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        errors.add(path, "Oui ou non attendu (true / false).")
        return default
    return value


def _strings(data: dict, key: str, path: str, errors: _Errors) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(path, "Liste de textes attendue.")
        return []
    if len(value) > MAX_ITEMS:
        errors.add(path, f"Liste trop longue ({MAX_ITEMS} éléments au plus).")
        return []
    return [text for v in value if (text := _clean(v))]


def _list_of_dicts(data: dict, key: str, path: str, errors: _Errors) -> list[dict]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        errors.add(path, "Liste d'éléments attendue.")
        return []
    if len(value) > MAX_ITEMS:
        errors.add(path, f"Liste trop longue ({MAX_ITEMS} éléments au plus).")
        return []
    return value


def _clean(text: str) -> str:
    """Spaces normalised, control characters (NUL...) gone: JSON columns refuse some."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _phone(value: Any, path: str, errors: _Errors, *, required: bool) -> str:
    if value in (None, ""):
        if required:
            errors.add(path, "Numéro de téléphone obligatoire.")
        return ""
    if not isinstance(value, str | int):
        errors.add(path, "Numéro de téléphone attendu.")
        return ""
    try:
        return normalise_phone(str(value))
    except ValidationError:
        errors.add(path, f"Numéro de téléphone invalide : {value}.")
        return ""


def check_sheet(data: Any) -> dict[str, Any]:
    """The sheet normalised, or ValidationError with French messages by field path."""
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationError({"consignes": ["Un objet (clé: valeur) est attendu."]})
    known = {
        "greeting",
        "answering",
        "new_patients",
        "motifs",
        "topics",
        "put_through",
        "messages",
        "fallback",
        "red_flags",
        "notes",
    }
    for key in data:
        if key not in known:
            errors.add(str(key), "Rubrique inconnue.")
    sheet: dict[str, Any] = {"greeting": _text(data, "greeting", "greeting", errors, required=True)}

    answering = data.get("answering") or {}
    if not isinstance(answering, dict):
        errors.add("answering", "Objet attendu.")
        answering = {}
    mode = answering.get("mode", "always")
    if mode not in ANSWERING_MODES:
        errors.add("answering.mode", "Valeur attendue : always, outside_hours ou overflow.")
    seconds = answering.get("overflow_seconds", 20)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 5 <= seconds <= 120:
        errors.add("answering.overflow_seconds", "Nombre de secondes entre 5 et 120 attendu.")
        seconds = 20
    hours = []
    for i, item in enumerate(
        _list_of_dicts(answering, "desk_hours", "answering.desk_hours", errors)
    ):
        path = f"answering.desk_hours.{i}"
        days = item.get("days")
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days)
        ):
            errors.add(f"{path}.days", "Jours de 0 (lundi) à 6 (dimanche) attendus.")
            days = []
        start, end = str(item.get("start", "")), str(item.get("end", ""))
        if not TIME_RE.match(start):
            errors.add(f"{path}.start", "Heure HH:MM attendue.")
        if not TIME_RE.match(end):
            errors.add(f"{path}.end", "Heure HH:MM attendue.")
        elif TIME_RE.match(start) and _minutes(end) <= _minutes(start):
            errors.add(f"{path}.end", "La fin doit être après le début.")
        hours.append({"days": sorted(set(days)), "start": start, "end": end})
    if mode == "outside_hours" and not hours:
        errors.add("answering.desk_hours", "Indiquez les heures où le secrétariat répond.")
    sheet["answering"] = {"mode": mode, "overflow_seconds": seconds, "desk_hours": hours}

    rules = []
    for i, item in enumerate(_list_of_dicts(data, "new_patients", "new_patients", errors)):
        path = f"new_patients.{i}"
        rules.append(
            {
                "practitioner": _text(item, "practitioner", f"{path}.practitioner", errors) or None,
                "motif": _text(item, "motif", f"{path}.motif", errors) or None,
                "accepted": _bool(item, "accepted", f"{path}.accepted", errors, True),
                "say": _text(item, "say", f"{path}.say", errors),
            }
        )
    sheet["new_patients"] = rules

    motifs = []
    seen_motifs: set[str] = set()
    for i, item in enumerate(_list_of_dicts(data, "motifs", "motifs", errors)):
        path = f"motifs.{i}"
        name = _text(item, "motif", f"{path}.motif", errors, required=True)
        keywords = _strings(item, "keywords", f"{path}.keywords", errors)
        text = _text(item, "instructions", f"{path}.instructions", errors)
        if not keywords and not text:
            errors.add(f"{path}.keywords", "Au moins un mot-clé, ou des consignes pour le patient.")
        if name and name.casefold() in seen_motifs:
            errors.add(f"{path}.motif", "Motif en double.")
        seen_motifs.add(name.casefold())
        motifs.append({"motif": name, "keywords": keywords, "instructions": text})
    sheet["motifs"] = motifs

    topics = data.get("topics") or {}
    if not isinstance(topics, dict):
        errors.add("topics", "Objet attendu.")
        topics = {}
    for key in topics:
        if key not in TOPICS:
            errors.add(f"topics.{key}", "Sujet inconnu : " + ", ".join(TOPICS) + ".")
    sheet["topics"] = {t: _text(topics, t, f"topics.{t}", errors) for t in TOPICS}

    entries = []
    for i, item in enumerate(_list_of_dicts(data, "put_through", "put_through", errors)):
        path = f"put_through.{i}"
        raw_phones = item.get("phones") or []
        if not isinstance(raw_phones, list) or len(raw_phones) > MAX_ITEMS:
            errors.add(f"{path}.phones", "Liste de numéros attendue.")
            raw_phones = []
        phones = [
            p
            for j, raw in enumerate(raw_phones)
            if (p := _phone(raw, f"{path}.phones.{j}", errors, required=True))
        ]
        roles = _strings(item, "roles", f"{path}.roles", errors)
        for role in roles:
            if role not in PROFESSIONAL_ROLES:
                errors.add(
                    f"{path}.roles", f"Rôle inconnu : {role} ({', '.join(PROFESSIONAL_ROLES)})."
                )
        if not phones and not roles:
            errors.add(path, "Indiquez des numéros d'appelants ou des rôles.")
        entries.append(
            {
                "label": _text(item, "label", f"{path}.label", errors, required=True),
                "phones": phones,
                "roles": roles,
                "number": _phone(item.get("number"), f"{path}.number", errors, required=True),
            }
        )
    sheet["put_through"] = entries

    messages = data.get("messages") or {}
    if not isinstance(messages, dict):
        errors.add("messages", "Objet attendu.")
        messages = {}
    renewals = messages.get("renewals", "message")
    if renewals not in RENEWALS:
        errors.add("messages.renewals", "Valeur attendue : message ou appointment.")
    categories = []
    keys = set()
    raw_categories = messages.get("categories")
    if raw_categories is None:
        raw_categories = copy.deepcopy(DEFAULT_CATEGORIES)
    for i, item in enumerate(
        _list_of_dicts({"c": raw_categories}, "c", "messages.categories", errors)
    ):
        path = f"messages.categories.{i}"
        key = _text(item, "key", f"{path}.key", errors, required=True)
        if key and not re.match(r"^[a-z0-9_-]+$", key):
            errors.add(f"{path}.key", "Clé en minuscules sans espace attendue.")
        if key in keys:
            errors.add(f"{path}.key", "Clé en double.")
        keys.add(key)
        route = item.get("route", ["desk"])
        if isinstance(route, str):
            route = [route]
        if (
            not isinstance(route, list)
            or not route
            or not all(isinstance(r, str) and r in ROUTES for r in route)
        ):
            errors.add(
                f"{path}.route", "Valeur attendue : desk, sms ou email, ou une liste : [desk, sms]."
            )
            route = ["desk"]
        route = [r for r in ROUTES if r in route]  # one order, no repeat
        categories.append(
            {
                "key": key,
                "label": _text(item, "label", f"{path}.label", errors, required=True),
                "keywords": _strings(item, "keywords", f"{path}.keywords", errors),
                "route": route,
                "urgent": _bool(item, "urgent", f"{path}.urgent", errors, False),
                "practitioner": _text(item, "practitioner", f"{path}.practitioner", errors) or None,
            }
        )
    sheet["messages"] = {"renewals": renewals, "categories": categories}

    fallback = data.get("fallback") or {}
    if not isinstance(fallback, dict):
        errors.add("fallback", "Objet attendu.")
        fallback = {}
    sheet["fallback"] = {
        "number": _phone(fallback.get("number"), "fallback.number", errors, required=False),
        "on_request": _bool(fallback, "on_request", "fallback.on_request", errors, True),
        "say": _text(fallback, "say", "fallback.say", errors),
    }
    sheet["red_flags"] = _strings(data, "red_flags", "red_flags", errors)
    sheet["notes"] = _text(data, "notes", "notes", errors)
    if errors.by_field:
        raise ValidationError(errors.by_field)
    return sheet


def check_references(
    sheet: dict[str, Any], motif_names: list[str], practitioner_names: list[str]
) -> None:
    """Motifs and practitioners named by the sheet exist in the organisation."""
    errors = _Errors()
    motifs = {m.casefold() for m in motif_names}
    names = {n.casefold() for n in practitioner_names}
    for i, rule in enumerate(sheet["new_patients"]):
        if rule["motif"] and rule["motif"].casefold() not in motifs:
            errors.add(f"new_patients.{i}.motif", f"Motif inconnu : {rule['motif']}.")
        if rule["practitioner"] and rule["practitioner"].casefold() not in names:
            errors.add(
                f"new_patients.{i}.practitioner", f"Praticien inconnu : {rule['practitioner']}."
            )
    for i, item in enumerate(sheet["motifs"]):
        if item["motif"].casefold() not in motifs:
            errors.add(f"motifs.{i}.motif", f"Motif inconnu : {item['motif']}.")
    for i, item in enumerate(sheet["messages"]["categories"]):
        if item["practitioner"] and item["practitioner"].casefold() not in names:
            errors.add(
                f"messages.categories.{i}.practitioner",
                f"Praticien inconnu : {item['practitioner']}.",
            )
    if errors.by_field:
        raise ValidationError(errors.by_field)


def routes(category: dict[str, Any]) -> tuple[str, ...]:
    """Where a category's messages go. Versions saved before routes were lists hold one
    string ("sms"): read the same way."""
    value = category.get("route") or ["desk"]
    value = [value] if isinstance(value, str) else value
    return tuple(r for r in ROUTES if r in value)


def public_texts(sheet: dict[str, Any]) -> PublicTexts:
    """What the public pages may show: the topics and each motif's instructions. Nothing
    else of the sheet (internal notes, numbers, routing) ever leaves through it."""
    return PublicTexts(
        topics={key: sheet["topics"].get(key, "") for key in PUBLIC_TOPICS},
        motifs={
            m["motif"].casefold(): m.get("instructions", "")
            for m in sheet["motifs"]
            if m.get("instructions")
        },
    )


@dataclass(frozen=True)
class PublicTexts:
    topics: dict[str, str]
    motifs: dict[str, str]  # casefolded motif name -> instructions

    def for_motif(self, name: str) -> str:
        return self.motifs.get(name.casefold(), "")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


# YAML ------------------------------------------------------------------------------------


def from_yaml(text: str) -> dict[str, Any]:
    """A sheet from YAML (safe_load only), validated."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise ValidationError({"yaml": [f"YAML illisible{where}."]}) from exc
    except RecursionError as exc:
        raise ValidationError({"yaml": ["YAML trop imbriqué."]}) from exc
    return check_sheet(data)


def yaml_lines(text: str) -> dict[str, int]:
    """The line (from 1) where each path of a YAML text starts ("fallback.number": 12), so
    that an error on a path can be shown next to it."""
    lines: dict[str, int] = {}
    seen: set[int] = set()  # an alias repeats a node: walked once (no "billion laughs")

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub = f"{path}.{key.value}" if path else key.value
                    lines.setdefault(sub, key.start_mark.line + 1)
                    walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                sub = f"{path}.{i}" if path else str(i)
                lines.setdefault(sub, item.start_mark.line + 1)
                walk(item, sub)

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            walk(root, "")
    except (yaml.YAMLError, RecursionError):
        return {}
    return lines


def to_yaml(sheet: dict[str, Any]) -> str:
    """The sheet as YAML in the order people read it (greeting first). PostgreSQL's jsonb
    does not keep the order of keys: the validation rebuilds it."""
    with contextlib.suppress(ValidationError):  # one saved under older rules: as stored
        sheet = check_sheet(sheet)
    return yaml.safe_dump(sheet, allow_unicode=True, sort_keys=False, width=100)


# Reading a sheet -------------------------------------------------------------------------


def desk_answers(sheet: dict[str, Any], now: dt.datetime) -> bool:
    """Whether the desk is supposed to answer now (the agent then only takes overflow)."""
    local = now.astimezone(PARIS)
    minutes = local.hour * 60 + local.minute
    for item in sheet["answering"]["desk_hours"]:
        if local.weekday() in item["days"] and (
            _minutes(item["start"]) <= minutes < _minutes(item["end"])
        ):
            return True
    return False
