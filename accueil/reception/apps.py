from django.apps import AppConfig


class ReceptionConfig(AppConfig):
    name = "accueil.reception"
    verbose_name = "Standardiste virtuelle"
    default_auto_field = "django.db.models.BigAutoField"
