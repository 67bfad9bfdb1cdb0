"""The filters of the no-show statistics: a period (the last 12 months when not given), a
practitioner, a motif."""

from __future__ import annotations

import datetime as dt

from django import forms

from accueil.desk import stats
from accueil.desk.settings_forms import DATE_INPUT
from accueil.directory.models import Organisation


class StatsForm(forms.Form):
    """The period and filters of the statistics; missing dates are the last 12 months."""

    du = forms.DateField(label="Du", required=False, widget=DATE_INPUT)
    au = forms.DateField(label="Au", required=False, widget=DATE_INPUT)
    praticien = forms.ModelChoiceField(
        label="Praticien", queryset=None, required=False, empty_label="Tous les praticiens"
    )
    motif = forms.ModelChoiceField(
        label="Motif", queryset=None, required=False, empty_label="Tous les motifs"
    )

    def __init__(self, organisation: Organisation, data, today: dt.date):
        first, last = stats.default_period(today)
        data = data.copy()
        for name, default in (("du", first), ("au", last)):
            if not data.get(name):
                data[name] = default.isoformat()
        super().__init__(data)
        self.fields["praticien"].queryset = organisation.practitioners.all()
        self.fields["motif"].queryset = organisation.motifs.all()

    def clean(self):
        data = super().clean()
        first, last = data.get("du"), data.get("au")
        if first and last:
            if last < first:
                self.add_error("au", "La fin de la période doit suivre son début.")
            elif len(stats.months_between(first, last)) > stats.MAX_MONTHS:
                self.add_error("du", "Choisissez une période de trois ans au plus.")
        return data
