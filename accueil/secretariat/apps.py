from django.apps import AppConfig


class SecretariatConfig(AppConfig):
    name = "accueil.secretariat"
    verbose_name = "Télésecrétariat"

    def ready(self) -> None:
        from accueil.reception import signals
        from accueil.secretariat import services

        signals.handed_over.connect(services.on_handed_over, dispatch_uid="secretariat-handover")
        signals.caller_hung_up.connect(
            services.on_caller_hung_up, dispatch_uid="secretariat-hung-up"
        )
