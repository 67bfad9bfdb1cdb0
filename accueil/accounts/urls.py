"""The login steps after the password and the account's security page, under /desk/ (the
password step itself is desk:login)."""

from django.urls import path

from accueil.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/code/", views.verify, name="verify"),
    path("connexion/activation/", views.enrol, name="enrol"),
    path("compte/securite/", views.security, name="security"),
    path("compte/codes-de-secours/", views.recovery_codes, name="recovery_codes"),
    path("compte/codes-de-secours/nouveaux/", views.regenerate_codes, name="regenerate_codes"),
    path(
        "compte/authentificateur/reinitialiser/",
        views.reset_authenticator,
        name="reset_authenticator",
    ),
    path("compte/deconnexion-partout/", views.logout_everywhere, name="logout_everywhere"),
]
