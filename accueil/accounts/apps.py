from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accueil.accounts"
    label = "accounts"
    verbose_name = "Comptes et connexion"

    def ready(self) -> None:
        from accueil.accounts import checks, signals  # noqa: F401
