"""The receptionist's dialogue policy: a deterministic state machine.

Understanding may be statistical, decisions are rules. Each turn reads the caller's words
(through `understanding`), the practice's instruction sheet and the agenda, and returns
what to say, the call's status and, when something was settled, its outcome. The state is
a plain JSON dict stored on the call row between turns: no process keeps anything.

Order of every turn:
1. red flags (`emergency.detect`): the 15 / 112 / 3114 in this very answer, call ended;
2. the current stage's question, if the answer fits it;
3. otherwise new requests (several in one utterance are queued and handled in turn);
4. otherwise "unclear": asked again once, then a human (fallback number, with a written
   summary) or a message. Never a dead end, never an empty answer.

Identity comes before revealing or changing anything: the caller gives last name and birth
date, matched against the practice's patients (caller-ID matches preferred); several
matches get a question (first name), never a guess.

The agenda is reached through the `Agenda` protocol (`services.DjangoAgenda` in production,
an in-memory fake in the property tests), so this module holds no ORM code.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from accueil.reception import emergency
from accueil.reception import understanding as nlu
from accueil.reception.speech import PARIS, say_date, say_datetime, say_list

STATE_VERSION = 1
MAX_OFFERS = 3
SEARCH_WINDOWS = (7, 21, 64)  # days searched in turn from the first acceptable day
MAX_MISSES = 2

OUTCOMES = (
    "booked",
    "cancelled",
    "moved",
    "informed",
    "message_taken",
    "transferred",
    "emergency",
    "abandoned",
)


# What the policy sees of the agenda ------------------------------------------------------


@dataclass(frozen=True)
class Practitioner:
    id: int
    first_name: str
    last_name: str
    title: str
    profession: str

    @property
    def spoken(self) -> str:
        """ "le Dr Garnier", "Mme Caron"."""
        title = self.title or ""
        if title.lower().startswith("dr"):
            return f"le docteur {self.last_name}"
        if title:
            return f"{title} {self.last_name}"
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Motif:
    id: int
    name: str
    practitioner_ids: tuple[int, ...]
    instructions: str = ""


@dataclass(frozen=True)
class Patient:
    id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    phone: str = ""
    managed_by_id: int | None = None


@dataclass(frozen=True)
class Booked:
    id: int
    start: dt.datetime
    practitioner_id: int
    motif_id: int
    patient_id: int


@dataclass(frozen=True)
class Offer:
    practitioner_id: int
    motif_id: int
    start: dt.datetime


@dataclass(frozen=True)
class NewPatient:
    first_name: str
    last_name: str
    birth_date: dt.date
    phone: str


class SlotGone(Exception):
    """The offered slot was taken meanwhile."""


class Refused(Exception):
    """The booking service refused the change (validation, status)."""


class Agenda(Protocol):
    practitioners: list[Practitioner]
    motifs: list[Motif]  # motifs the public may book

    def patients_born(self, birth_date: dt.date) -> list[Patient]: ...

    def patient(self, patient_id: int) -> Patient | None: ...

    def upcoming(self, patient_ids: list[int], now: dt.datetime) -> list[Booked]: ...

    def offers(
        self,
        pairs: list[tuple[int, int]],
        first: dt.date,
        last: dt.date,
        now: dt.datetime,
        *,
        ignore_appointment_id: int | None = None,
    ) -> list[Offer]: ...

    def book(
        self,
        offer: Offer,
        patient: Patient | NewPatient,
        guardian: Patient | None,
        now: dt.datetime,
    ) -> Booked: ...

    def cancel(self, appointment_id: int, now: dt.datetime) -> Booked: ...

    def move(self, appointment_id: int, start: dt.datetime, now: dt.datetime) -> Booked: ...

    def leave_message(
        self,
        *,
        body: str,
        urgent: bool,
        practitioner_id: int | None,
        patient_id: int | None,
        caller_name: str,
        caller_phone: str,
        now: dt.datetime,
        category: str | None = None,
    ) -> None: ...


class Understander(Protocol):
    """Turns an utterance into an `Understanding`. The rules of `understanding.understand`
    are the default and what the tests use; another backend (a language model, say) may be
    plugged in for understanding only: red flags are always checked by `emergency` first,
    and every decision stays in this module."""

    def __call__(self, text: str, now: dt.datetime, lexicon: nlu.Lexicon) -> nlu.Understanding: ...


@dataclass
class Context:
    sheet: dict[str, Any]
    agenda: Agenda
    now: dt.datetime
    caller: str = ""  # E.164 caller ID, "" when hidden
    organisation_name: str = ""
    understand: Understander = nlu.understand

    def practitioner(self, pid: int | None) -> Practitioner | None:
        return next((p for p in self.agenda.practitioners if p.id == pid), None)

    def motif(self, mid: int | None) -> Motif | None:
        return next((m for m in self.agenda.motifs if m.id == mid), None)


@dataclass
class Reply:
    say: str
    status: str  # open | transferred | ended
    outcome: str | None
    state: dict[str, Any]
    transfer_to: str = ""
    summary: str = ""
    appointment_ids: list[int] = field(default_factory=list)


class CallOver(Exception):
    """A turn on a call that has ended or been transferred."""


# Lexicon ---------------------------------------------------------------------------------

MOTIF_STOPWORDS = {
    "consultation",
    "premiere",
    "patient",
    "patients",
    "nouveau",
    "seance",
    "rendez",
    "adresse",
    "confrere",
    "cabinet",
    "domicile",
    "medecine",
    "generale",
    "soins",
}


def _stem(word: str) -> str:
    """ "vaccination" -> "vaccin", "renouvellement" -> "renouvell": keywords match by prefix."""
    for suffix in ("ations", "ation", "ements", "ement", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 5:
            return word[: -len(suffix)]
    return word


def lexicon(ctx: Context) -> nlu.Lexicon:
    motif_keywords: list[tuple[str, int]] = []
    by_name = {m.name.casefold(): m for m in ctx.agenda.motifs}
    for item in ctx.sheet["motifs"]:
        motif = by_name.get(item["motif"].casefold())
        if motif:
            motif_keywords.extend((kw, motif.id) for kw in item["keywords"])
    for motif in ctx.agenda.motifs:
        for word in nlu.fold(motif.name).split():
            if len(word) >= 5 and word not in MOTIF_STOPWORDS:
                motif_keywords.append((_stem(word), motif.id))
    categories = [
        (kw, c["key"]) for c in ctx.sheet["messages"]["categories"] for kw in c["keywords"]
    ]
    return nlu.Lexicon(
        practitioners=[
            nlu.PractitionerName(p.id, p.last_name, p.first_name, p.profession)
            for p in ctx.agenda.practitioners
        ],
        motif_keywords=motif_keywords,
        category_keywords=categories,
    )


# Entry points ----------------------------------------------------------------------------


def new_state() -> dict[str, Any]:
    return {
        "v": STATE_VERSION,
        "stage": "root",
        "status": "open",
        "task": None,
        "queue": [],
        "caller": None,  # the caller's own verified identity (a patient dict)
        "misses": 0,
        "outcomes": [],
        "appointments": [],
        "notes": [],
        "turns": 0,
    }


def greet(ctx: Context) -> Reply:
    state = new_state()
    return Reply(ctx.sheet["greeting"], "open", None, state)


def respond(state: dict[str, Any], text: str, ctx: Context) -> Reply:
    """One caller utterance in, one answer out. Raises CallOver on a finished call."""
    if state.get("status", "open") != "open":
        raise CallOver()
    dialogue = _Dialogue(copy.deepcopy(state), ctx)
    return dialogue.turn(text)


def summary(state: dict[str, Any]) -> str:
    return "\n".join(state.get("notes", []))


# The dialogue ----------------------------------------------------------------------------


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class _Dialogue:
    def __init__(self, state: dict[str, Any], ctx: Context):
        self.state = state
        self.ctx = ctx
        self.sheet = ctx.sheet
        self.parts: list[str] = []
        self.outcome: str | None = None
        self.transfer_to = ""
        self.u: nlu.Understanding | None = None

    # Plumbing -----------------------------------------------------------------------------

    def say(self, text: str) -> None:
        if text:
            self.parts.append(text)

    def note(self, text: str) -> None:
        self.state["notes"].append(text)

    def settle(self, outcome: str) -> None:
        self.outcome = outcome
        self.state["outcomes"].append(outcome)

    def end(self, outcome: str | None = None) -> None:
        if outcome:
            self.settle(outcome)
        elif not self.state["outcomes"]:
            self.settle("abandoned")
        self.state["status"] = "ended"
        self.state["stage"] = "ended"

    @property
    def task(self) -> dict[str, Any]:
        return self.state["task"]

    def stage(self, name: str) -> None:
        self.state["stage"] = name

    def reply(self) -> Reply:
        if not self.parts:  # never silence
            self.say("Pouvez-vous répéter, s'il vous plaît ?")
        return Reply(
            say=" ".join(self.parts),
            status=self.state["status"],
            outcome=self.outcome,
            state=self.state,
            transfer_to=self.transfer_to,
            summary=summary(self.state),
            appointment_ids=list(self.state["appointments"]),
        )

    # A turn -------------------------------------------------------------------------------

    def turn(self, text: str) -> Reply:
        self.state["turns"] = self.state.get("turns", 0) + 1
        text = " ".join((text or "").split())[:2000]
        flag = emergency.detect(text, self.sheet.get("red_flags", ()))
        if flag:
            return self.emergency(flag, text)
        if not text:
            return self.silence()
        self.u = self.ctx.understand(text, self.ctx.now, lexicon(self.ctx))
        u = self.u
        if nlu.WRONG_NUMBER in u.intents:
            self.say(
                f"Vous êtes ici : {self.ctx.organisation_name}. Ce n'est pas grave, "
                "bonne journée, au revoir."
            )
            self.note("Erreur de numéro.")
            self.end("informed")
            return self.reply()
        thanks = re.fullmatch(
            r"((ah|oh|bon|ok|d accord|tres bien|bien|non|oui|parfait|super|alors) )*"
            r"(merci|c est bon|c est parfait|ca ira)"
            r"( (bien|beaucoup|a vous|bonne journee|ca ira|c est tout|c est bon|pour tout))*",
            nlu.without_fillers(u.folded),
        )
        stage = self.state["stage"]
        if u.intents == [nlu.GOODBYE] or (
            not u.intents
            and ((stage == "anything_else" and u.yes is False) or (stage in IDLE and thanks))
        ):
            return self.goodbye()
        if (
            u.intents
            and u.intents[0] == nlu.SPEAK_HUMAN
            and self.state["stage"] not in {"msg_body"}
        ):
            self.state["queue"] = []
            self.human(requested=True)
            return self.reply()
        handler = getattr(self, f"stage_{self.state['stage']}", self.stage_root)
        handler(u)
        if (
            nlu.GOODBYE in u.intents
            and self.state["status"] == "open"
            and self.state["stage"] == "anything_else"
        ):
            self.parts = [p for p in self.parts if p != ANYTHING_ELSE]
            return self.goodbye()
        return self.reply()

    def emergency(self, flag: emergency.RedFlag, text: str) -> Reply:
        self.say(emergency.emergency_answer(flag))
        self.note(f"URGENCE ({flag.kind}) : l'appelant a été orienté vers le 15 / 112.")
        patient_id = (self.state.get("caller") or {}).get("id")
        self.ctx.agenda.leave_message(
            body=(
                "URGENCE signalée par la standardiste virtuelle : l'appelant a été invité à "
                f"appeler le {'3114' if flag.suicidal else '15'}. Propos : « {text[:500]} »"
            ),
            urgent=True,
            practitioner_id=None,
            patient_id=patient_id,
            caller_name="",
            caller_phone=self.ctx.caller,
            now=self.ctx.now,
        )
        self.end("emergency")
        return self.reply()

    def silence(self) -> Reply:
        self.state["misses"] += 1
        if self.state["misses"] >= MAX_MISSES:
            number = self.sheet["fallback"]["number"]
            if number:
                self.say("Je ne vous entends pas. Je vous passe une personne du cabinet.")
                self.transfer(number, "Silence de l'appelant.")
            else:
                self.say(
                    "Je ne vous entends pas. En cas d'urgence, appelez le 15. "
                    "N'hésitez pas à rappeler. Au revoir."
                )
                self.note("Appel sans réponse de l'appelant.")
                self.end()
            return self.reply()
        self.say("Je ne vous ai pas entendu. Pouvez-vous répéter, s'il vous plaît ?")
        return self.reply()

    def goodbye(self) -> Reply:
        self.say("Merci de votre appel, au revoir et bonne journée.")
        self.end()
        return self.reply()

    def unclear(self, again: str) -> None:
        """Ask again once; the second time, a human or a message."""
        self.state["misses"] += 1
        if self.state["misses"] >= MAX_MISSES:
            self.escalate("Demande non comprise après deux essais.")
            return
        self.say(again)

    def progress(self) -> None:
        self.state["misses"] = 0

    # Requests -----------------------------------------------------------------------------

    def stage_root(self, u: nlu.Understanding) -> None:
        if not u.intents and u.category and u.category != "autre":
            # "il me faut un arrêt de travail": a message category of the sheet.
            u.intents = [nlu.MESSAGE]
        elif not u.intents and u.when and not u.when.is_empty():
            # "c'est possible de venir ce soir après le travail": a time means a booking.
            u.intents = [nlu.BOOK]
        if not u.intents:
            if u.yes is True and self.state["stage"] == "anything_else":
                self.say("Je vous écoute.")
                return
            self.unclear(
                "Je n'ai pas bien compris. Je peux prendre, déplacer ou annuler un "
                "rendez-vous, vous renseigner ou prendre un message. Que souhaitez-vous ?"
            )
            return
        self.progress()
        self.state["queue"] = self.tasks_from(u)
        self.state["task"] = None
        self.next_task()

    stage_anything_else = stage_root

    def tasks_from(self, u: nlu.Understanding) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = []
        when = u.when.to_json() if u.when else None
        practitioner = u.practitioner_ids[0] if len(u.practitioner_ids) == 1 else None
        relatives = self.relatives_by_intent(u)
        for intent in u.intents:
            u.relative = relatives.get(intent, u.relative)
            if intent == nlu.BOOK:
                tasks.append(self.book_task(u, when))
                when = None
            elif intent == nlu.PRESCRIPTION:
                if self.sheet["messages"]["renewals"] == "appointment":
                    task = self.book_task(u, when)
                    task["motif"] = task["motif"] or self.renewal_motif()
                    tasks.append(task)
                else:
                    tasks.append(
                        {
                            "kind": "message",
                            "category": "renouvellement",
                            "practitioner": practitioner,
                        }
                    )
            elif intent == nlu.RESULTS:
                tasks.append(
                    {"kind": "message", "category": "resultats", "practitioner": practitioner}
                )
            elif intent in (nlu.CANCEL, nlu.MOVE, nlu.ASK_APPOINTMENT):
                kind = {nlu.CANCEL: "cancel", nlu.MOVE: "move", nlu.ASK_APPOINTMENT: "ask"}[intent]
                task = {"kind": kind, "relative": u.relative, "which": None, "when": None}
                if kind == "move":
                    task["when"] = self.move_target_when(u)
                if kind in {"cancel", "move"} and u.when:
                    task["which"] = u.when.to_json()
                tasks.append(task)
            elif intent == nlu.INFO:
                tasks.append({"kind": "info", "topics": u.topics})
            elif intent == nlu.MESSAGE:
                tasks.append(
                    {"kind": "message", "category": u.category, "practitioner": practitioner}
                )
            elif intent == nlu.SPEAK_DOCTOR:
                tasks.append({"kind": "speak_doctor", "practitioner": practitioner})
            elif intent == nlu.SPEAK_HUMAN:
                tasks.append({"kind": "human"})
            elif intent == nlu.PROFESSIONAL:
                tasks.append(
                    {
                        "kind": "professional",
                        "role": u.professional_role,
                        "practitioner": practitioner,
                    }
                )
            elif intent == nlu.GOODBYE:
                continue
        if any(t["kind"] == "professional" for t in tasks):
            tasks = [t for t in tasks if t["kind"] in {"professional", "info"}] or tasks
        return tasks

    @staticmethod
    def relatives_by_intent(u: nlu.Understanding) -> dict[str, bool]:
        """With several requests, "pour ma fille" belongs to the request it follows."""
        if len(u.intents) < 2 or not u.relative:
            return {}
        positions = list(nlu.intent_positions(u.folded).items())
        relatives = nlu.relative_positions(u.folded)
        result = {}
        for i, (intent, start) in enumerate(positions):
            begin = 0 if i == 0 else start
            end = positions[i + 1][1] if i + 1 < len(positions) else 10**9
            result[intent] = any(begin <= r < end for r in relatives)
        return result

    def book_task(self, u: nlu.Understanding, when: dict | None) -> dict[str, Any]:
        return {
            "kind": "book",
            "motif": u.motif_id,
            "practitioners": u.practitioner_ids,
            "when": when,
            "relative": u.relative,
        }

    def move_target_when(self, u: nlu.Understanding) -> dict | None:
        """In "déplacer mon rendez-vous de mardi à jeudi", the new time is after "à"."""
        match = re.search(
            r"\b(deplac\w*|decal\w*|report\w*|changer|avancer|repousser|modifier)\b.*?"
            r"\b(a|au|pour|vers|plutot|a la place)\b (.*)$",
            u.folded,
        )
        if not match:
            return None
        when = nlu.parse_when(match.group(3), self.ctx.now)
        return when.to_json() if when else None

    def renewal_motif(self) -> int | None:
        for motif in self.ctx.agenda.motifs:
            if "renouvel" in nlu.fold(motif.name):
                return motif.id
        return None

    def next_task(self) -> None:
        if not self.state["queue"]:
            self.state["task"] = None
            if self.state["status"] == "open":
                self.stage("anything_else")
                self.say(ANYTHING_ELSE)
            return
        self.state["task"] = self.state["queue"].pop(0)
        self.state["misses"] = 0
        kind = self.task["kind"]
        self.note(f"Demande : {TASK_LABELS.get(kind, kind)}.")
        getattr(self, f"start_{kind}")()

    def done(self) -> None:
        self.next_task()

    # Escalation ---------------------------------------------------------------------------

    def transfer(self, number: str, reason: str, *, written: bool = True) -> None:
        """Hand the call over; unless a listed professional is put through, the summary
        also lands in the practice's inbox, so whoever picks up has it written down."""
        self.transfer_to = number
        self.note(f"Transféré vers {number} : {reason}")
        self.settle("transferred")
        self.state["status"] = "transferred"
        self.state["stage"] = "transferred"
        self.state["transfer_to"] = number
        if written:
            caller = self.state.get("caller") or {}
            self.ctx.agenda.leave_message(
                body="Appel transféré par la standardiste virtuelle.\n" + summary(self.state),
                urgent=False,
                practitioner_id=None,
                patient_id=caller.get("id"),
                caller_name=_display_name(caller) if caller else "",
                caller_phone=self.ctx.caller,
                now=self.ctx.now,
            )

    def escalate(self, reason: str) -> None:
        """A human with the summary, or a message when nobody can take the call."""
        self.state["queue"] = []
        number = self.sheet["fallback"]["number"]
        if number:
            self.say(
                self.sheet["fallback"]["say"]
                or "Je vous passe une personne du cabinet, qui aura le résumé de votre demande. "
                "Ne quittez pas."
            )
            self.transfer(number, reason)
            return
        self.note(f"Message proposé : {reason}")
        self.say("Je vais plutôt prendre un message pour que le cabinet vous rappelle.")
        self.state["task"] = {"kind": "message", "category": "autre", "practitioner": None}
        self.start_message()

    def human(self, requested: bool) -> None:
        number = self.sheet["fallback"]["number"]
        if number and (self.sheet["fallback"]["on_request"] or not requested):
            self.say("Je vous mets en relation avec le secrétariat. Ne quittez pas.")
            self.transfer(number, "l'appelant a demandé à parler à une personne.")
            return
        self.say(
            "Le secrétariat ne peut pas prendre votre appel pour le moment, mais je peux "
            "prendre un message."
        )
        self.state["task"] = {"kind": "message", "category": "autre", "practitioner": None}
        self.start_message()

    def start_human(self) -> None:
        self.human(requested=True)

    # Identity -----------------------------------------------------------------------------

    def subject(self) -> dict[str, Any]:
        return self.task.setdefault("subject", {})

    def need_identity(self, *, allow_new: bool) -> bool:
        """True when identity is settled; otherwise asks the next question."""
        subject = self.subject()
        if subject.get("id") or subject.get("new"):
            return True
        caller = self.state.get("caller")
        if caller and not self.task.get("relative"):
            subject.update(caller)
            return True
        self.task["allow_new"] = allow_new
        if not subject.get("last_name"):
            self.stage("id_name")
            if self.task.get("relative"):
                self.say("Quel est le nom de famille de la personne concernée ?")
            else:
                self.say("Pouvez-vous me donner votre nom de famille ?")
            return False
        if not subject.get("birth_date"):
            self.stage("id_birth")
            if self.task.get("relative"):
                self.say("Et sa date de naissance ?")
            else:
                self.say("Et votre date de naissance ?")
            return False
        return self.resolve_identity()

    def stage_id_name(self, u: nlu.Understanding) -> None:
        if self.switch_if_new_request(u):
            return
        if u.intents and not u.birth_date:  # "je voudrais un rendez-vous" is not a name
            self.say("D'accord. Pour cela, j'ai besoin du nom de famille, s'il vous plaît.")
            return
        name = nlu.spoken_name(u.folded)
        if not name:
            self.unclear("Je n'ai pas compris le nom. Pouvez-vous l'épeler ?")
            return
        self.progress()
        subject = self.subject()
        subject["last_name"] = name
        if u.birth_date:
            subject["birth_date"] = u.birth_date.isoformat()
        self.resume()

    def stage_id_birth(self, u: nlu.Understanding) -> None:
        if u.birth_date is None:
            if self.switch_if_new_request(u):
                return
            self.unclear(
                "Je n'ai pas compris la date de naissance. Dites-la par exemple ainsi : "
                "le 3 mars 1985."
            )
            return
        self.progress()
        self.subject()["birth_date"] = u.birth_date.isoformat()
        self.resume()

    def stage_id_first(self, u: nlu.Understanding) -> None:
        name = nlu.spoken_name(u.folded)
        if not name:
            self.unclear("Je n'ai pas compris le prénom. Pouvez-vous le répéter ?")
            return
        self.progress()
        self.subject()["first_name"] = name
        self.resume()

    def stage_id_phone(self, u: nlu.Understanding) -> None:
        phone = nlu.parse_phone(u.folded)
        if not phone:
            self.unclear(
                "Je n'ai pas compris le numéro. Donnez-le chiffre par chiffre, par exemple "
                "zéro six, douze, trente-quatre."
            )
            return
        self.progress()
        self.subject()["phone"] = phone
        self.resume()

    def resolve_identity(self) -> bool:
        subject = self.subject()
        birth = _date(subject["birth_date"])
        people = self.ctx.agenda.patients_born(birth)
        matches = [
            p for p in people if nlu.name_score(subject["last_name"], p.last_name) >= nlu.NAME_MATCH
        ]
        if subject.get("first_name") and len(matches) > 1:
            matches = [
                p
                for p in matches
                if nlu.name_score(subject["first_name"], p.first_name) >= nlu.NAME_MATCH
            ]
        if len(matches) > 1 and self.ctx.caller:
            on_phone = [p for p in matches if p.phone == self.ctx.caller]
            if len(on_phone) == 1:
                matches = on_phone
        if len(matches) == 1:
            patient = matches[0]
            subject.clear()
            subject.update(_patient_json(patient))
            self.note(
                f"Identité vérifiée : {patient.first_name} {patient.last_name}, "
                f"né(e) le {patient.birth_date:%d/%m/%Y}."
            )
            if not self.task.get("relative") and not self.state.get("caller"):
                self.state["caller"] = dict(subject)
            return True
        if len(matches) > 1:
            if not subject.get("first_name"):
                self.stage("id_first")
                self.say("Plusieurs dossiers correspondent. Quel est le prénom ?")
                return False
            self.escalate("plusieurs dossiers patients correspondent, identité non tranchée.")
            return False
        if self.task.get("allow_new"):
            if not subject.get("first_name"):
                self.stage("id_first")
                self.say("Je ne trouve pas de dossier à ce nom : c'est donc une première "
                         "venue. Quel est le prénom ?")  # fmt: skip
                return False
            if not subject.get("phone"):
                if self.ctx.caller and nlu.parse_phone(self.ctx.caller.replace("+33", "0")):
                    subject["phone"] = self.ctx.caller
                else:
                    self.stage("id_phone")
                    self.say("À quel numéro de portable pourra-t-on vous joindre ?")
                    return False
            subject["new"] = True
            self.note(
                f"Nouveau patient : {subject['first_name'].title()} "
                f"{subject['last_name'].upper()}, né(e) le {birth:%d/%m/%Y}."
            )
            return True
        # Unknown: once more from the start, then a human.
        retries = self.task.get("id_retries", 0)
        if retries >= 1:
            self.escalate("patient introuvable (nom et date de naissance).")
            return False
        self.task["id_retries"] = retries + 1
        subject.clear()
        self.stage("id_name")
        self.say(
            "Je ne trouve pas de dossier à ce nom avec cette date de naissance. "
            "Pouvez-vous me redonner le nom de famille, en l'épelant si possible ?"
        )
        return False

    def resume(self) -> None:
        getattr(self, f"continue_{self.task['kind']}")()

    def switch_if_new_request(self, u: nlu.Understanding) -> bool:
        """A clear new request in the middle of a question replaces the current one."""
        strong = [
            i
            for i in u.intents
            if i in {nlu.INFO, nlu.CANCEL, nlu.MOVE, nlu.MESSAGE, nlu.RESULTS, nlu.PROFESSIONAL}
        ]
        if strong and strong[0] != {"cancel": nlu.CANCEL, "move": nlu.MOVE}.get(self.task["kind"]):
            self.state["queue"] = self.tasks_from(u)
            self.next_task()
            return True
        return False

    # Booking ------------------------------------------------------------------------------

    def start_book(self) -> None:
        self.continue_book()

    def continue_book(self) -> None:
        task = self.task
        if "pairs" not in task:
            pairs = self.book_pairs()
            if pairs is None:
                return
            task["pairs"] = pairs
        if not self.need_identity(allow_new=True):
            return
        if self.subject().get("new") and not task.get("rule_checked"):
            task["rule_checked"] = True
            allowed, refusal = self.new_patient_pairs(task["pairs"])
            if not allowed:
                self.say(refusal)
                self.note("Nouveau patient refusé selon les consignes.")
                self.settle("informed")
                self.offer_message_after("Demande de rendez-vous d'un nouveau patient refusée.")
                return
            task["pairs"] = allowed
        self.propose()

    def book_pairs(self) -> list[list[int]] | None:
        task = self.task
        motifs = self.ctx.agenda.motifs
        named = [pid for pid in task.get("practitioners") or [] if self.ctx.practitioner(pid)]
        motif = self.ctx.motif(task.get("motif"))
        if motif:
            pids = [p for p in motif.practitioner_ids if not named or p in named]
            if pids:
                return [[p, motif.id] for p in pids]
        if named:
            pairs = [[p, m.id] for p in named if (m := self.default_motif(p))]
            if pairs:
                return pairs
            self.say("Ce praticien ne prend pas de rendez-vous par téléphone.")
            self.escalate("praticien sans motif réservable par le public.")
            return None
        professions = {
            p.profession for p in self.ctx.agenda.practitioners if self.default_motif(p.id)
        }
        doctors = {p for p in professions if "medecin" in nlu.fold(p) or "generaliste" in p}
        if len(doctors) == 1 and len(professions) > 1:
            # "un rendez-vous" at a maison de santé means the doctor; the other professions
            # are asked for by name, profession or motif ("la sage-femme", "un frottis").
            professions = doctors
        if len(professions) == 1:
            return [
                [p.id, m.id]
                for p in self.ctx.agenda.practitioners
                if p.profession in professions and (m := self.default_motif(p.id))
            ]
        if not motifs:
            self.escalate("aucun motif réservable par téléphone.")
            return None
        self.stage("ask_who")
        options = sorted(professions)
        self.say(f"Quel professionnel souhaitez-vous voir : {say_list(options)} ?")
        return None

    def default_motif(self, pid: int) -> Motif | None:
        offered = [m for m in self.ctx.agenda.motifs if pid in m.practitioner_ids]
        if not offered:
            return None
        special = re.compile(
            r"enfant|nourrisson|video|teleconsultation|premiere|nouveau|atelier|bilan|domicile"
            r"|renouvellement|reeducation|preparation|vaccin|certificat"
        )
        plain = [m for m in offered if not special.search(nlu.fold(m.name))]
        consult = [m for m in plain if "consultation" in nlu.fold(m.name)]
        for group in (consult, plain, offered):
            if group:
                return sorted(group, key=lambda m: (len(m.name), m.id))[0]
        return None

    def stage_ask_who(self, u: nlu.Understanding) -> None:
        if u.practitioner_ids or u.motif_id:
            self.progress()
            self.task["practitioners"] = u.practitioner_ids
            self.task["motif"] = u.motif_id or self.task.get("motif")
            if u.when:
                self.task["when"] = u.when.to_json()
            self.continue_book()
            return
        if self.switch_if_new_request(u):
            return
        self.unclear("Pardon, avec quel professionnel ? Vous pouvez dire son nom ou son métier.")

    def new_patient_pairs(self, pairs: list[list[int]]) -> tuple[list[list[int]], str]:
        rules = self.sheet["new_patients"]
        allowed: list[list[int]] = []
        refusal = ""
        for pid, mid in pairs:
            practitioner, motif = self.ctx.practitioner(pid), self.ctx.motif(mid)
            best: dict | None = None
            for rule in rules:
                if rule["practitioner"] and (
                    not practitioner
                    or nlu.name_key(rule["practitioner"]) != nlu.name_key(practitioner.last_name)
                ):
                    continue
                if rule["motif"] and (
                    not motif or rule["motif"].casefold() != motif.name.casefold()
                ):
                    continue
                specificity = bool(rule["practitioner"]) + bool(rule["motif"])
                if best is None or specificity >= best["_s"]:
                    best = {**rule, "_s": specificity}
            if best is None or best["accepted"]:
                allowed.append([pid, mid])
            else:
                refusal = refusal or best["say"]
        if not allowed and not refusal:
            refusal = "Le cabinet ne prend pas de nouveaux patients pour le moment."
        return allowed, refusal or "Le cabinet ne prend pas de nouveaux patients pour le moment."

    def propose(self, *, exclude: list[str] | None = None) -> None:
        task = self.task
        when = nlu.When.from_json(task.get("when"))
        pairs = [tuple(p) for p in task["pairs"]]
        ignore = task.get("appointment", {}).get("id") if task["kind"] == "move" else None
        offers = self.search(pairs, when, ignore, exclude or [])
        prefix = ""
        if not offers and when and not when.is_empty():
            offers = self.search(pairs, None, ignore, exclude or [])
            if offers:
                prefix = "Je n'ai pas de créneau libre à ce moment-là. "
        if not offers:
            who = self.practitioners_label(pairs)
            self.say(
                f"Je suis désolée, il n'y a plus de créneau disponible {who}dans les prochaines "
                "semaines."
            )
            self.note("Agenda complet : aucun créneau proposé.")
            self.settle("informed")
            self.offer_message_after("Demande de rendez-vous : agenda complet.", callback=True)
            return
        task["proposed"] = [
            {"p": o.practitioner_id, "m": o.motif_id, "s": o.start.isoformat()} for o in offers
        ]
        several = len({o.practitioner_id for o in offers}) > 1
        spoken = [self.offer_text(o, with_name=several) for o in offers]
        if not several:
            practitioner = self.ctx.practitioner(offers[0].practitioner_id)
            if practitioner:
                prefix += f"Avec {practitioner.spoken}, j"
        offer_words = f"{prefix or 'J'}e peux vous proposer"
        if prefix.endswith(", j"):
            offer_words = f"{prefix}e peux vous proposer"
        if len(offers) == 1:
            self.say(f"{offer_words} {spoken[0]}. Cela vous convient-il ?")
        else:
            self.say(f"{offer_words} {say_list(spoken)}. Lequel vous convient ?")
        self.stage("choose_slot")

    def practitioners_label(self, pairs) -> str:
        pids = {p for p, _ in pairs}
        if len(pids) == 1:
            practitioner = self.ctx.practitioner(next(iter(pids)))
            return f"avec {practitioner.spoken} " if practitioner else ""
        return ""

    def offer_text(self, offer: Offer, *, with_name: bool) -> str:
        text = say_datetime(offer.start)
        practitioner = self.ctx.practitioner(offer.practitioner_id)
        if with_name and practitioner:
            text += f" avec {practitioner.spoken}"
        return text

    def search(
        self,
        pairs: list[tuple[int, int]],
        when: nlu.When | None,
        ignore: int | None,
        exclude: list[str],
    ) -> list[Offer]:
        today = self.ctx.now.astimezone(PARIS).date()
        first = max(today, when.first) if when and when.first else today
        horizon = today + dt.timedelta(days=92)
        last_allowed = min(when.last, horizon) if when and when.last else horizon
        found: list[Offer] = []
        start = first
        for span in SEARCH_WINDOWS:
            if start > last_allowed:
                break
            end = min(start + dt.timedelta(days=span - 1), last_allowed)
            offers = self.ctx.agenda.offers(
                list(pairs), start, end, self.ctx.now, ignore_appointment_id=ignore
            )
            found.extend(
                o
                for o in offers
                if (when is None or when.accepts(o.start)) and o.start.isoformat() not in exclude
            )
            if len(found) >= MAX_OFFERS:
                break
            start = end + dt.timedelta(days=1)
        found.sort(key=lambda o: (o.start, o.practitioner_id))
        if when and when.at is not None:
            exact = [o for o in found if _minute_of_day(o.start) == when.at]
            if exact:  # the very time asked for: offered alone
                return exact[:1]
        return _spread(found)

    def stage_choose_slot(self, u: nlu.Understanding) -> None:
        proposed = self.task.get("proposed") or []
        starts = [dt.datetime.fromisoformat(p["s"]) for p in proposed]
        index = nlu.choose_among(u.folded, starts)
        if index is None and u.yes is True and not u.when:
            if len(starts) == 1:
                index = 0
            else:
                self.state["misses"] += 1
                if self.state["misses"] >= MAX_MISSES:
                    index = 0  # "oui" twice: the first, which was offered first
                else:
                    self.say("Lequel : le premier, le deuxième ou le troisième ?")
                    return
        if index is not None:
            self.progress()
            chosen = proposed[index]
            offer = Offer(chosen["p"], chosen["m"], dt.datetime.fromisoformat(chosen["s"]))
            if self.task["kind"] == "move":
                self.do_move(offer)
            else:
                self.do_book(offer)
            return
        if u.when:
            self.progress()
            self.task["when"] = _merge_when(self.task.get("when"), u.when).to_json()
            if u.practitioner_ids and self.task["kind"] == "book":
                self.retarget(u)
            self.propose()
            return
        if u.practitioner_ids and self.task["kind"] == "book":
            self.progress()
            self.retarget(u)
            self.propose()
            return
        if u.yes is False:
            self.progress()
            self.stage("ask_when")
            self.say("Quel jour et à quel moment vous arrangeraient ?")
            return
        if self.switch_if_new_request(u):
            return
        self.unclear(
            "Pardon, lequel de ces créneaux vous convient ? Dites par exemple « le premier »."
        )

    def retarget(self, u: nlu.Understanding) -> None:
        named = u.practitioner_ids
        pairs = [[p, m.id] for p in named if (m := self.default_motif(p))]
        if self.task.get("motif"):
            motif = self.ctx.motif(self.task["motif"])
            if motif:
                pairs = [[p, motif.id] for p in named if p in motif.practitioner_ids] or pairs
        if pairs:
            if self.subject().get("new"):
                pairs, _ = self.new_patient_pairs(pairs)
            self.task["pairs"] = pairs or self.task["pairs"]

    def stage_ask_when(self, u: nlu.Understanding) -> None:
        if u.when or u.yes is True or re.search(r"\b(importe|egal|comme vous voulez)\b", u.folded):
            self.progress()
            self.task["when"] = (u.when or nlu.When(asap=True)).to_json()
            self.propose()
            return
        if self.switch_if_new_request(u):
            return
        self.unclear(
            "Quel jour vous arrangerait ? Par exemple « jeudi matin » ou « le plus tôt possible »."
        )

    def do_book(self, offer: Offer) -> None:
        subject = self.subject()
        if not (subject.get("id") or subject.get("new")):  # identity first, always
            self.need_identity(allow_new=True)
            return
        guardian = None
        caller = self.state.get("caller")
        if self.task.get("relative") and caller and caller.get("id"):
            guardian = self.ctx.agenda.patient(caller["id"])
        if subject.get("id"):
            patient: Patient | NewPatient | None = self.ctx.agenda.patient(subject["id"])
        else:
            patient = NewPatient(
                first_name=subject["first_name"].title(),
                last_name=subject["last_name"].upper(),
                birth_date=_date(subject["birth_date"]),
                phone=subject["phone"],
            )
        try:
            booked = self.ctx.agenda.book(offer, patient, guardian, self.ctx.now)
        except SlotGone:
            self.say("Ce créneau vient d'être pris.")
            self.propose(exclude=[offer.start.isoformat()])
            return
        except Refused as exc:
            self.note(f"Réservation refusée : {exc}")
            self.escalate("la réservation a été refusée par l'agenda.")
            return
        practitioner = self.ctx.practitioner(booked.practitioner_id)
        motif = self.ctx.motif(booked.motif_id)
        who = f" avec {practitioner.spoken}" if practitioner else ""
        self.state["appointments"].append(booked.id)
        self.note(f"Rendez-vous réservé : {say_datetime(booked.start)}{who}.")
        self.say(
            f"C'est noté : rendez-vous {say_datetime(booked.start)}{who}. "
            "Vous allez recevoir un SMS de confirmation."
        )
        if motif and motif.instructions:
            self.say(motif.instructions)
        if subject.get("new"):
            subject.pop("new", None)
            subject["id"] = booked.patient_id
        self.settle("booked")
        self.done()

    # Cancel, move, ask --------------------------------------------------------------------

    def start_cancel(self) -> None:
        self.continue_cancel()

    start_move = start_cancel
    start_ask = start_cancel

    def continue_cancel(self) -> None:
        if not self.need_identity(allow_new=False):
            return
        task = self.task
        if task.get("appointment"):
            self.act_on_appointment()
            return
        upcoming = self.ctx.agenda.upcoming([self.subject()["id"]], self.ctx.now)
        if not upcoming:
            self.say("Je ne trouve aucun rendez-vous à venir à ce nom.")
            self.note("Aucun rendez-vous à venir trouvé.")
            self.settle("informed")
            if task["kind"] == "move":
                self.say("Voulez-vous en prendre un ?")
                self.stage("offer_booking")
                return
            self.done()
            return
        if task["kind"] == "ask":
            spoken = [self.booked_text(b) for b in upcoming[:3]]
            self.say(f"Vous avez rendez-vous {say_list(spoken, 'et')}.")
            self.note("Rendez-vous à venir communiqués.")
            self.settle("informed")
            self.done()
            return
        which = nlu.When.from_json(task.get("which"))
        if which and len(upcoming) > 1:
            narrowed = [b for b in upcoming if which.accepts(b.start)]
            upcoming = narrowed or upcoming
        if len(upcoming) == 1:
            task["appointment"] = _booked_json(upcoming[0])
            self.act_on_appointment()
            return
        task["choices"] = [_booked_json(b) for b in upcoming[:3]]
        spoken = [self.booked_text(b) for b in upcoming[:3]]
        self.say(f"Vous avez plusieurs rendez-vous : {say_list(spoken)}. Lequel ?")
        self.stage("choose_appointment")

    continue_move = continue_cancel
    continue_ask = continue_cancel

    def booked_text(self, booked: Booked) -> str:
        practitioner = self.ctx.practitioner(booked.practitioner_id)
        who = f" avec {practitioner.spoken}" if practitioner else ""
        return f"{say_datetime(booked.start)}{who}"

    def stage_choose_appointment(self, u: nlu.Understanding) -> None:
        choices = self.task.get("choices") or []
        starts = [dt.datetime.fromisoformat(c["start"]) for c in choices]
        index = nlu.choose_among(u.folded, starts)
        if index is None and u.when:
            matching = [i for i, s in enumerate(starts) if u.when.accepts(s)]
            index = matching[0] if len(matching) == 1 else None
        if index is None:
            if self.switch_if_new_request(u):
                return
            self.unclear("Pardon, lequel ? Dites par exemple « le premier » ou le jour.")
            return
        self.progress()
        self.task["appointment"] = choices[index]
        self.act_on_appointment()

    def act_on_appointment(self) -> None:
        task = self.task
        booked = _booked_from(task["appointment"])
        if task["kind"] == "cancel":
            self.stage("confirm_cancel")
            self.say(f"Vous avez rendez-vous {self.booked_text(booked)}. Je l'annule ?")
            return
        # move
        task["pairs"] = [[booked.practitioner_id, booked.motif_id]]
        if task.get("when"):
            self.propose()
            return
        self.stage("ask_when")
        self.say(
            f"Vous avez rendez-vous {self.booked_text(booked)}. "
            "Quel autre jour et à quel moment vous arrangeraient ?"
        )

    def stage_confirm_cancel(self, u: nlu.Understanding) -> None:
        if nlu.MOVE in u.intents:
            self.progress()
            self.task["kind"] = "move"
            self.task["when"] = self.move_target_when(u) or (u.when.to_json() if u.when else None)
            self.act_on_appointment()
            return
        if u.yes is True or (nlu.CANCEL in u.intents and u.yes is not False):
            self.progress()
            booked = _booked_from(self.task["appointment"])
            try:
                cancelled = self.ctx.agenda.cancel(booked.id, self.ctx.now)
            except Refused as exc:
                self.note(f"Annulation refusée : {exc}")
                self.escalate("l'annulation a été refusée par l'agenda.")
                return
            self.state["appointments"].append(cancelled.id)
            self.note(f"Rendez-vous annulé : {self.booked_text(booked)}.")
            self.say("C'est annulé. Vous allez recevoir un SMS de confirmation de l'annulation.")
            self.settle("cancelled")
            self.done()
            return
        if u.yes is False:
            self.progress()
            self.say("D'accord, je ne change rien à votre rendez-vous.")
            self.note("Annulation abandonnée par l'appelant.")
            self.done()
            return
        self.unclear("Pardon : j'annule ce rendez-vous, oui ou non ?")

    def stage_offer_booking(self, u: nlu.Understanding) -> None:
        if u.yes is True or nlu.BOOK in u.intents:
            self.progress()
            subject = self.subject()
            self.state["task"] = {
                "kind": "book",
                "motif": u.motif_id,
                "practitioners": u.practitioner_ids,
                "when": u.when.to_json() if u.when else None,
                "relative": self.task.get("relative"),
                "subject": subject,
            }
            self.continue_book()
            return
        if u.yes is False:
            self.progress()
            self.done()
            return
        self.stage_root(u)

    def do_move(self, offer: Offer) -> None:
        booked = _booked_from(self.task["appointment"])
        try:
            moved = self.ctx.agenda.move(booked.id, offer.start, self.ctx.now)
        except SlotGone:
            self.say("Ce créneau vient d'être pris.")
            self.propose(exclude=[offer.start.isoformat()])
            return
        except Refused as exc:
            self.note(f"Déplacement refusé : {exc}")
            self.escalate("le déplacement a été refusé par l'agenda.")
            return
        self.state["appointments"].append(moved.id)
        self.note(
            f"Rendez-vous déplacé : de {say_datetime(booked.start)} à {say_datetime(moved.start)}."
        )
        self.say(
            f"C'est fait : votre rendez-vous est déplacé au {say_datetime(moved.start)}. "
            "Vous allez recevoir un SMS de confirmation."
        )
        self.settle("moved")
        self.done()

    # Information --------------------------------------------------------------------------

    def start_info(self) -> None:
        answered = False
        missing = []
        for topic in self.task["topics"]:
            text = self.sheet["topics"].get(topic, "").strip()
            if text:
                self.say(text if text[-1] in ".!?»" else text + ".")
                answered = True
            else:
                missing.append(topic)
        if answered:
            labels = [TOPIC_LABELS.get(t, t) for t in self.task["topics"]]
            self.note("Information donnée : " + ", ".join(labels) + ".")
            self.settle("informed")
        if missing and not answered:
            self.say("Je n'ai pas cette information.")
            self.offer_message_after("Question sans réponse dans les consignes.", callback=True)
            return
        self.done()

    # Messages -----------------------------------------------------------------------------

    def offer_message_after(self, reason: str, *, callback: bool = False) -> None:
        self.task["offer_reason"] = reason
        self.stage("offer_message")
        self.say(
            "Voulez-vous que je laisse un message au cabinet pour qu'on vous rappelle ?"
            if callback
            else "Voulez-vous laisser un message au cabinet ?"
        )

    def stage_offer_message(self, u: nlu.Understanding) -> None:
        if u.yes is True or nlu.MESSAGE in u.intents:
            self.progress()
            reason = self.task.get("offer_reason", "")
            subject = self.task.get("subject") or {}
            self.state["task"] = {
                "kind": "message",
                "category": "autre",
                "practitioner": None,
                "context": reason,
            }
            if subject.get("id") or subject.get("last_name"):
                self.task["caller_name"] = _display_name(subject)
                self.task["patient_id"] = subject.get("id")
            self.start_message()
            return
        if u.yes is False:
            self.progress()
            self.done()
            return
        self.stage_root(u)

    def start_message(self) -> None:
        self.continue_message()

    def continue_message(self) -> None:
        task = self.task
        caller = self.state.get("caller")
        if "caller_name" not in task:
            if caller:
                task["caller_name"] = _display_name(caller)
                task["patient_id"] = caller.get("id")
            else:
                self.stage("msg_name")
                self.say("À quel nom dois-je laisser le message ?")
                return
        if "callback" not in task:
            if self.ctx.caller:
                task["callback"] = self.ctx.caller
            else:
                self.stage("msg_phone")
                self.say("À quel numéro peut-on vous rappeler ?")
                return
        if "body" not in task:
            self.stage("msg_body")
            category = task.get("category")
            if category == "renouvellement":
                self.say("Quel traitement faut-il renouveler, et pour quel praticien ?")
            elif category == "resultats":
                self.say("Pour quel examen, et de quand date-t-il ?")
            else:
                self.say("Je vous écoute : quel est votre message ?")
            return
        self.deliver_message()

    def stage_msg_name(self, u: nlu.Understanding) -> None:
        name = nlu.spoken_name(u.folded)
        if not name:
            self.state["misses"] += 1
            if self.state["misses"] < MAX_MISSES:
                self.say("Pardon, à quel nom ?")
                return
            name = "nom non compris"
        self.progress()
        self.task["caller_name"] = name.title()
        if u.birth_date:
            self.task["birth_date"] = u.birth_date.isoformat()
        self.continue_message()

    def stage_msg_phone(self, u: nlu.Understanding) -> None:
        phone = nlu.parse_phone(u.folded)
        if not phone:
            self.state["misses"] += 1
            if self.state["misses"] < MAX_MISSES:
                self.say(
                    "Je n'ai pas compris le numéro. Pouvez-vous le redire chiffre par chiffre ?"
                )
                return
            phone = ""
        self.progress()
        self.task["callback"] = phone
        self.continue_message()

    def stage_msg_body(self, u: nlu.Understanding) -> None:
        self.progress()
        self.task["body"] = u.text
        if not self.task.get("category") and u.category:
            self.task["category"] = u.category
        self.deliver_message()

    def deliver_message(self) -> None:
        task = self.task
        categories = {c["key"]: c for c in self.sheet["messages"]["categories"]}
        category = (
            categories.get(task.get("category") or "")
            or categories.get("autre")
            or {
                "key": "autre",
                "label": "Autre demande",
                "route": "desk",
                "urgent": False,
                "practitioner": None,
            }
        )
        practitioner_id = task.get("practitioner")
        if practitioner_id is None and category.get("practitioner"):
            wanted = nlu.name_key(category["practitioner"])
            practitioner_id = next(
                (
                    p.id
                    for p in self.ctx.agenda.practitioners
                    if nlu.name_key(p.last_name) == wanted
                ),
                None,
            )
        practitioner = self.ctx.practitioner(practitioner_id)
        lines = [f"[{category['label']}]"]
        if task.get("context"):
            lines.append(task["context"])
        lines.append(task.get("body", ""))
        caller_phone = task.get("callback") or ""
        if caller_phone and not nlu.parse_phone(caller_phone.replace("+33", "0")):
            caller_phone = ""
        self.ctx.agenda.leave_message(
            body="\n".join(line for line in lines if line),
            urgent=bool(category.get("urgent")),
            practitioner_id=practitioner.id if practitioner else None,
            patient_id=task.get("patient_id"),
            caller_name=task.get("caller_name", ""),
            caller_phone=caller_phone,
            now=self.ctx.now,
            category=category["key"],  # the sheet routes it (SMS, e-mail, inbox)
        )
        to = f"au {practitioner.spoken.removeprefix('le ')}" if practitioner else "au cabinet"
        if practitioner and practitioner.spoken.startswith("le "):
            to = f"au {practitioner.spoken[3:]}"
        self.say(f"C'est noté, je transmets votre message {to}.")
        if task.get("category") == "resultats":
            self.say("Les résultats ne sont jamais donnés par téléphone par l'assistante.")
        self.note(f"Message laissé ({category['label']}) pour {to.removeprefix('au ')}.")
        self.settle("message_taken")
        self.done()

    # Doctor, professionals ----------------------------------------------------------------

    def start_speak_doctor(self) -> None:
        entry = self.put_through_entry(None)
        if entry:  # a listed caller (referrer, pharmacy...) is put through
            self.task["role"] = None
            self.start_professional()
            return
        practitioner = self.ctx.practitioner(self.task.get("practitioner"))
        who = practitioner.spoken if practitioner else "le médecin"
        self.say(
            f"{who[0].upper()}{who[1:]} ne peut pas prendre d'appel pendant les consultations, "
            "mais je peux lui laisser un message."
        )
        self.state["task"] = {
            "kind": "message",
            "category": "autre",
            "practitioner": practitioner.id if practitioner else None,
        }
        self.continue_message()

    def start_professional(self) -> None:
        entry = self.put_through_entry(self.task.get("role"))
        if entry:
            self.say(f"Je vous mets en relation : {entry['label']}. Ne quittez pas.")
            self.note(f"Professionnel ({self.task.get('role') or 'numéro connu'}) mis en relation.")
            self.transfer(
                entry["number"],
                f"professionnel mis en relation ({entry['label']}).",
                written=False,
            )
            self.state["put_through"] = True
            return
        self.say("Je ne peux pas vous passer le praticien, mais je lui transmets votre message.")
        self.state["task"] = {
            "kind": "message",
            "category": "autre",
            "practitioner": self.task.get("practitioner"),
            "context": f"Appel d'un professionnel ({self.task.get('role') or 'non précisé'}).",
        }
        self.continue_message()

    def put_through_entry(self, role: str | None) -> dict | None:
        for entry in self.sheet["put_through"]:
            if self.ctx.caller and self.ctx.caller in entry["phones"]:
                return entry
        for entry in self.sheet["put_through"]:
            if role and role in entry["roles"]:
                return entry
        return None


