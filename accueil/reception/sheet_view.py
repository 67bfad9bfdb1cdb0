"""The instruction sheet in French for the people who read it (desk, operators): the names
of its fields, a structured reading of a sheet, and validation errors placed on the YAML.

Pure functions over a validated sheet (see `instructions`); no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accueil.reception import instructions

SECTIONS = {
    "greeting": "Message d'accueil",
    "answering": "Quand la standardiste répond",
    "new_patients": "Nouveaux patients",
    "motifs": "Motifs reconnus",
    "topics": "Renseignements donnés",
    "put_through": "Appelants mis en relation",
    "messages": "Messages",
    "fallback": "Relais humain",
    "red_flags": "Signes d'alerte supplémentaires",
    "notes": "Notes internes",
    "yaml": "Texte YAML",
    "consignes": "Consignes",
}
FIELDS = {
    "mode": "mode",
    "overflow_seconds": "délai avant de répondre",
    "desk_hours": "heures du secrétariat",
    "days": "jours",
    "start": "début",
    "end": "fin",
    "practitioner": "praticien",
    "motif": "motif",
    "accepted": "accepté",
    "say": "phrase dite",
    "keywords": "mots-clés",
    "label": "nom",
    "phones": "numéros des appelants",
    "roles": "rôles",
    "number": "numéro",
    "renewals": "renouvellements",
    "categories": "catégories",
    "key": "clé",
    "route": "acheminement",
    "urgent": "urgent",
    "on_request": "à la demande de l'appelant",
    "instructions": "consignes pour le patient",
}
TOPICS = {
    "hours": "Horaires",
    "walk_in": "Consultations sans rendez-vous",
    "address": "Adresse",
    "directions": "Accès",
    "parking": "Stationnement",
    "fees": "Tarifs",
    "documents": "Documents à apporter",
}
MODES = {
    "always": "Toujours",
    "outside_hours": "En dehors des heures du secrétariat",
    "overflow": "Quand le secrétariat ne décroche pas",
}
ROUTES = {"desk": "Boîte du secrétariat", "sms": "SMS au praticien", "email": "E-mail au praticien"}
RENEWALS = {
    "message": "Un message est laissé au praticien",
    "appointment": "Un rendez-vous est proposé",
}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def describe(sheet: dict[str, Any]) -> dict[str, Any]:
    """The sheet with every code replaced by its French reading, for a template."""
    answering = sheet["answering"]
    mode = MODES[answering["mode"]]
    if answering["mode"] == "overflow":
        mode += f" en {answering['overflow_seconds']} secondes"
    return {
        "greeting": sheet["greeting"],
        "mode": mode,
        "desk_hours": [
            f"{', '.join(WEEKDAYS[d] for d in h['days'])} de {h['start']} à {h['end']}"
            for h in answering["desk_hours"]
        ],
        "new_patients": [
            {
                "who": rule["practitioner"] or "Tous les praticiens",
                "motif": rule["motif"] or "tous les motifs",
                "accepted": rule["accepted"],
                "say": rule["say"],
            }
            for rule in sheet["new_patients"]
        ],
        "motifs": [{**m, "instructions": m.get("instructions", "")} for m in sheet["motifs"]],
        "topics": [(TOPICS[key], sheet["topics"][key]) for key in TOPICS],
        "walk_in": sheet["topics"].get("walk_in", ""),
        "notes": sheet.get("notes", ""),
        "put_through": sheet["put_through"],
        "renewals": RENEWALS[sheet["messages"]["renewals"]],
        "categories": [
            {**c, "route": ", ".join(ROUTES[r] for r in instructions.routes(c))}
            for c in sheet["messages"]["categories"]
        ],
        "fallback": sheet["fallback"],
        "red_flags": sheet["red_flags"],
    }


@dataclass(frozen=True)
class PlacedError:
    where: str  # "Ligne 12 · Relais humain › numéro"
    messages: list[str]


def place_errors(errors: dict[str, list[str]], text: str) -> list[PlacedError]:
    """Validation errors by path ("fallback.number"), with their YAML line and French names,
    in the order of the text."""
    lines = instructions.yaml_lines(text)
    placed = []
    for path, messages in errors.items():
        line = _line(path, lines)
        where = label(path)
        if line is not None:
            where = f"Ligne {line} · {where}"
        placed.append((line or 0, where, messages))
    return [PlacedError(where, messages) for _, where, messages in sorted(placed)]


def label(path: str) -> str:
    """ "messages.categories.1.route" -> "Messages › catégories › n° 2 › acheminement"."""
    head, *rest = path.split(".")
    parts = [SECTIONS.get(head, head)]
    for part in rest:
        if part.isdigit():
            parts.append(f"n° {int(part) + 1}")
        elif head == "topics":
            parts.append(TOPICS.get(part, part).lower())
        else:
            parts.append(FIELDS.get(part, part))
    return " › ".join(parts)


def _line(path: str, lines: dict[str, int]) -> int | None:
    """The line of the path, or of its closest parent written in the text."""
    parts = path.split(".")
    while parts:
        found = lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None
