"""Forms of the settings pages: they only parse input; the services check the rules and write.

Field names are the keyword arguments of the services, so a service's error for a field is
shown next to that field. Durations are typed as whole minutes (or days) and handed to the
services as `timedelta`.
"""

from __future__ import annotations

import datetime as dt

from django import forms

from accueil.directory.models import Membership, Motif, Organisation, Practitioner
from accueil.directory.services import HOLIDAY_SUBDIVISIONS
from accueil.scheduling.models import WEEKDAY_NAMES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _number(minimum: int = 0) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": minimum, "inputmode": "numeric"})


class WholeDurationField(forms.IntegerField):
    """A whole number of `unit` (minutes by default), cleaned to a `timedelta`."""

    def __init__(self, *, unit: dt.timedelta = dt.timedelta(minutes=1), **kwargs):
        self.unit = unit
        kwargs.setdefault("widget", _number())
        super().__init__(**kwargs)

    def to_python(self, value):
        number = super().to_python(value)
        if number is None:
            return None
        try:
            return number * self.unit
        except OverflowError:
            raise forms.ValidationError("Valeur trop grande.", code="overflow") from None

    def prepare_value(self, value):
        if isinstance(value, dt.timedelta):
            return int(value / self.unit)
        return value


class ChoicesOf(forms.ModelMultipleChoiceField):
    """Checkboxes for some of the organisation's objects (the queryset is set per form).

    Django guards exact lookups against ids out of the database's integer range, not the
    `__in` lookup of this field: such an id is refused here before it reaches the database.
    """

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=None, required=False, **kwargs)

    def _check_values(self, value):
        for pk in value:
            try:
                out_of_range = abs(int(pk)) >= 2**63
            except (TypeError, ValueError):
                continue  # not a number: Django's own check refuses it
            if out_of_range:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class ProfileForm(forms.Form):
    name = forms.CharField(label="Nom de l'établissement", max_length=200)
    phone = forms.CharField(
        label="Téléphone", max_length=40, required=False, widget=forms.TextInput({"type": "tel"})
    )
    closed_on_public_holidays = forms.BooleanField(
        label="Fermé les jours fériés (aucun rendez-vous proposé ces jours-là)", required=False
    )
    holidays_subdivision = forms.ChoiceField(
        label="Calendrier des jours fériés",
        choices=HOLIDAY_SUBDIVISIONS,
        required=False,
        help_text="L'Alsace, la Moselle et les départements d'outre-mer ont des jours fériés "
        "en plus.",
    )


class SiteForm(forms.Form):
    name = forms.CharField(label="Nom du lieu", max_length=200)
    address = forms.CharField(label="Adresse", max_length=300)
    postcode = forms.CharField(
        label="Code postal", max_length=10, widget=forms.TextInput({"inputmode": "numeric"})
    )
    city = forms.CharField(label="Ville", max_length=100)
    phone = forms.CharField(
        label="Téléphone", max_length=40, required=False, widget=forms.TextInput({"type": "tel"})
    )
    latitude = forms.DecimalField(
        label="Latitude",
        required=False,
        localize=True,
        widget=forms.TextInput({"inputmode": "decimal"}),
        help_text="Facultatif, par exemple 50,629250.",
    )
    longitude = forms.DecimalField(
        label="Longitude",
        required=False,
        localize=True,
        widget=forms.TextInput({"inputmode": "decimal"}),
        help_text="Facultatif, par exemple 3,057256.",
    )


class PractitionerForm(forms.Form):
    title = forms.CharField(
        label="Titre", max_length=20, required=False, help_text="Dr, Pr, Mme, M."
    )
    first_name = forms.CharField(label="Prénom", max_length=100)
    last_name = forms.CharField(label="Nom", max_length=100)
    profession = forms.CharField(
        label="Profession", max_length=100, help_text="Par exemple : médecin généraliste."
    )
    rpps = forms.CharField(
        label="Numéro RPPS",
        max_length=20,
        required=False,
        widget=forms.TextInput({"inputmode": "numeric"}),
        help_text="Facultatif : 11 chiffres.",
    )
    sites = ChoicesOf(label="Lieux de consultation")
    departure_date = forms.DateField(
        label="Départ annoncé le",
        required=False,
        widget=DATE_INPUT,
        help_text="Aucun rendez-vous ne sera proposé à partir de cette date.",
    )
    active = forms.BooleanField(label="Actif (apparaît dans l'agenda)", required=False)
    pro_mobile = forms.CharField(
        label="Portable professionnel",
        max_length=40,
        required=False,
        widget=forms.TextInput({"type": "tel"}),
        help_text="Reçoit par SMS les messages que les consignes lui adressent (jamais montré "
        "aux patients).",
    )
    pro_email = forms.EmailField(
        label="E-mail professionnel",
        required=False,
        help_text="Reçoit les messages que les consignes lui adressent par e-mail ; vide : "
        "l'adresse de son compte.",
    )
    urgent_sms_anytime = forms.BooleanField(
        label="SMS urgents à toute heure, même la nuit",
        required=False,
        help_text="Sinon, un SMS pendant les heures de silence part à leur fin.",
    )

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = organisation.sites.order_by("name")


