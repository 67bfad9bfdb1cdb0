from django import forms

from accueil.audit.models import Action, ObjectType
from accueil.audit.services import Filters
from accueil.directory.models import Organisation

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class JournalFilterForm(forms.Form):
    """Search of the audit log: period, user, action, object."""

    since = forms.DateField(
        label="Du", required=False, input_formats=DATE_FORMATS, widget=DATE_WIDGET
    )
    until = forms.DateField(
        label="Au", required=False, input_formats=DATE_FORMATS, widget=DATE_WIDGET
    )
    actor = forms.TypedChoiceField(label="Utilisateur", required=False, coerce=int)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Toutes"), *Action.choices]
    )
    object_type = forms.ChoiceField(
        label="Objet", required=False, choices=[("", "Tous"), *ObjectType.choices]
    )
    object_id = forms.CharField(label="Identifiant de l'objet", required=False, max_length=64)

    def __init__(self, organisation: Organisation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = organisation.memberships.select_related("user").order_by("user__username")
        self.fields["actor"].choices = [("", "Tous")] + [
            (m.user_id, m.user.get_username()) for m in members
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "La date de fin précède la date de début.")
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            since=data.get("since"),
            until=data.get("until"),
            actor_id=data.get("actor") or None,
            action=data.get("action", ""),
            object_type=data.get("object_type", ""),
            object_id=data.get("object_id", ""),
        )
