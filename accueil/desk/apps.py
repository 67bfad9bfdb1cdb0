from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "accueil.desk"
    verbose_name = "Secrétariat (back office)"
