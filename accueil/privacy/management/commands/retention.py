"""`python manage.py retention`: apply the retention periods (run it once a day).

Anonymises appointments, calls and what goes with them past their period and deletes audit
entries past theirs (accueil/privacy/retention.py). Running it again changes nothing.
"""

from django.core.management.base import BaseCommand

from accueil.privacy import retention


class Command(BaseCommand):
    help = "Applique les durées de conservation (anonymisation, purge du journal d'accès)."

    def handle(self, *args, **options):
        report = retention.apply_retention()
        counts = [
            f"{getattr(report, what)} {label}"
            for what, label in retention.LABELS.items()
            if getattr(report, what)
        ]
        self.stdout.write("Conservation : " + (", ".join(counts) or "rien à faire") + ".")
