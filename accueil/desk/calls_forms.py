"""Forms of the receptionist's desk pages: they parse and check input; services decide."""

from __future__ import annotations

from django import forms

from accueil.desk.forms import DATE_INPUT
from accueil.reception.models import OUTCOME_LABELS

DEMO_CALLER = "06 12 34 56 78"
MAX_SHEET_BYTES = 100_000  # a real sheet is a few kilobytes


class CallFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Résultat",
        required=False,
        choices=[("", "Tous")] + list(OUTCOME_LABELS.items()),
    )
    day = forms.DateField(label="Jour", required=False, widget=DATE_INPUT)


class StartCallForm(forms.Form):
    caller = forms.CharField(
        label="Numéro de l'appelant",
        max_length=32,
        required=False,
        initial=DEMO_CALLER,
        help_text="Laissez vide pour un numéro masqué.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )


class UtteranceForm(forms.Form):
    phrase = forms.CharField(
        label="Ce que dit l'appelant",
        max_length=2000,
        required=False,  # an empty line is silence, as on the phone
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class SheetForm(forms.Form):
    text = forms.CharField(
        label="Consignes au format YAML",
        required=False,
        strip=False,
        max_length=MAX_SHEET_BYTES,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )
    file = forms.FileField(
        label="Ou un fichier YAML",
        required=False,
        help_text="Un fichier choisi remplace le texte ci-dessus.",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,text/yaml,text/plain"}),
    )
    note = forms.CharField(
        label="Note de version",
        max_length=200,
        required=False,
        help_text="Facultatif : ce qui change, pour l'historique.",
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > MAX_SHEET_BYTES:
                self.add_error("file", "Fichier trop gros (100 Ko au plus).")
                return data
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", "Ce fichier n'est pas un texte YAML (UTF-8 attendu).")
                return data
        if not data.get("text", "").strip() and "text" not in self.errors:
            self.add_error("text", "Collez les consignes au format YAML ou choisissez un fichier.")
        return data
