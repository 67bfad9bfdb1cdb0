from django import forms

from accueil.accounts import services


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code de vérification",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": "Saisissez le code."},
    )


class ResetForm(forms.Form):
    """Replacing the authenticator takes both factors again: a session left open on a
    shared computer is not enough to move someone's second factor to another phone."""

    password = forms.CharField(
        label="Mot de passe",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Saisissez votre mot de passe."},
    )
    code = forms.CharField(
        label="Code actuel (application ou code de secours)",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
        error_messages={"required": "Saisissez un code."},
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Mot de passe incorrect.")
        return password

    def clean(self):
        cleaned = super().clean()
        if not self.errors and services.verify_code(self.user, cleaned["code"]) is None:
            self.add_error("code", "Code incorrect ou expiré.")
        return cleaned
