from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "accueil.audit"
    label = "audit"
    verbose_name = "Journal d'accès"