ANYTHING_ELSE = "Puis-je faire autre chose pour vous ?"
IDLE = {"root", "anything_else"}  # no question pending: "merci" ends the call
TOPIC_LABELS = {
    "hours": "horaires",
    "walk_in": "consultations sans rendez-vous",
    "address": "adresse",
    "directions": "accès",
    "parking": "stationnement",
    "fees": "tarifs",
    "documents": "documents à apporter",
}
TASK_LABELS = {
    "book": "prise de rendez-vous",
    "cancel": "annulation de rendez-vous",
    "move": "déplacement de rendez-vous",
    "ask": "rappel de la date d'un rendez-vous",
    "info": "renseignement",
    "message": "message",
    "speak_doctor": "parler au praticien",
    "human": "parler à une personne",
    "professional": "appel d'un professionnel",
}


def _patient_json(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birth_date": patient.birth_date.isoformat(),
    }


def _display_name(subject: dict[str, Any]) -> str:
    return " ".join(
        part for part in (subject.get("first_name", ""), subject.get("last_name", "")) if part
    ).title()


def _booked_json(booked: Booked) -> dict[str, Any]:
    return {
        "id": booked.id,
        "start": booked.start.isoformat(),
        "practitioner_id": booked.practitioner_id,
        "motif_id": booked.motif_id,
        "patient_id": booked.patient_id,
    }


