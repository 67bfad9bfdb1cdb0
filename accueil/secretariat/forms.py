"""Console forms: they parse what an operator typed; the services check and write."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from accueil.directory.models import Organisation
from accueil.directory.services import Audience, motifs_open_to
from accueil.secretariat.models import UNSATISFIABLE, Contract, Outcome
from accueil.secretariat.routing import WEEKDAYS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FINISH_OUTCOMES = [("", "— choisir —")] + [
    (o.value, o.label) for o in Outcome if o != Outcome.ABANDONED
]


class SlotSearchForm(forms.Form):
    practitioner = forms.ModelChoiceField(label="Praticien", queryset=None, empty_label=None)
    motif = forms.ModelChoiceField(label="Motif", queryset=None, empty_label=None)
    day = forms.DateField(label="Jour", widget=DATE_INPUT)

    def __init__(self, client: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = client.practitioners.filter(active=True)
        self.fields["motif"].queryset = client.motifs.filter(active=True).filter(
            motifs_open_to(Audience.STAFF)
        )


class NewPatientForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=100)
    last_name = forms.CharField(label="Nom", max_length=100)
    birth_date = forms.DateField(label="Date de naissance", widget=DATE_INPUT)
    phone = forms.CharField(label="Téléphone", max_length=40)


class MessageForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label="Pour", queryset=None, required=False, empty_label="Le cabinet"
    )
    caller_name = forms.CharField(label="De la part de", max_length=200, required=False)
    caller_phone = forms.CharField(label="Numéro à rappeler", max_length=40, required=False)
    body = forms.CharField(
        label="Message", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label="Catégorie", required=False)
    urgent = forms.BooleanField(label="Urgent", required=False)

    def __init__(self, client: Organisation, *args, categories=(), **kwargs):
        """`categories`: the sheet's message categories, which route the message."""
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = client.practitioners.filter(active=True)
        self.fields["category"].choices = [(c["key"], c["label"]) for c in categories]
        self.fields["category"].initial = "autre"


