from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "accueil.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from accueil.notify.transports import reset_transports

        setting_changed.connect(reset_transports, dispatch_uid="notify_reset_transports")

        from accueil.notify.services import offer_opened_time
        from accueil.scheduling.signals import time_opened

        time_opened.connect(offer_opened_time, dispatch_uid="notify_offer_opened_time")
