from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services


class Command(BaseCommand):
    help = (
        "Affiche le code de vérification actuel d'un compte (démonstration et développement). "
        "Refusé sans DEBUG : en production, lire la clé d'un compte pour en tirer un code "
        "annulerait la double authentification."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="identifiant du compte")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            raise CommandError("Refusé : cette commande ne fonctionne qu'avec DEBUG=1.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Aucun compte « {username} ».")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            raise CommandError(
                f"« {username} » n'a pas d'application d'authentification : "
                "elle sera enregistrée à sa prochaine connexion."
            )
        self.stdout.write(services.current_code(device))
