from django.apps import AppConfig


class SecretariatConfig(AppConfig):
    name = "accueil.secretariat"
    verbose_name = "Télésecrétariat"
