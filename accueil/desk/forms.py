"""Back-office forms: they parse and check input; the services decide and write."""

from __future__ import annotations

import datetime as dt

from django import forms

from accueil.booking.models import Status
from accueil.directory.models import Motif, Organisation, Practitioner

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SlotSearchForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label="Praticien", queryset=Practitioner.objects.none(), empty_label=None
    )
    motif = forms.ModelChoiceField(label="Motif", queryset=Motif.objects.none(), empty_label=None)
    day = forms.DateField(label="Jour", widget=DATE_INPUT)

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = organisation.practitioners.filter(active=True)
        self.fields["motif"].queryset = organisation.motifs.filter(active=True)


class NewPatientForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=100)
    last_name = forms.CharField(label="Nom", max_length=100)
    birth_date = forms.DateField(label="Date de naissance", widget=DATE_INPUT)
    phone = forms.CharField(label="Téléphone", max_length=40)
    email = forms.EmailField(label="E-mail", required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label="Motif de l'annulation", max_length=300, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in (Status.BOOKED, Status.ARRIVED, Status.SEEN)]
        + [(Status.NO_SHOW.value, Status.NO_SHOW.label)]
    )


class AbsenceForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label="Praticien", queryset=Practitioner.objects.none(), empty_label=None
    )
    day = forms.DateField(label="Du", widget=DATE_INPUT)
    start_time = forms.TimeField(label="De", widget=forms.TimeInput(attrs={"type": "time"}))
    end_day = forms.DateField(label="Au", widget=DATE_INPUT)
    end_time = forms.TimeField(label="À", widget=forms.TimeInput(attrs={"type": "time"}))
    reason = forms.CharField(label="Raison", max_length=200, required=False)
    weekly = forms.BooleanField(label="Chaque semaine", required=False)
    repeat_until = forms.DateField(label="Jusqu'au", required=False, widget=DATE_INPUT)

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = organisation.practitioners.all()

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("end_day") and data["end_day"] < data["day"]:
            self.add_error("end_day", "La fin doit être après le début.")
        return data


class MessageForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label="Pour", queryset=Practitioner.objects.none(), required=False, empty_label="Tous"
    )
    caller_name = forms.CharField(label="De la part de", max_length=200, required=False)
    caller_phone = forms.CharField(label="Téléphone à rappeler", max_length=40, required=False)
    body = forms.CharField(
        label="Message", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    urgent = forms.BooleanField(label="Urgent", required=False)

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = organisation.practitioners.all()


def parse_day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


class ReferrerSearchForm(forms.Form):
    """A referrer's slot search: only practitioners and motifs open to referrers."""

    practitioner = forms.ModelChoiceField(
        label="Praticien", queryset=Practitioner.objects.none(), empty_label=None
    )
    motif = forms.ModelChoiceField(label="Motif", queryset=Motif.objects.none(), empty_label=None)
    day = forms.DateField(label="Jour", widget=DATE_INPUT)

    def __init__(self, practitioners, motifs, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["motif"].queryset = motifs
