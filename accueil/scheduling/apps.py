from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "accueil.scheduling"
    label = "scheduling"