class MotifForm(forms.Form):
    name = forms.CharField(label="Nom du motif", max_length=200)
    duration = WholeDurationField(label="Durée (minutes)", widget=_number(1))
    step = WholeDurationField(
        label="Pas de la grille (minutes)",
        required=False,
        widget=_number(1),
        help_text="Écart entre deux débuts de créneau ; vide : la durée du motif plus "
        "le temps libre.",
    )
    location_type = forms.ChoiceField(label="Où", choices=Motif.LocationType.choices)
    bookable_by = forms.ChoiceField(label="Qui peut réserver", choices=Motif.BookableBy.choices)
    min_notice = WholeDurationField(
        label="Délai minimum avant le rendez-vous (minutes)",
        help_text="Pour la réservation en ligne ; 1440 minutes = 24 heures.",
    )
    horizon = WholeDurationField(
        label="Réservable jusqu'à (jours à l'avance)",
        unit=dt.timedelta(days=1),
        widget=_number(1),
    )
    buffer_before = WholeDurationField(label="Temps libre avant (minutes)")
    buffer_after = WholeDurationField(label="Temps libre après (minutes)")
    travel_time = WholeDurationField(
        label="Temps de trajet (minutes)", help_text="Visites à domicile uniquement."
    )
    capacity = forms.IntegerField(
        label="Nombre de places",
        widget=_number(1),
        help_text="Plus de 1 pour un rendez-vous collectif.",
    )
    practitioners = ChoicesOf(label="Praticiens qui proposent ce motif")
    active = forms.BooleanField(label="Actif (proposé à la réservation)", required=False)

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioners"].queryset = organisation.practitioners.all()


class PeriodForm(forms.Form):
    site = forms.ModelChoiceField(label="Lieu", queryset=None, empty_label=None)
    motifs = ChoicesOf(label="Motifs proposés")
    start_time = forms.TimeField(label="De", widget=TIME_INPUT)
    end_time = forms.TimeField(label="À", widget=TIME_INPUT)
    weekdays = forms.TypedMultipleChoiceField(
        label="Jours",
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    every_n_weeks = forms.IntegerField(
        label="Toutes les … semaines",
        widget=_number(1),
        help_text="1 : chaque semaine ; 2 : une semaine sur deux, à compter de la date de début.",
    )
    valid_from = forms.DateField(label="À partir du", required=False, widget=DATE_INPUT)
    valid_until = forms.DateField(
        label="Jusqu'au", required=False, widget=DATE_INPUT, help_text="Vide : sans fin."
    )
    single_date = forms.DateField(
        label="Ou une seule date",
        required=False,
        widget=DATE_INPUT,
        help_text="Pour une plage exceptionnelle ; ne cochez alors aucun jour.",
    )

    def __init__(self, practitioner: Practitioner, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = practitioner.sites.order_by("name")
        self.fields["motifs"].queryset = practitioner.organisation.motifs.all()


# Team ---------------------------------------------------------------------------------------

ROLE_HELP = (
    "Responsable : tout, réglages et journal compris. Praticien et secrétaire : agenda, "
    "patients, messages. Correspondant : réserve les motifs ouverts aux correspondants. "
    "Analyste : statistiques seulement."
)


class _RoleFields(forms.Form):
    role = forms.ChoiceField(label="Rôle", choices=Membership.Role.choices, help_text=ROLE_HELP)
    practitioner = forms.ModelChoiceField(
        label="Praticien de l'établissement",
        queryset=None,
        required=False,
        empty_label="Aucun",
        help_text="Si ce compte est celui d'un praticien (jamais pour un correspondant ou un "
        "analyste).",
    )

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = organisation.practitioners.all()


class MemberForm(_RoleFields):
    """A member's role and practitioner link."""


class ExistingMemberForm(_RoleFields):
    """An existing login joins the team (a referrer, a practitioner of two practices)."""

    username = forms.CharField(
        label="Identifiant de connexion",
        max_length=150,
        widget=forms.TextInput({"autocomplete": "off", "autocapitalize": "none"}),
        help_text="Le compte garde son mot de passe et sa double authentification.",
    )
    field_order = ["username", "role", "practitioner"]


class NewMemberForm(_RoleFields):
    """A new account: the user enrols their authenticator at their first login."""

    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    username = forms.CharField(
        label="Identifiant de connexion",
        max_length=150,
        widget=forms.TextInput({"autocomplete": "off", "autocapitalize": "none"}),
    )
    email = forms.EmailField(label="E-mail")
    password = forms.CharField(
        label="Mot de passe provisoire",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text="8 caractères au moins, ni courant ni fait que de chiffres ; remettez-le "
        "en main propre. À sa première connexion, la personne active sa double "
        "authentification.",
    )
    field_order = ["first_name", "last_name", "username", "email", "role", "practitioner"]
