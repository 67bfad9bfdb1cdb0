"""Monthly statements per contract: calls handled, durations, outcomes, what is billable.

Rules (pure, `is_billable`): a call an operator settled is billed when its outcome is one
the contract bills; "unsatisfiable" calls (no slot could be offered, wrong number, caller
hung up before pick-up) are billed only when the contract says so. Amount: the monthly fee
plus the price per call times the billable calls. Calls still waiting or in hand are not
on a statement yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accueil.scheduling import engine
from accueil.secretariat.models import UNSATISFIABLE, Contract, Outcome, QueuedCall

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
LABELS = dict(Outcome.choices)


@dataclass(frozen=True)
class Terms:
    price_per_call: Decimal
    monthly_fee: Decimal
    billable_outcomes: frozenset[str]
    bill_unsatisfiable: bool

    @classmethod
    def of(cls, contract: Contract) -> Terms:
        return cls(
            contract.price_per_call,
            contract.monthly_fee,
            frozenset(contract.billable_outcomes),
            contract.bill_unsatisfiable,
        )


def is_billable(terms: Terms, outcome: str) -> bool:
    if outcome in UNSATISFIABLE:
        return terms.bill_unsatisfiable
    return outcome in terms.billable_outcomes


@dataclass(frozen=True)
class Line:
    at: dt.datetime
    caller: str  # masked: the statement needs no full number
    operator: str
    talk_seconds: int
    outcome: str
    billable: bool

    @property
    def outcome_label(self) -> str:
        return LABELS.get(self.outcome, self.outcome)


@dataclass
class Statement:
    terms: Terms
    month: dt.date  # first day
    lines: list[Line] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return sum(1 for line in self.lines if line.outcome != Outcome.ABANDONED)

    @property
    def abandoned(self) -> int:
        return len(self.lines) - self.handled

    @property
    def talk_seconds(self) -> int:
        return sum(line.talk_seconds for line in self.lines)

    @property
    def billable(self) -> int:
        return sum(1 for line in self.lines if line.billable)

    @property
    def not_billed(self) -> int:
        return len(self.lines) - self.billable

    @property
    def by_outcome(self) -> list[tuple[str, int, bool]]:
        """(label, calls, billable) in the order of the outcome codes."""
        counts = Counter(line.outcome for line in self.lines)
        return [
            (label, counts[code], is_billable(self.terms, code))
            for code, label in Outcome.choices
            if counts[code]
        ]

    @property
    def calls_amount(self) -> Decimal:
        return self.terms.price_per_call * self.billable

    @property
    def total(self) -> Decimal:
        return self.terms.monthly_fee + self.calls_amount

    @property
    def title(self) -> str:
        return f"{MONTHS[self.month.month - 1]} {self.month.year}"


def parse_month(text: str) -> dt.date | None:
    match = MONTH_RE.match(text or "")
    return dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def mask(number: str) -> str:
    """ "+33612345678" -> "06 •• •• •• 78"."""
    if not number:
        return "masqué"
    digits = "0" + number[3:] if number.startswith("+33") else number.lstrip("+")
    return digits[:2] + " •• •• •• " + digits[-2:] if len(digits) == 10 else "••" + digits[-2:]


def month_statement(contract: Contract, month: dt.date) -> Statement:
    terms = Terms.of(contract)
    calls = (
        QueuedCall.objects.filter(
            contract=contract,
            status__in=(QueuedCall.Status.DONE, QueuedCall.Status.ABANDONED),
            queued_at__gte=engine.wall_clock(month, dt.time(0)),
            queued_at__lt=engine.wall_clock(next_month(month), dt.time(0)),
        )
        .select_related("taken_by__user")
        .order_by("queued_at", "id")
    )
    return Statement(
        terms=terms,
        month=month,
        lines=[
            Line(
                at=call.queued_at,
                caller=mask(call.caller_number),
                operator=str(call.taken_by) if call.taken_by else "",
                talk_seconds=int(call.talk.total_seconds()) if call.talk else 0,
                outcome=call.outcome,
                billable=is_billable(terms, call.outcome),
            )
            for call in calls
        ],
    )


def to_csv(statement: Statement) -> str:
    """For spreadsheets set to French: `;` between fields, decimal commas, a UTF-8 BOM."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Date", "Heure", "Appelant", "Opérateur", "Durée (s)", "Issue", "Facturé"])
    for line in statement.lines:
        local = timezone.localtime(line.at, engine.PARIS)
        writer.writerow(
            [
                f"{local:%d/%m/%Y}",
                f"{local:%H:%M}",
                line.caller,
                line.operator,
                line.talk_seconds,
                line.outcome_label,
                "oui" if line.billable else "non",
            ]
        )
    writer.writerow([])
    writer.writerow(["Appels facturés", statement.billable])
    writer.writerow(["Prix par appel (€)", _comma(statement.terms.price_per_call)])
    writer.writerow(["Forfait mensuel (€)", _comma(statement.terms.monthly_fee)])
    writer.writerow(["Total (€)", _comma(statement.total)])
    return out.getvalue()


def _comma(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")
