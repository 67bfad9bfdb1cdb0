"""Talk to the virtual receptionist in a terminal, as a caller would:

    python manage.py call --to "03 53 01 20 14" [--from +33612345678]

Each line typed is one utterance (as a speech recogniser would give it); an empty line is
silence; Ctrl-D hangs up. The call is stored like any other (transcript, summary, outcome).
"""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accueil.reception import services
from accueil.reception.models import Call


class Command(BaseCommand):
    help = "Appelle la standardiste virtuelle depuis le terminal."

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help="Numéro appelé (cabinet ou lieu).")
        parser.add_argument("--from", dest="from_", default="", help="Numéro de l'appelant.")

    def handle(self, *args, to: str, from_: str, **options):
        try:
            result = services.start_call(to=to, from_=from_, channel="terminal")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        out = self.stdout
        out.write(f"Appel {result.call.id} vers {result.call.organisation.name}")
        out.write(f"agent > {result.say}")
        status = result.status
        while status == Call.Status.OPEN:
            out.write("vous > ", ending="")
            out.flush()
            line = sys.stdin.readline()
            if not line:
                call = services.hang_up(result.call.id)
                out.write("")
                out.write("(vous avez raccroché)")
                status = call.status if call else Call.Status.ENDED
                break
            result = services.take_turn(result.call.id, line.strip())
            out.write(f"agent > {result.say}")
            status = result.status
            if status == Call.Status.TRANSFERRED:
                out.write(f"(transfert vers {result.transfer_to})")
        call = Call.objects.get(pk=result.call.id)
        out.write("")
        out.write(f"Fin de l'appel : {', '.join(call.outcomes) or '—'}")
        if call.summary:
            out.write("Résumé pour le cabinet :")
            for line in call.summary.splitlines():
                out.write(f"  {line}")
