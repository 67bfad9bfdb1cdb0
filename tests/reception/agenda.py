"""The practice every scenario calls: built with tests/factories.py, fixed clock.

"Maison médicale des Lilas" (+33 3 22 00 00 00): two GPs (Dr Claire Lemoine, Dr Marc
Dubreuil) and a midwife (Sophie Marchal), motifs with keywords, known patients. Now is
Tuesday 5 January 2027, 10:00 in Paris.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel
from accueil.directory.models import Motif, Organisation, Practitioner
from accueil.directory.services import Audience
from accueil.patients.models import Patient
from accueil.reception import services
from accueil.scheduling.engine import PARIS, wall_clock
from tests import factories

NOW = dt.datetime(2027, 1, 5, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
PHONE = "+33322000000"
KNOWN_CALLER = "+33612345678"


@dataclass
class Practice:
    organisation: Organisation
    lemoine: Practitioner
    dubreuil: Practitioner
    marchal: Practitioner
    motifs: dict[str, Motif]
    patients: dict[str, Patient] = field(default_factory=dict)

    def practitioner(self, key: str) -> Practitioner:
        return getattr(self, key)


def build_practice() -> Practice:
    org = factories.organisation(
        name="Maison médicale des Lilas",
        phone="03 22 00 00 00",
    )
    site = factories.site(
        org,
        name="Maison médicale des Lilas",
        address="12 rue des Lilas",
        postcode="80000",
        city="Amiens",
        phone="03 22 00 00 01",
    )
    lemoine = factories.practitioner(
        org, [site], first_name="Claire", last_name="Lemoine", pro_mobile="+33611000001",
        pro_email="c.lemoine@lilas.example.org",
    )  # fmt: skip
    dubreuil = factories.practitioner(org, [site], first_name="Marc", last_name="Dubreuil")
    marchal = factories.practitioner(
        org, [site], first_name="Sophie", last_name="Marchal", title="Mme", profession="sage-femme"
    )
    minutes = dt.timedelta
    motifs = {
        "consultation": factories.motif(
            org, [lemoine, dubreuil], name="Consultation", duration=minutes(minutes=20),
        ),
        "renouvellement": factories.motif(
            org, [lemoine, dubreuil], name="Renouvellement d'ordonnance",
            duration=minutes(minutes=15),
        ),
        "sport": factories.motif(
            org, [lemoine, dubreuil], name="Certificat de sport", duration=minutes(minutes=15)
        ),
        "vaccin": factories.motif(
            org, [lemoine, dubreuil], name="Vaccination", duration=minutes(minutes=15)
        ),
        "nouveau": factories.motif(
            org, [lemoine, dubreuil], name="Première consultation (nouveau patient)",
            duration=minutes(minutes=30), bookable_by=Motif.BookableBy.STAFF,
        ),
        "grossesse": factories.motif(
            org, [marchal], name="Suivi de grossesse", duration=minutes(minutes=30)
        ),
        "frottis": factories.motif(
            org, [marchal], name="Frottis", duration=minutes(minutes=20)
        ),
    }  # fmt: skip
    gp = [motifs[k] for k in ("consultation", "renouvellement", "sport", "vaccin", "nouveau")]
    for p in (lemoine, dubreuil):
        factories.period(p, gp, start_time=dt.time(9), end_time=dt.time(12))
        factories.period(
            p, gp, start_time=dt.time(14), end_time=dt.time(18, 30), weekdays="0,1,3,4"
        )
    factories.period(
        marchal,
        [motifs["grossesse"], motifs["frottis"]],
        start_time=dt.time(9),
        end_time=dt.time(12),
        weekdays="1,3",
    )
    # The texts for patients live in the instruction sheet (docs/decisions/0014).
    sheet = services.current_sheet(org)[1]
    sheet["topics"].update(
        walk_in="Sans rendez-vous le samedi de 9 h à 11 h.",
        directions="Rez-de-chaussée, accès fauteuil. Parking gratuit devant la maison "
        "médicale. Bus ligne 4, arrêt Lilas.",
        parking="Parking gratuit devant la maison médicale.",
        documents="Apportez votre carte Vitale.",
    )
    sheet["motifs"] = [
        {"motif": "Consultation", "keywords": [], "instructions": "Apportez votre carte Vitale."}
    ]
    services.save_sheet(org, sheet, note="Textes pour les patients", now=NOW)
    practice = Practice(org, lemoine, dubreuil, marchal, motifs)
    practice.patients = {
        "dupont": factories.patient(
            org, first_name="Marie", last_name="Dupont", birth_date=dt.date(1985, 3, 3),
            phone=KNOWN_CALLER,
        ),
        "martin": factories.patient(
            org, first_name="Paul", last_name="Martin", birth_date=dt.date(1952, 11, 20),
            phone="+33687654321",
        ),
        "le_goff": factories.patient(
            org, first_name="Yann", last_name="Le Goff", birth_date=dt.date(1990, 7, 14),
            phone="+33611223344",
        ),
        "bernard_a": factories.patient(
            org, first_name="Alice", last_name="Bernard", birth_date=dt.date(1978, 5, 12),
            phone="+33699887766",
        ),
        "bernard_b": factories.patient(
            org, first_name="Bruno", last_name="Bernard", birth_date=dt.date(1978, 5, 12),
            phone="+33699887766",
        ),
    }  # fmt: skip
    dupont = practice.patients["dupont"]
    practice.patients["lucas"] = factories.patient(
        org, first_name="Lucas", last_name="Dupont", birth_date=dt.date(2018, 6, 12),
        phone=KNOWN_CALLER, managed_by=dupont,
    )  # fmt: skip
    return practice


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return wall_clock(day, dt.time(hour, minute))


def book_for(
    practice: Practice,
    patient_key: str,
    start: dt.datetime,
    *,
    practitioner: str = "lemoine",
    motif: str = "consultation",
) -> Appointment:
    return booking.book(
        practitioner=practice.practitioner(practitioner),
        motif=practice.motifs[motif],
        start=start,
        patient=practice.patients[patient_key],
        channel=Channel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )  # fmt: skip


def fill(practice: Practice, practitioner: str, first: dt.date, last: dt.date) -> int:
    """Block the practitioner's agenda from first to last (an absence)."""
    factories.absence(
        practice.practitioner(practitioner),
        wall_clock(first, dt.time(0)),
        wall_clock(last + dt.timedelta(days=1), dt.time(0)),
        reason="Complet",
    )
    return 1
