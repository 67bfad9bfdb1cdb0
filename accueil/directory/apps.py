from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "accueil.directory"
    label = "directory"
