"""An in-memory `policy.Agenda` that checks the policy's promises as it is called:
nothing revealed or booked for a patient whose name and birth date were not given first."""

from __future__ import annotations

import datetime as dt

from accueil.reception import policy
from accueil.reception.speech import PARIS

NOW = dt.datetime(2027, 1, 5, 10, 0, tzinfo=PARIS)
SHEET_OVERRIDES: dict = {}


class IdentityBreach(AssertionError):
    pass


class FakeAgenda:
    def __init__(self) -> None:
        self.practitioners = [
            policy.Practitioner(1, "Claire", "Lemoine", "Dr", "médecin généraliste"),
            policy.Practitioner(2, "Marc", "Dubreuil", "Dr", "médecin généraliste"),
            policy.Practitioner(3, "Sophie", "Marchal", "Mme", "sage-femme"),
        ]
        self.motifs = [
            policy.Motif(10, "Consultation", (1, 2), "Apportez votre carte Vitale."),
            policy.Motif(11, "Renouvellement d'ordonnance", (1, 2)),
            policy.Motif(12, "Suivi de grossesse", (3,)),
        ]
        self.patients = [
            policy.Patient(100, "Marie", "Dupont", dt.date(1985, 3, 3), "+33612345678"),
            policy.Patient(101, "Paul", "Martin", dt.date(1952, 11, 20), "+33687654321"),
            policy.Patient(102, "Lucas", "Dupont", dt.date(2018, 6, 12), "+33612345678", 100),
        ]
        self.booked: list[policy.Booked] = [
            policy.Booked(500, NOW + dt.timedelta(days=3), 1, 10, 100),
            policy.Booked(501, NOW + dt.timedelta(days=6), 2, 10, 101),
        ]
        self.revealed: set[int] = set()  # patients returned after name + birth date
        self.actions: list[tuple] = []
        self.messages: list[dict] = []
        self.next_id = 1000

    def patients_born(self, birth_date: dt.date) -> list[policy.Patient]:
        found = [p for p in self.patients if p.birth_date == birth_date]
        self.revealed.update(p.id for p in found)
        self.born_asked = getattr(self, "born_asked", set()) | {birth_date}
        return found

    def patient(self, patient_id: int) -> policy.Patient | None:
        if patient_id not in self.revealed:
            raise IdentityBreach(f"patient {patient_id} used before identification")
        return next((p for p in self.patients if p.id == patient_id), None)

    def upcoming(self, patient_ids, now):
        for pid in patient_ids:
            if pid not in self.revealed:
                raise IdentityBreach(f"appointments of {pid} revealed before identification")
        return sorted(
            (b for b in self.booked if b.patient_id in patient_ids and b.start > now),
            key=lambda b: b.start,
        )

    def offers(self, pairs, first, last, now, *, ignore_appointment_id=None):
        result = []
        day = first
        while day <= last:
            if day.weekday() < 5:
                for pid, mid in pairs:
                    for hour in (9, 11, 15, 17):
                        start = dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)
                        taken = any(
                            b.start == start
                            and b.practitioner_id == pid
                            and b.id != ignore_appointment_id
                            for b in self.booked
                        )
                        if start > now + dt.timedelta(minutes=30) and not taken:
                            result.append(policy.Offer(pid, mid, start))
            day += dt.timedelta(days=1)
        return sorted(result, key=lambda o: (o.start, o.practitioner_id))

    def book(self, offer, patient, guardian, now):
        if isinstance(patient, policy.Patient):
            if patient.id not in self.revealed:
                raise IdentityBreach("booked for a patient not identified")
            pid = patient.id
        else:
            if patient.birth_date not in getattr(self, "born_asked", set()):
                raise IdentityBreach("new patient booked without a birth date given")
            if not (patient.first_name and patient.last_name and patient.phone):
                raise IdentityBreach("new patient booked with an incomplete identity")
            self.next_id += 1
            pid = self.next_id
            self.patients.append(
                policy.Patient(pid, patient.first_name, patient.last_name, patient.birth_date,
                               patient.phone)
            )  # fmt: skip
            self.revealed.add(pid)
        self.next_id += 1
        booked = policy.Booked(
            self.next_id, offer.start, offer.practitioner_id, offer.motif_id, pid
        )
        self.booked.append(booked)
        self.actions.append(("book", booked))
        return booked

    def cancel(self, appointment_id, now):
        booked = next(b for b in self.booked if b.id == appointment_id)
        if booked.patient_id not in self.revealed:
            raise IdentityBreach("cancelled for a patient not identified")
        self.booked.remove(booked)
        self.actions.append(("cancel", booked))
        return booked

    def move(self, appointment_id, start, now):
        booked = next(b for b in self.booked if b.id == appointment_id)
        if booked.patient_id not in self.revealed:
            raise IdentityBreach("moved for a patient not identified")
        moved = policy.Booked(booked.id, start, booked.practitioner_id, booked.motif_id,
                              booked.patient_id)  # fmt: skip
        self.booked[self.booked.index(booked)] = moved
        self.actions.append(("move", moved))
        return moved

    def leave_message(self, **kwargs):
        self.messages.append(kwargs)
