from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demonstration and benchmark data sets (management commands only, no models)."""

    name = "accueil.demo"
    label = "demo"
    verbose_name = "Données de démonstration"
