"""The demonstration data set: four invented organisations of the Hauts-de-France.

Every person here is invented. Dates are relative: periods and absences are placed from the
Monday of the current week when the seed runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accueil.directory.models import Membership, Motif, Organisation

ON_SITE = Motif.LocationType.ON_SITE
VIDEO = Motif.LocationType.VIDEO
HOME = Motif.LocationType.HOME
PUBLIC = Motif.BookableBy.PUBLIC
STAFF = Motif.BookableBy.STAFF
REFERRERS = Motif.BookableBy.REFERRERS
OWNER = Membership.Role.OWNER
PRACTITIONER = Membership.Role.PRACTITIONER
SECRETARY = Membership.Role.SECRETARY
REFERRER = Membership.Role.REFERRER
ANALYST = Membership.Role.ANALYST

MON, TUE, WED, THU, FRI, SAT = "0", "1", "2", "3", "4", "5"
WEEKDAYS = "0,1,2,3,4"


@dataclass(frozen=True)
class SiteSpec:
    key: str
    name: str
    address: str
    postcode: str
    city: str
    access: str
    latitude: str
    longitude: str


@dataclass(frozen=True)
class MotifSpec:
    key: str
    name: str
    minutes: int
    location: str = ON_SITE
    bookable_by: str = PUBLIC
    capacity: int = 1
    travel_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 30
    horizon_days: int = 91
    instructions: str = ""
    # Which patients the generated appointments are for (see `seed_demo.PATIENT_POOLS`).
    pool: str = "adult"
    # Relative frequency among the practitioner's motifs when filling the agenda.
    weight: float = 1.0


@dataclass(frozen=True)
class PeriodSpec:
    site: str
    motifs: tuple[str, ...]
    start: str
    end: str
    weekdays: str = ""
    every_n_weeks: int = 1
    # A single date: the first Saturday at least this many days after today.
    saturday_after_days: int | None = None


@dataclass(frozen=True)
class WeeklyAbsenceSpec:
    weekday: int
    start: str
    end: str
    reason: str


@dataclass(frozen=True)
class LeaveSpec:
    """Whole days off: from the Monday of week `week` (0 = this week) plus `first_day`."""

    week: int
    first_day: int
    days: int
    reason: str


@dataclass(frozen=True)
class LoginSpec:
    username: str
    first_name: str
    last_name: str
    role: str


@dataclass(frozen=True)
class PractitionerSpec:
    key: str
    title: str
    first_name: str
    last_name: str
    profession: str
    sites: tuple[str, ...]
    motifs: tuple[str, ...]
    periods: tuple[PeriodSpec, ...]
    absences: tuple[WeeklyAbsenceSpec | LeaveSpec, ...] = ()
    login: tuple[str, str] | None = None  # (username, role)
    # Where the sheet's messages reach them by SMS (invented number).
    pro_mobile: str = ""


@dataclass(frozen=True)
class PatientsSpec:
    households: int
    with_children: float
    adult_ages: tuple[int, int] = (18, 88)
    child_ages: tuple[int, int] = (0, 15)


@dataclass(frozen=True)
class OrganisationSpec:
    slug: str
    name: str
    kind: str
    phone: str
    sites: tuple[SiteSpec, ...]
    motifs: tuple[MotifSpec, ...]
    practitioners: tuple[PractitionerSpec, ...]
    patients: PatientsSpec
    walk_in_hours: str = ""
    logins: tuple[LoginSpec, ...] = field(default=())


CABINET = OrganisationSpec(
    slug="cabinet-dr-garnier",
    name="Cabinet du Dr Hélène Garnier",
    kind=Organisation.Kind.CABINET,
    phone="03 53 01 20 14",
    walk_in_hours=(
        "Sans rendez-vous le lundi et le jeudi de 8 h à 8 h 30, par ordre d'arrivée, "
        "pour les urgences du jour uniquement."
    ),
    sites=(
        SiteSpec(
            key="tilleuls",
            name="Cabinet médical des Tilleuls",
            address="14 allée des Tilleuls",
            postcode="80100",
            city="Abbeville",
            access=(
                "Rez-de-chaussée, accès de plain-pied pour les fauteuils roulants. "
                "Stationnement gratuit place du Marché, à 100 m. Bus ligne 2, arrêt "
                "« Tilleuls ». Sonnez à l'interphone « Dr Garnier »."
            ),
            latitude="50.105400",
            longitude="1.833200",
        ),
    ),
    motifs=(
        MotifSpec(
            "consultation",
            "Consultation",
            20,
            instructions="Apportez votre carte Vitale et la liste de vos traitements en cours.",
            pool="family",
            weight=6,
        ),
        MotifSpec(
            "renouvellement",
            "Renouvellement d'ordonnance",
            15,
            instructions=(
                "Pour un traitement au long cours déjà prescrit au cabinet. "
                "Apportez votre dernière ordonnance."
            ),
            pool="senior",
            weight=3,
        ),
        MotifSpec(
            "nouveau",
            "Première consultation (nouveau patient)",
            30,
            bookable_by=STAFF,
            instructions="Apportez vos derniers comptes rendus, examens et ordonnances.",
            weight=1,
        ),
        MotifSpec(
            "video",
            "Téléconsultation",
            15,
            location=VIDEO,
            instructions="Le lien de connexion vous est envoyé par SMS 10 minutes avant.",
            weight=1,
        ),
    ),
    practitioners=(
        PractitionerSpec(
            key="garnier",
            pro_mobile="+33653012015",
            title="Dr",
            first_name="Hélène",
            last_name="Garnier",
            profession="médecin généraliste",
            sites=("tilleuls",),
            motifs=("consultation", "renouvellement", "nouveau", "video"),
            periods=(
                PeriodSpec(
                    "tilleuls",
                    ("consultation", "renouvellement", "nouveau"),
                    "08:30",
                    "12:00",
                    "0,1,3,4",
                ),
                PeriodSpec(
                    "tilleuls",
                    ("consultation", "renouvellement", "nouveau"),
                    "14:00",
                    "19:00",
                    "0,1,3",
                ),
                PeriodSpec("tilleuls", ("video",), "14:00", "16:30", FRI),
                PeriodSpec(
                    "tilleuls",
                    ("consultation", "renouvellement"),
                    "09:00",
                    "12:00",
                    WED,
                    every_n_weeks=2,
                ),
                PeriodSpec("tilleuls", ("consultation", "renouvellement"), "09:00", "12:00", SAT),
            ),
            absences=(WeeklyAbsenceSpec(3, "17:00", "19:00", "Vacation à l'EHPAD des Charmilles"),),
            login=("dr.garnier", OWNER),
        ),
    ),
    patients=PatientsSpec(households=190, with_children=0.35),
)

MSP = OrganisationSpec(
    slug="msp-deux-vallees",
    name="Maison de santé pluriprofessionnelle des Deux Vallées",
    kind=Organisation.Kind.MSP,
    phone="03 53 01 31 60",
    sites=(
        SiteSpec(
            key="doullens",
            name="Maison de santé — site de Doullens",
            address="3 rue du Moulin",
            postcode="80600",
            city="Doullens",
            access=(
                "Bâtiment de plain-pied derrière la pharmacie. Parking de 20 places dont 2 "
                "réservées aux personnes à mobilité réduite. Soins infirmiers : entrée côté "
                "jardin."
            ),
            latitude="50.157100",
            longitude="2.340500",
        ),
        SiteSpec(
            key="bernaville",
            name="Maison de santé — antenne de Bernaville",
            address="1 place de l'Église",
            postcode="80370",
            city="Bernaville",
            access=(
                "Au rez-de-chaussée de l'ancienne école, entrée par la cour. "
                "Stationnement sur la place."
            ),
            latitude="50.133200",
            longitude="2.165100",
        ),
    ),
    motifs=(
        MotifSpec(
            "mg_consult",
            "Consultation de médecine générale",
            20,
            instructions="Apportez votre carte Vitale et la liste de vos traitements en cours.",
            pool="adult",
            weight=6,
        ),
        MotifSpec(
            "mg_enfant",
            "Consultation enfant (vaccins, certificat)",
            20,
            instructions="Apportez le carnet de santé de l'enfant.",
            pool="child",
            weight=2,
        ),
        MotifSpec(
            "mg_nouveau",
            "Première consultation (nouveau patient)",
            30,
            bookable_by=STAFF,
            weight=1,
        ),
        MotifSpec(
            "mg_video",
            "Téléconsultation",
            15,
            location=VIDEO,
            instructions="Le lien de connexion vous est envoyé par SMS 10 minutes avant.",
        ),
        MotifSpec(
            "ide_domicile",
            "Soins infirmiers à domicile",
            30,
            location=HOME,
            bookable_by=STAFF,
            travel_minutes=20,
            instructions="Préparez l'ordonnance et le matériel de soins fourni par la pharmacie.",
            pool="senior",
            weight=3,
        ),
        MotifSpec(
            "ide_cabinet",
            "Soins infirmiers au cabinet (pansement, injection)",
            15,
            instructions="Apportez votre ordonnance et, si besoin, le produit à injecter.",
        ),
        MotifSpec(
            "kine_seance",
            "Séance de kinésithérapie",
            30,
            instructions="Prévoyez une tenue souple et une serviette.",
            weight=5,
        ),
        MotifSpec(
            "kine_bilan",
            "Bilan kinésithérapique (première séance)",
            45,
            instructions="Apportez votre prescription médicale et vos examens (radios, IRM).",
        ),
        MotifSpec(
            "sf_suivi",
            "Consultation de suivi de grossesse",
            30,
            instructions="Apportez votre carnet de maternité et vos derniers résultats.",
            pool="pregnant",
            weight=3,
        ),
        MotifSpec(
            "sf_reeduc",
            "Rééducation périnéale",
            30,
            pool="women",
            weight=2,
        ),
        MotifSpec(
            "sf_atelier",
            "Atelier préparation à la naissance",
            90,
            capacity=8,
            instructions=(
                "Séance collective en salle polyvalente. Venez en tenue confortable, "
                "avec un coussin ; le co-parent est le bienvenu."
            ),
            pool="pregnant",
        ),
    ),
    practitioners=(
        PractitionerSpec(
            key="lemaire",
            title="Dr",
            first_name="Julien",
            last_name="Lemaire",
            profession="médecin généraliste",
            sites=("doullens", "bernaville"),
            motifs=("mg_consult", "mg_nouveau", "mg_video"),
            periods=(
                PeriodSpec("doullens", ("mg_consult", "mg_nouveau"), "08:30", "12:00", WEEKDAYS),
                PeriodSpec("doullens", ("mg_consult", "mg_nouveau"), "14:00", "18:30", "0,1,3"),
                PeriodSpec("bernaville", ("mg_consult",), "14:00", "18:00", WED, every_n_weeks=2),
                PeriodSpec("doullens", ("mg_video",), "14:00", "16:00", FRI),
            ),
            absences=(
                WeeklyAbsenceSpec(
                    3, "11:00", "12:00", "Réunion de concertation pluriprofessionnelle"
                ),
            ),
            login=("dr.lemaire", OWNER),
        ),
        PractitionerSpec(
            key="perrin",
            title="Dr",
            first_name="Camille",
            last_name="Perrin",
            profession="médecin généraliste",
            sites=("doullens", "bernaville"),
            motifs=("mg_consult", "mg_enfant", "mg_nouveau"),
            periods=(
                PeriodSpec(
                    "doullens", ("mg_consult", "mg_enfant", "mg_nouveau"), "09:00", "12:30", "0,2,4"
                ),
                PeriodSpec("doullens", ("mg_consult", "mg_enfant"), "14:00", "19:00", "0,2"),
                PeriodSpec("bernaville", ("mg_consult", "mg_enfant"), "09:00", "12:30", TUE),
                PeriodSpec("bernaville", ("mg_consult", "mg_enfant"), "14:00", "17:00", TUE),
            ),
            absences=(LeaveSpec(week=2, first_day=0, days=7, reason="Congés"),),
        ),
        PractitionerSpec(
            key="benali",
            title="Dr",
            first_name="Karim",
            last_name="Benali",
            profession="médecin généraliste",
            sites=("doullens", "bernaville"),
            motifs=("mg_consult", "mg_enfant", "mg_nouveau"),
            periods=(
                PeriodSpec("bernaville", ("mg_consult", "mg_enfant"), "08:00", "12:00", "1,3"),
                PeriodSpec(
                    "doullens", ("mg_consult", "mg_enfant", "mg_nouveau"), "14:00", "19:00", "1,3,4"
                ),
                PeriodSpec("doullens", ("mg_consult",), "09:00", "12:00", SAT, every_n_weeks=2),
            ),
        ),
        PractitionerSpec(
            key="caron",
            title="Mme",
            first_name="Aurélie",
            last_name="Caron",
            profession="infirmière",
            sites=("doullens",),
            motifs=("ide_domicile", "ide_cabinet"),
            periods=(
                PeriodSpec("doullens", ("ide_domicile",), "07:00", "11:30", "0,1,2,3,4,5"),
                PeriodSpec("doullens", ("ide_cabinet",), "16:30", "18:30", WEEKDAYS),
            ),
            login=("a.caron", PRACTITIONER),
        ),
        PractitionerSpec(
            key="vasseur",
            title="M.",
            first_name="Thomas",
            last_name="Vasseur",
            profession="masseur-kinésithérapeute",
            sites=("doullens", "bernaville"),
            motifs=("kine_seance", "kine_bilan"),
            periods=(
                PeriodSpec("doullens", ("kine_seance", "kine_bilan"), "08:00", "12:00", "0,1,3,4"),
                PeriodSpec("doullens", ("kine_seance", "kine_bilan"), "14:00", "19:00", "0,1,3,4"),
                PeriodSpec("bernaville", ("kine_seance",), "08:30", "12:30", WED),
            ),
        ),
        PractitionerSpec(
            key="marchand",
            title="Mme",
            first_name="Élodie",
            last_name="Marchand",
            profession="sage-femme",
            sites=("doullens", "bernaville"),
            motifs=("sf_suivi", "sf_reeduc", "sf_atelier"),
            periods=(
                PeriodSpec("doullens", ("sf_suivi", "sf_reeduc"), "09:00", "12:30", "0,1"),
                PeriodSpec("doullens", ("sf_suivi", "sf_reeduc"), "14:00", "18:00", "0,1"),
                PeriodSpec("bernaville", ("sf_atelier",), "14:00", "15:30", THU),
                PeriodSpec("bernaville", ("sf_suivi", "sf_reeduc"), "09:00", "12:30", FRI),
            ),
            login=("e.marchand", PRACTITIONER),
        ),
    ),
    patients=PatientsSpec(households=300, with_children=0.4),
    logins=(
        LoginSpec("accueil.deuxvallees", "Nadia", "Roussel", SECRETARY),
        # The territory's view: the no-show statistics, never a patient.
        LoginSpec("analyste.territoire", "Karine", "Delattre", ANALYST),
    ),
)

PMI = OrganisationSpec(
    slug="pmi-santerre-haute-somme",
    name="PMI du Santerre et de la Haute-Somme",
    kind=Organisation.Kind.DEPARTMENTAL_SERVICE,
    phone="03 53 01 47 00",
    sites=(
        SiteSpec(
            key="peronne",
            name="Centre médico-social de Péronne",
            address="8 rue des Écoles",
            postcode="80200",
            city="Péronne",
            access=(
                "Entrée par le parking arrière, rampe d'accès pour les poussettes. "
                "Salle d'attente au 1er étage, ascenseur à gauche de l'accueil."
            ),
            latitude="49.932300",
            longitude="2.936600",
        ),
        SiteSpec(
            key="roye",
            name="Centre médico-social de Roye",
            address="25 boulevard Gambetta",
            postcode="80700",
            city="Roye",
            access="Rez-de-chaussée. Stationnement minute devant l'entrée.",
            latitude="49.700400",
            longitude="2.790300",
        ),
        SiteSpec(
            key="ham",
            name="Permanence PMI de Ham (mairie annexe)",
            address="2 place de l'Hôtel-de-Ville",
            postcode="80400",
            city="Ham",
            access="Salle du rez-de-chaussée de la mairie annexe, porte de droite.",
            latitude="49.747000",
            longitude="3.073100",
        ),
    ),
    motifs=(
        MotifSpec(
            "nourrisson",
            "Consultation nourrisson",
            30,
            min_notice_minutes=120,
            instructions="Apportez le carnet de santé de l'enfant.",
            pool="baby",
        ),
        MotifSpec(
            "pesee",
            "Pesée",
            15,
            instructions="Apportez le carnet de santé et une couche de rechange.",
            pool="baby",
        ),
        MotifSpec(
            "vad",
            "Visite à domicile",
            60,
            location=HOME,
            bookable_by=STAFF,
            travel_minutes=20,
            pool="baby",
        ),
    ),
    practitioners=(
        PractitionerSpec(
            key="fournier",
            title="Dr",
            first_name="Nathalie",
            last_name="Fournier",
            profession="médecin de PMI",
            sites=("peronne", "roye", "ham"),
            motifs=("nourrisson",),
            periods=(
                PeriodSpec("peronne", ("nourrisson",), "09:00", "12:00", MON),
                PeriodSpec("peronne", ("nourrisson",), "13:30", "16:30", MON),
                PeriodSpec("roye", ("nourrisson",), "09:00", "12:00", "1,3"),
                PeriodSpec("roye", ("nourrisson",), "13:30", "16:30", THU),
                PeriodSpec("ham", ("nourrisson",), "09:00", "12:00", FRI, every_n_weeks=2),
            ),
        ),
        PractitionerSpec(
            key="dubois",
            title="Mme",
            first_name="Laura",
            last_name="Dubois",
            profession="puéricultrice",
            sites=("peronne", "ham"),
            motifs=("pesee", "vad"),
            periods=(
                PeriodSpec("peronne", ("pesee",), "09:00", "12:00", "0,2"),
                PeriodSpec("peronne", ("vad",), "09:00", "12:00", "1,3"),
                PeriodSpec("peronne", ("vad",), "13:30", "16:30", "1,3"),
                PeriodSpec("ham", ("pesee",), "13:30", "16:30", FRI),
            ),
            login=("l.dubois", PRACTITIONER),
        ),
        PractitionerSpec(
            key="delattre",
            title="Mme",
            first_name="Sarah",
            last_name="Delattre",
            profession="puéricultrice",
            sites=("roye", "ham"),
            motifs=("pesee", "vad"),
            periods=(
                PeriodSpec("roye", ("pesee",), "09:00", "12:00", "1,3"),
                PeriodSpec("roye", ("vad",), "09:00", "12:00", "0,4"),
                PeriodSpec("roye", ("vad",), "13:30", "16:30", "0,4"),
                PeriodSpec("ham", ("pesee",), "09:00", "12:00", saturday_after_days=7),
            ),
            absences=(WeeklyAbsenceSpec(0, "13:30", "14:30", "Réunion d'équipe PMI"),),
        ),
    ),
    patients=PatientsSpec(
        households=160, with_children=1.0, adult_ages=(19, 42), child_ages=(0, 5)
    ),
    logins=(
        LoginSpec("responsable.pmi", "Christine", "Lecomte", OWNER),
        LoginSpec("secretariat.pmi", "Mélanie", "Hamel", SECRETARY),
    ),
)

CARDIOLOGY = OrganisationSpec(
    slug="ch-trois-rivieres-cardiologie",
    name="Centre hospitalier des Trois-Rivières — Cardiologie",
    kind=Organisation.Kind.HOSPITAL_SERVICE,
    phone="03 53 01 62 62",
    sites=(
        SiteSpec(
            key="hopital",
            name="Consultations de cardiologie, bâtiment B",
            address="1 avenue de l'Hôpital",
            postcode="62000",
            city="Arras",
            access=(
                "Bâtiment B, 2e étage, ascenseurs face à l'accueil principal. Passez d'abord "
                "aux admissions (rez-de-chaussée) avec votre carte Vitale et votre carte de "
                "mutuelle. Parking visiteurs P2, payant."
            ),
            latitude="50.289500",
            longitude="2.765800",
        ),
    ),
    motifs=(
        MotifSpec(
            "consult",
            "Consultation de cardiologie",
            30,
            min_notice_minutes=120,
            horizon_days=21,
            instructions=(
                "Apportez votre courrier d'adressage, vos derniers ECG et la liste de vos "
                "traitements."
            ),
            pool="senior",
            weight=3,
        ),
        MotifSpec(
            "suivi",
            "Consultation de suivi cardiologique",
            20,
            min_notice_minutes=120,
            horizon_days=21,
            pool="senior",
            weight=3,
        ),
        MotifSpec(
            "avis",
            "Avis cardiologique — adressé par un confrère",
            30,
            bookable_by=REFERRERS,
            pool="senior",
            weight=2,
        ),
        MotifSpec("ett", "Échographie cardiaque (ETT)", 30, bookable_by=STAFF, pool="senior"),
        MotifSpec(
            "effort",
            "Épreuve d'effort",
            45,
            bookable_by=STAFF,
            buffer_after_minutes=15,
            instructions="Venez en tenue de sport avec des chaussures de marche.",
            pool="senior",
        ),
    ),
    practitioners=(
        PractitionerSpec(
            key="rousseau",
            title="Dr",
            first_name="Antoine",
            last_name="Rousseau",
            profession="cardiologue",
            sites=("hopital",),
            motifs=("consult", "suivi", "avis", "ett", "effort"),
            periods=(
                PeriodSpec("hopital", ("consult", "suivi", "avis"), "09:00", "12:30", "0,2"),
                PeriodSpec("hopital", ("ett", "effort"), "14:00", "17:30", "1,3"),
            ),
            absences=(LeaveSpec(week=1, first_day=3, days=2, reason="Congrès de cardiologie"),),
            login=("dr.rousseau", OWNER),
        ),
        PractitionerSpec(
            key="haddad",
            title="Dr",
            first_name="Inès",
            last_name="Haddad",
            profession="cardiologue",
            sites=("hopital",),
            motifs=("consult", "suivi", "avis", "ett"),
            periods=(
                PeriodSpec("hopital", ("consult", "suivi", "avis"), "09:00", "12:30", "1,3,4"),
                PeriodSpec("hopital", ("ett",), "14:00", "17:30", MON),
                PeriodSpec("hopital", ("avis",), "14:00", "17:30", WED),
            ),
        ),
        PractitionerSpec(
            key="mercier",
            title="Dr",
            first_name="Paul",
            last_name="Mercier",
            profession="cardiologue",
            sites=("hopital",),
            motifs=("suivi", "avis", "ett", "effort"),
            periods=(
                PeriodSpec("hopital", ("suivi", "avis", "ett"), "14:00", "17:00", WEEKDAYS),
                PeriodSpec("hopital", ("effort",), "09:00", "12:30", WED, every_n_weeks=2),
            ),
        ),
    ),
    patients=PatientsSpec(households=240, with_children=0.0, adult_ages=(45, 92)),
    logins=(
        LoginSpec("secretariat.cardio", "Sandrine", "Poulain", SECRETARY),
        # A GP in town who sends patients for a cardiology opinion (motifs open to referrers).
        LoginSpec("correspondant.cardio", "Hervé", "Lambert", REFERRER),
    ),
)

ORGANISATIONS = (CABINET, MSP, PMI, CARDIOLOGY)
