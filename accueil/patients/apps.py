from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "accueil.patients"
    label = "patients"
