"""Demonstration instruction sheets ("consignes") for the virtual receptionist, one per
demonstration organisation: what each practice tells whoever answers its phone.

Installed by `seed_demo` as version 1 of an organisation's sheet when it has none yet
(an edited sheet is never overwritten), with the texts for patients of the demonstration
spec (walk-in hours, access, each motif's instructions): the sheet is their one home
(docs/decisions/0014). Every phone number here is invented.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from accueil.directory.models import Organisation

if TYPE_CHECKING:
    from accueil.demo.spec import OrganisationSpec

SHEETS: dict[str, dict[str, Any]] = {
    "cabinet-dr-garnier": {
        "greeting": (
            "Bonjour, cabinet du docteur Hélène Garnier à Abbeville, je suis l'assistante "
            "virtuelle du cabinet. Que puis-je faire pour vous ?"
        ),
        "new_patients": [
            {
                "practitioner": "Garnier",
                "accepted": False,
                "say": (
                    "Le docteur Garnier ne prend plus de nouveaux patients médecin traitant. "
                    "Pour un souci urgent du jour, la consultation sans rendez-vous a lieu le "
                    "lundi et le jeudi de 8 h à 8 h 30."
                ),
            }
        ],
        "motifs": [
            {
                "motif": "Renouvellement d'ordonnance",
                "keywords": ["renouvellement", "ordonnance", "tension", "pilule"],
            },
            {"motif": "Téléconsultation", "keywords": ["téléconsultation", "en vidéo", "visio"]},
        ],
        "topics": {
            "fees": (
                "La consultation est à 30 euros, secteur 1. Le tiers payant est appliqué pour "
                "les patients en affection de longue durée, les femmes enceintes et les enfants."
            ),
        },
        "put_through": [
            {
                "label": "la ligne directe du docteur Garnier",
                "phones": ["03 53 01 20 90"],
                "roles": ["medecin", "laboratoire"],
                "number": "06 53 01 20 14",
            }
        ],
        "messages": {
            "renewals": "appointment",
            "categories": [
                {
                    "key": "resultats",
                    "label": "Résultats d'examen",
                    "keywords": ["résultat", "analyse", "prise de sang", "radio"],
                    "route": "sms",
                    "urgent": False,
                    "practitioner": "Garnier",
                },
                {
                    "key": "administratif",
                    "label": "Administratif",
                    "keywords": ["facture", "attestation", "arrêt de travail", "courrier"],
                    "route": "desk",
                },
                {"key": "autre", "label": "Autre demande", "keywords": [], "route": "desk"},
            ],
        },
        # The remote secretariat under contract (accueil/demo/secretariat.py) takes over.
        "fallback": {
            "number": "03 53 01 80 00",
            "on_request": True,
            "say": "Je vous passe le télésecrétariat du cabinet, qui aura le résumé de votre "
            "demande. Ne quittez pas.",
        },
        "red_flags": ["mort aux rats", "avalé de la javel"],
    },
    "msp-deux-vallees": {
        "greeting": (
            "Bonjour, maison de santé des Deux Vallées, je suis l'assistante virtuelle. "
            "Je peux prendre, déplacer ou annuler un rendez-vous avec un médecin, l'infirmière, "
            "le kiné ou la sage-femme. Que puis-je faire pour vous ?"
        ),
        "answering": {"mode": "overflow", "overflow_seconds": 20},
        "new_patients": [
            {
                "practitioner": "Lemaire",
                "motif": "Consultation de médecine générale",
                "accepted": False,
                "say": (
                    "Le docteur Lemaire ne prend plus de nouveaux patients ; les docteurs "
                    "Perrin et Benali en acceptent encore."
                ),
            }
        ],
        "motifs": [
            {
                "motif": "Consultation enfant (vaccins, certificat)",
                "keywords": ["vaccin", "certificat de sport", "pour mon fils", "pour ma fille"],
            },
            {
                "motif": "Soins infirmiers au cabinet (pansement, injection)",
                "keywords": ["pansement", "injection", "prise de sang", "piqûre"],
            },
            {"motif": "Bilan kinésithérapique (première séance)", "keywords": ["bilan kiné"]},
            {"motif": "Consultation de suivi de grossesse", "keywords": ["grossesse", "enceinte"]},
            {"motif": "Rééducation périnéale", "keywords": ["périnée", "rééducation périnéale"]},
        ],
        "topics": {
            "fees": (
                "Les médecins sont en secteur 1 : 30 euros la consultation, tiers payant "
                "possible. Les soins infirmiers et la kinésithérapie sont sur prescription."
            ),
        },
        "put_through": [
            {
                "label": "le secrétariat de la maison de santé",
                "phones": [],
                "roles": ["pharmacie", "laboratoire", "hopital", "ehpad"],
                "number": "03 53 01 31 61",
            }
        ],
        "fallback": {
            "number": "03 53 01 31 61",
            "on_request": True,
            "say": "Je vous passe Nadia, au secrétariat, avec le résumé de votre demande.",
        },
    },
    "pmi-santerre-haute-somme": {
        "greeting": (
            "Bonjour, vous êtes à la PMI du Santerre et de la Haute-Somme. Je suis "
            "l'assistante virtuelle : je peux prendre un rendez-vous de consultation ou de "
            "pesée pour votre enfant, ou prendre un message."
        ),
        "motifs": [
            {"motif": "Pesée", "keywords": ["pesée", "peser", "poids"]},
            {"motif": "Consultation nourrisson", "keywords": ["nourrisson", "bébé", "vaccin"]},
        ],
        "topics": {
            "fees": "Les consultations de PMI sont gratuites.",
            "documents": "Apportez le carnet de santé de l'enfant.",
        },
        "messages": {
            "renewals": "message",
            "categories": [
                {
                    "key": "visite",
                    "label": "Demande de visite à domicile",
                    "keywords": ["visite à domicile", "à la maison", "passer à la maison"],
                    "route": "desk",
                    "urgent": False,
                },
                {"key": "autre", "label": "Autre demande", "keywords": [], "route": "desk"},
            ],
        },
        "fallback": {"number": "03 53 01 80 00", "on_request": True},  # the secretariat
        "red_flags": ["ne boit plus", "ne tète plus", "fièvre chez un nourrisson"],
    },
    "ch-trois-rivieres-cardiologie": {
        "greeting": (
            "Bonjour, consultations de cardiologie du centre hospitalier des Trois-Rivières, "
            "je suis l'assistante virtuelle. Que puis-je faire pour vous ?"
        ),
        "answering": {
            "mode": "outside_hours",
            "desk_hours": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
        },
        "new_patients": [
            {
                "motif": "Consultation de cardiologie",
                "accepted": False,
                "say": (
                    "Une première consultation de cardiologie se prend avec un courrier de "
                    "votre médecin traitant : il peut nous adresser sa demande directement."
                ),
            }
        ],
        "topics": {
            "fees": (
                "Les consultations sont facturées au tarif de la Sécurité sociale ; passez aux "
                "admissions avec votre carte Vitale et votre carte de mutuelle."
            ),
        },
        "put_through": [
            {
                "label": "le cardiologue d'astreinte",
                "phones": [],
                "roles": ["medecin", "hopital"],
                "number": "03 53 01 62 99",
            }
        ],
        # Outside desk hours the remote secretariat takes the hand-overs.
        "fallback": {"number": "03 53 01 80 00", "on_request": True},
        "red_flags": ["syncope", "palpitations avec malaise"],
    },
}


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def patient_texts(spec: OrganisationSpec) -> dict[str, Any]:
    """The spec's texts for patients, as sheet keys: walk-in hours, access and parking
    (from the sites' access), each motif's instructions."""
    many = len(spec.sites) > 1
    access = " ".join(f"{s.name} : {s.access}" if many else s.access for s in spec.sites)
    parking = " ".join(
        sentence.strip() + "."
        for s in spec.sites
        for sentence in re.split(r"\.\s*", s.access)
        if re.search(r"(?i)stationn|parking|garer", sentence)
    )
    topics = {"walk_in": spec.walk_in_hours, "directions": access, "parking": parking}
    return {
        "topics": {key: text for key, text in topics.items() if text},
        "motifs": [
            {"motif": m.name, "keywords": [], "instructions": m.instructions}
            for m in spec.motifs
            if m.instructions
        ],
    }


def _with_texts(sheet: dict, texts: dict) -> dict:
    sheet = _merge(sheet, {"topics": texts["topics"]})
    entries = {m["motif"].casefold(): m for m in sheet["motifs"]}
    for item in texts["motifs"]:
        entry = entries.get(item["motif"].casefold())
        if entry is None:
            sheet["motifs"].append(dict(item))
        else:
            entry["instructions"] = item["instructions"]
    return sheet


def install(organisation: Organisation, now, spec: OrganisationSpec | None = None) -> bool:
    """Version 1 of the organisation's demo sheet, unless it has a sheet already."""
    from accueil.reception import services
    from accueil.reception.models import InstructionSheet

    overrides = SHEETS.get(organisation.slug)
    if overrides is None and spec is None:
        return False
    if InstructionSheet.objects.filter(organisation=organisation).exists():
        return False
    sheet = _merge(services.default_sheet(organisation), overrides or {})
    if spec is not None:
        sheet = _with_texts(sheet, patient_texts(spec))
    services.save_sheet(organisation, sheet, note="Démonstration", now=now)
    return True
