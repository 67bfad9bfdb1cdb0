"""Forms of the notification settings and message texts: they only parse input;
`notify.services` checks the rules."""

from __future__ import annotations

from django import forms
from django.conf import settings

from accueil.desk.settings_forms import _number
from accueil.notify.models import Channel


class NotificationSettingsForm(forms.Form):
    confirmation_sms = forms.BooleanField(label="Confirmation par SMS", required=False)
    confirmation_email = forms.BooleanField(label="Confirmation par e-mail", required=False)
    reminder_hours = forms.IntegerField(
        label="Rappel : heures avant le rendez-vous",
        widget=_number(1),
        help_text="Les jours entiers comptent à la même heure : 48 heures avant un rendez-vous "
        "le lundi à 10 h, c'est le samedi à 10 h.",
    )
    reminder_sms = forms.BooleanField(label="Rappel par SMS", required=False)
    reminder_email = forms.BooleanField(label="Rappel par e-mail", required=False)
    second_reminder = forms.BooleanField(label="Second rappel par SMS", required=False)
    second_reminder_hours = forms.IntegerField(
        label="Second rappel : heures avant le rendez-vous",
        widget=_number(1),
        help_text="Par exemple 2 : un SMS deux heures avant.",
    )
    waitlist_offers = forms.BooleanField(
        label="Proposer les créneaux libérés aux patients de la liste d'attente", required=False
    )
    sms_sender = forms.CharField(
        label="Expéditeur des SMS",
        max_length=11,
        required=False,
        help_text="Le nom affiché sur le téléphone du patient : 3 à 11 lettres ou chiffres, "
        f"sans espace. Vide : « {settings.SMS_SENDER} ».",
    )


class MessageTextForm(forms.Form):
    subject = forms.CharField(label="Objet de l'e-mail", required=False, strip=False)
    body = forms.CharField(label="Texte", strip=False, widget=forms.Textarea(attrs={"rows": 12}))

    def __init__(self, channel: str, count_url: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if channel == Channel.SMS:
            del self.fields["subject"]
            body = self.fields["body"]
            body.label = "Texte du SMS"
            # The count of characters and SMS follows the typing (htmx posts the form, CSRF
            # token included, to the small counting view; without JavaScript, "Aperçu").
            body.widget.attrs.update(
                {
                    "rows": 5,
                    "hx-post": count_url,
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#sms-count",
                    "hx-swap": "innerHTML",
                }
            )
        else:
            self.fields["body"].label = "Texte de l'e-mail"