def _booked_from(data: dict[str, Any]) -> Booked:
    return Booked(
        id=data["id"],
        start=dt.datetime.fromisoformat(data["start"]),
        practitioner_id=data["practitioner_id"],
        motif_id=data["motif_id"],
        patient_id=data["patient_id"],
    )


def _merge_when(previous: dict | None, new: nlu.When) -> nlu.When:
    """A correction replaces what it says and keeps the rest ("pas le mercredi" stays)."""
    old = nlu.When.from_json(previous)
    if old is None:
        return new
    merged = nlu.When(
        first=new.first,
        last=new.last,
        weekdays=new.weekdays,
        not_weekdays=old.not_weekdays | new.not_weekdays,
        after=new.after,
        before=new.before,
        asap=new.asap,
        text=new.text,
    )
    if new.first is None and new.last is None and not new.weekdays:
        merged.first, merged.last, merged.weekdays = old.first, old.last, old.weekdays
    if new.after is None and new.before is None:
        merged.after, merged.before = old.after, old.before
    merged.weekdays -= merged.not_weekdays
    return merged


def _minute_of_day(instant: dt.datetime) -> int:
    local = instant.astimezone(PARIS)
    return local.hour * 60 + local.minute


def _spread(offers: list[Offer]) -> list[Offer]:
    """At most MAX_OFFERS, earliest first, then on other half-days when possible."""
    chosen: list[Offer] = []
    seen: set[tuple[dt.date, bool]] = set()
    for offer in offers:
        local = offer.start.astimezone(PARIS)
        key = (local.date(), local.hour < 12)
        if key in seen:
            continue
        seen.add(key)
        chosen.append(offer)
        if len(chosen) == MAX_OFFERS:
            return chosen
    for offer in offers:
        if len(chosen) == MAX_OFFERS:
            break
        if all(offer.start != c.start for c in chosen):
            chosen.append(offer)
    return sorted(chosen, key=lambda o: o.start)


def describe_day(day: dt.date) -> str:
    return say_date(day)
