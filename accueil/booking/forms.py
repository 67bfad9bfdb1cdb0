"""Public booking forms: they parse what the patient typed; `booking.services` decides."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accueil.directory.models import Organisation
from accueil.patients.services import PatientIdentity

# JJ/MM/AAAA as French people type it, with other separators, and ISO (browsers' date inputs).
BIRTH_DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%d%m%Y", "%Y-%m-%d"]
BIRTH_DATE_ERRORS = {
    "invalid": _("Saisissez la date au format JJ/MM/AAAA, par exemple 07/03/1985.")
}


def _text(autocomplete: str, **attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete, **attrs})


def _birth_date_input(autocomplete: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": autocomplete,
            "inputmode": "numeric",
            "placeholder": _("JJ/MM/AAAA"),
            "maxlength": "10",
        }
    )


class BookingForm(forms.Form):
    """The person booking, and the patient when it is a relative (a child, a parent)."""

    first_name = forms.CharField(
        label=_("Prénom"), max_length=100, widget=_text("given-name", spellcheck="false")
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=100, widget=_text("family-name", spellcheck="false")
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        input_formats=BIRTH_DATE_FORMATS,
        widget=_birth_date_input("bday"),
        error_messages=BIRTH_DATE_ERRORS,
    )
    phone = forms.CharField(
        label=_("Téléphone portable"),
        max_length=40,
        help_text=_("Pour vous joindre au sujet de ce rendez-vous."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Adresse e-mail (facultative)"),
        required=False,
        error_messages={"invalid": _("Adresse e-mail invalide.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    for_relative = forms.BooleanField(
        label=_("Je prends rendez-vous pour un proche (mon enfant, un parent…)"), required=False
    )
    relative_first_name = forms.CharField(
        label=_("Prénom du patient"), max_length=100, required=False, widget=_text("off")
    )
    relative_last_name = forms.CharField(
        label=_("Nom du patient"), max_length=100, required=False, widget=_text("off")
    )
    relative_birth_date = forms.DateField(
        label=_("Date de naissance du patient"),
        required=False,
        input_formats=BIRTH_DATE_FORMATS,
        widget=_birth_date_input("off"),
        error_messages=BIRTH_DATE_ERRORS,
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Votre accord est nécessaire pour prendre rendez-vous.")},
    )

    RELATIVE_FIELDS = ("relative_first_name", "relative_last_name", "relative_birth_date")
    # Where the service's error keys land: for oneself, and when booking for a relative
    # (the patient's errors on the relative's fields, the guardian's on the booker's).
    SELF_ERRORS = {f: f for f in ("first_name", "last_name", "birth_date", "phone", "email")}
    RELATIVE_ERRORS = {
        "first_name": "relative_first_name",
        "last_name": "relative_last_name",
        "birth_date": "relative_birth_date",
        "phone": "phone",
        "email": "email",
        **{f"guardian.{f}": f for f in ("first_name", "last_name", "birth_date", "phone", "email")},
    }

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = _(
            "J'accepte que ces informations soient enregistrées par %(practice)s pour organiser "
            "ce rendez-vous et me contacter à son sujet."
        ) % {"practice": organisation.name}

    def clean(self):
        data = super().clean()
        if data.get("for_relative"):
            for name in self.RELATIVE_FIELDS:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, forms.Field.default_error_messages["required"])
        return data

    @property
    def is_for_relative(self) -> bool:
        return bool(self.cleaned_data.get("for_relative"))

    def identities(self) -> tuple[PatientIdentity, PatientIdentity | None]:
        """(patient, guardian): the booker is the patient, or the guardian of a relative,
        who is reached through the booker's phone and e-mail."""
        data = self.cleaned_data
        booker = PatientIdentity(
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_date=data["birth_date"],
            phone=data["phone"],
            email=data.get("email") or "",
        )
        if not self.is_for_relative:
            return booker, None
        relative = PatientIdentity(
            first_name=data["relative_first_name"],
            last_name=data["relative_last_name"],
            birth_date=data["relative_birth_date"],
            phone=booker.phone,
            email=booker.email,
        )
        return relative, booker

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's French messages on the fields they are about; others on the form."""
        targets = self.RELATIVE_ERRORS if self.is_for_relative else self.SELF_ERRORS
        for key, messages in error.message_dict.items():
            target = targets.get(key)
            for message in messages:
                if message not in self.errors.get(target or "__all__", []):
                    self.add_error(target, message)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Raison de l'annulation (facultative)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Elle aide le cabinet à proposer ce créneau à un autre patient."),
    )


class WaitlistForm(forms.Form):
    """A patient waiting for a slot of a motif to free up."""

    first_name = BookingForm.base_fields["first_name"]
    last_name = BookingForm.base_fields["last_name"]
    birth_date = BookingForm.base_fields["birth_date"]
    phone = BookingForm.base_fields["phone"]
    email = BookingForm.base_fields["email"]
    earliest = forms.DateField(
        label=_("À partir du (facultatif)"),
        required=False,
        input_formats=BIRTH_DATE_FORMATS,
        widget=_birth_date_input("off"),
        error_messages=BIRTH_DATE_ERRORS,
    )
    latest = forms.DateField(
        label=_("Jusqu'au (facultatif)"),
        required=False,
        input_formats=BIRTH_DATE_FORMATS,
        widget=_birth_date_input("off"),
        error_messages=BIRTH_DATE_ERRORS,
    )
    times_of_day = forms.MultipleChoiceField(
        label=_("Moments qui vous conviennent (aucun coché : tous)"),
        required=False,
        choices=[
            ("morning", _("Matin")),
            ("afternoon", _("Après-midi")),
            ("evening", _("Soir, après 17 h")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Votre accord est nécessaire pour être prévenu.")},
    )

    def identity(self) -> PatientIdentity:
        data = self.cleaned_data
        return PatientIdentity(
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_date=data["birth_date"],
            phone=data["phone"],
            email=data["email"],
        )

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
