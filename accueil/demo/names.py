"""Invented French identities for demonstration data: names, streets and phone numbers.

Phone numbers are drawn from the blocks ARCEP reserves for fiction (01 99 00, 02 61 91,
03 53 01, 04 65 71, 05 36 49): they are valid for `phonenumbers` and never ring anyone, so
a reminder sent by mistake from a demo database reaches nobody.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

FEMALE_FIRST_NAMES = [
    "Léa", "Chloé", "Manon", "Camille", "Inès", "Sarah", "Jade", "Louise", "Zoé", "Emma",
    "Lucie", "Juliette", "Anaïs", "Mathilde", "Pauline", "Clara", "Margaux", "Élise",
    "Nathalie", "Isabelle", "Sandrine", "Valérie", "Sophie", "Catherine", "Christine",
    "Martine", "Monique", "Françoise", "Nicole", "Sylvie", "Céline", "Aurélie", "Émilie",
    "Laetitia", "Audrey", "Mélanie", "Julie", "Charlotte", "Hélène", "Agnès", "Yasmine",
    "Fatima", "Nadia", "Amandine", "Coralie", "Maëlle", "Lina", "Rose", "Alice", "Ambre",
]  # fmt: skip

MALE_FIRST_NAMES = [
    "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Adam", "Raphaël", "Nathan",
    "Théo", "Tom", "Léo", "Maxime", "Antoine", "Thomas", "Nicolas", "Julien", "Mathieu",
    "Sébastien", "Christophe", "Stéphane", "Olivier", "Philippe", "Patrick", "Michel",
    "Alain", "Bernard", "Jean", "Pierre", "François", "Laurent", "Éric", "David", "Vincent",
    "Mehdi", "Karim", "Yanis", "Rayan", "Bastien", "Romain", "Quentin", "Benoît", "Gaël",
    "Noé", "Sacha", "Timéo", "Marius", "Paul", "Victor", "Aurélien",
]  # fmt: skip

LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre",
    "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
    "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
    "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine",
    "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis",
    "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël", "Meyer",
    "Lucas", "Meunier", "Jean", "Perez", "Marchand", "Dufour", "Blanchard", "Marie",
    "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Fernandez",
    "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud", "Leclerc",
    "Vasseur", "Delattre", "Lecomte", "Dupuis", "Carpentier", "Lenoir", "Poulain", "Benali",
    "Haddad", "Da Silva", "Hamel", "Deschamps", "Lebrun", "Tessier", "Prévost", "Leblanc",
]  # fmt: skip

STREETS = [
    "rue de la République", "rue Victor-Hugo", "rue Jean-Jaurès", "rue Pasteur",
    "avenue de la Gare", "rue des Écoles", "place de l'Église", "rue du Moulin",
    "chemin des Vignes", "rue des Lilas", "allée des Tilleuls", "rue du Général-Leclerc",
    "impasse des Peupliers", "rue des Jardins", "boulevard Gambetta", "rue de la Paix",
    "rue Saint-Martin", "route de la Forêt", "rue des Prés", "rue du Château",
]  # fmt: skip

# Blocks reserved by ARCEP for fiction, by telephone zone (first two digits).
FICTION_BLOCKS = {
    "01": "0199 00",
    "02": "0261 91",
    "03": "0353 01",
    "04": "0465 71",
    "05": "0536 49",
}


def fiction_phone(rng: random.Random, zone: str = "03") -> str:
    """A national-format number such as "03 53 01 42 17" from the fiction block of `zone`."""
    block = FICTION_BLOCKS[zone].replace(" ", "")
    digits = f"{block}{rng.randrange(10_000):04d}"
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def fiction_phone_e164(rng: random.Random, zone: str = "03") -> str:
    """The same kind of number in E.164, as patients' numbers are stored."""
    return "+33" + fiction_phone(rng, zone).replace(" ", "")[1:]


def slugify_name(value: str) -> str:
    """ "Élodie Marchand" -> "elodie.marchand" (logins and e-mail local parts)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return ".".join(part for part in ascii_text.lower().replace("-", " ").split() if part)


def birth_date(rng: random.Random, today: dt.date, min_age: int, max_age: int) -> dt.date:
    """A birth date for someone between min_age and max_age years old today."""
    earliest = today - dt.timedelta(days=int((max_age + 1) * 365.25) - 1)
    latest = today - dt.timedelta(days=max(14, int(min_age * 365.25)))
    return earliest + dt.timedelta(days=rng.randrange((latest - earliest).days + 1))


def address(rng: random.Random) -> str:
    return f"{rng.randint(1, 120)} {rng.choice(STREETS)}"
