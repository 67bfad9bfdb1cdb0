from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "accueil.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from accueil.notify.transports import reset_transports

        setting_changed.connect(reset_transports, dispatch_uid="notify_reset_transports")
