from django.apps import AppConfig


class ReceptionConfig(AppConfig):
    name = "accueil.reception"
    verbose_name = "Standardiste virtuelle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accueil.directory import signals
        from accueil.reception import services

        signals.motif_renamed.connect(
            services.follow_motif_rename, dispatch_uid="reception-motif-renamed"
        )
