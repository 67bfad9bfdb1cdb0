"""Console forms: they parse what an operator typed; the services check and write."""

from __future__ import annotations

import datetime as dt

from django import forms

from accueil.directory.models import Organisation
from accueil.directory.services import Audience, motifs_open_to
from accueil.secretariat.models import Outcome

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
