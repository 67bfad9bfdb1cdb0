from django.apps import AppConfig


class ThrottleConfig(AppConfig):
    name = "accueil.throttle"
    label = "throttle"
    verbose_name = "Protection contre les abus"