class FinishForm(forms.Form):
    outcome = forms.ChoiceField(label="Issue de l'appel", choices=FINISH_OUTCOMES)
    note = forms.CharField(
        label="Note de fin d'appel",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PutThroughForm(forms.Form):
    entry = forms.IntegerField(min_value=0)
    role = forms.CharField(max_length=40, required=False)


def parse_day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def parse_start(value: str | None) -> dt.datetime | None:
    """A slot's start as posted (ISO 8601 with its offset); None when unreadable."""
    try:
        start = dt.datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return start if start.tzinfo is not None else None


# Settings: contracts and operators ---------------------------------------------------------

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
RANGES_PER_DAY = 2
# Outcomes a contract chooses to bill; the unsatisfiable ones follow `bill_unsatisfiable`.
BILLABLE_CHOICES = [(o.value, o.label) for o in Outcome if o not in UNSATISFIABLE]


def hours_field(day: int, n: int, edge: str) -> str:
    return f"d{day}_{edge}{n}"


def _words_list(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


class ContractForm(forms.Form):
    """A contract's terms; covered hours as up to two ranges per weekday (Paris time)."""

    client = forms.ModelChoiceField(
        label="Cabinet client", queryset=Organisation.objects.none(), empty_label="— choisir —"
    )
    mode = forms.ChoiceField(label="Appels pris", choices=Contract.Mode.choices)
    overflow_seconds = forms.IntegerField(
        label="Débordement après (secondes)",
        min_value=5,
        max_value=120,
        help_text="En mode débordement : le cabinet sonne d'abord pendant ce temps.",
    )
    priority = forms.IntegerField(
        label="Priorité (secondes d'avance dans la file)", min_value=0, max_value=600
    )
    required_skills = forms.CharField(
        label="Compétences requises",
        required=False,
        max_length=300,
        help_text="Séparées par des virgules, par exemple : pédiatrie, anglais.",
    )
    price_per_call = forms.DecimalField(
        label="Prix par appel facturé (€)",
        min_value=0,
        max_digits=8,
        decimal_places=2,
        localize=True,
    )
    monthly_fee = forms.DecimalField(
        label="Forfait mensuel (€)", min_value=0, max_digits=9, decimal_places=2, localize=True
    )
    billable_outcomes = forms.MultipleChoiceField(
        label="Issues facturées",
        choices=BILLABLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    bill_unsatisfiable = forms.BooleanField(
        label=(
            "Facturer aussi les appels sans suite possible (aucun créneau, faux numéro, "
            "raccroché avant la prise d'appel)"
        ),
        required=False,
    )
    active = forms.BooleanField(label="Contrat actif", required=False)

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is None:
            del self.fields["client"]
        else:
            self.fields["client"].queryset = clients
        for day in range(7):
            for n in range(1, RANGES_PER_DAY + 1):
                for edge, label in (("start", "début"), ("end", "fin")):
                    self.fields[hours_field(day, n, edge)] = forms.TimeField(
                        label=f"{WEEKDAYS[day].capitalize()}, plage {n} : {label}",
                        required=False,
                        widget=TIME_INPUT,
                    )

    @staticmethod
    def initial_of(contract: Contract) -> dict:
        initial = {
            "mode": contract.mode,
            "overflow_seconds": contract.overflow_seconds,
            "priority": contract.priority,
            "required_skills": ", ".join(contract.required_skills),
            "price_per_call": contract.price_per_call,
            "monthly_fee": contract.monthly_fee,
            "billable_outcomes": contract.billable_outcomes,
            "bill_unsatisfiable": contract.bill_unsatisfiable,
            "active": contract.active,
        }
        used: dict[int, int] = {}
        for span in contract.covered_hours:
            for day in span["days"]:
                used[day] = used.get(day, 0) + 1
                if used[day] <= RANGES_PER_DAY:
                    initial[hours_field(day, used[day], "start")] = span["start"]
                    initial[hours_field(day, used[day], "end")] = span["end"]
        return initial

    def day_rows(self):
        """(weekday name, [(start field, end field) per range]) for the template."""
        return [
            (
                WEEKDAYS[day],
                [
                    (self[hours_field(day, n, "start")], self[hours_field(day, n, "end")])
                    for n in range(1, RANGES_PER_DAY + 1)
                ],
            )
            for day in range(7)
        ]

    def hour_fields(self) -> set[str]:
        return {
            hours_field(day, n, edge)
            for day in range(7)
            for n in range(1, RANGES_PER_DAY + 1)
            for edge in ("start", "end")
        }

    def clean(self):
        data = super().clean()
        spans: dict[tuple[str, str], list[int]] = {}
        for day in range(7):
            ranges = []
            for n in range(1, RANGES_PER_DAY + 1):
                start_name, end_name = hours_field(day, n, "start"), hours_field(day, n, "end")
                start, end = data.get(start_name), data.get(end_name)
                if start is None and end is None:
                    continue
                if start is None:
                    self.add_error(start_name, "Indiquez le début de la plage.")
                elif end is None:
                    self.add_error(end_name, "Indiquez la fin de la plage.")
                elif end <= start:
                    self.add_error(end_name, "La fin doit être après le début.")
                elif any(start < e and s < end for s, e in ranges):
                    self.add_error(start_name, "Cette plage chevauche la précédente.")
                else:
                    ranges.append((start, end))
            for start, end in ranges:
                spans.setdefault((f"{start:%H:%M}", f"{end:%H:%M}"), []).append(day)
        data["covered_hours"] = [
            {"days": days, "start": start, "end": end}
            for (start, end), days in sorted(spans.items(), key=lambda item: item[1][0])
        ]
        if not data["covered_hours"] and not self.errors:
            self.add_error(None, "Indiquez au moins une plage d'heures couvertes.")
        return data

    def terms(self) -> dict:
        data = self.cleaned_data
        return {
            "mode": data["mode"],
            "covered_hours": data["covered_hours"],
            "overflow_seconds": data["overflow_seconds"],
            "priority": data["priority"],
            "required_skills": _words_list(data["required_skills"]),
            "price_per_call": data["price_per_call"],
            "monthly_fee": data["monthly_fee"],
            "billable_outcomes": data["billable_outcomes"],
            "bill_unsatisfiable": data["bill_unsatisfiable"],
            "active": data["active"],
        }


class OperatorForm(forms.Form):
    username = forms.CharField(label="Identifiant de connexion", max_length=150)
    password = forms.CharField(
        label="Mot de passe initial",
        widget=forms.PasswordInput(render_value=False),
        help_text="À transmettre à l'opérateur, qui le changera.",
    )
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(label="E-mail", required=False)
    skills = forms.CharField(
        label="Compétences",
        required=False,
        max_length=300,
        help_text="Séparées par des virgules, par exemple : pédiatrie, anglais.",
    )
    phone = forms.CharField(
        label="Téléphone ou adresse SIP",
        required=False,
        max_length=200,
        help_text=(
            "Où le pont téléphonique fait sonner l'opérateur : 06 12 34 56 78 ou "
            "sip:prenom@exemple.sip.twilio.com."
        ),
    )
    active = forms.BooleanField(label="Actif", required=False, initial=True)

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["username"]
            del self.fields["password"]

    @staticmethod
    def initial_of(operator) -> dict:
        return {
            "first_name": operator.user.first_name,
            "last_name": operator.user.last_name,
            "email": operator.user.email,
            "skills": ", ".join(operator.skills),
            "phone": operator.phone,
            "active": operator.active,
        }

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["skills"] = _words_list(data["skills"])
        return data


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's field errors on the form's fields (others above the form)."""
    for field, messages in exc.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
