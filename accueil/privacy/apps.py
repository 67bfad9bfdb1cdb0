from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "accueil.privacy"
    label = "privacy"
    verbose_name = "Protection des données (conservation, droits des patients)"
