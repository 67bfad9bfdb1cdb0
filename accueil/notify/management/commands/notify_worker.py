"""`python manage.py notify_worker`: send due messages in a loop (reminders, retries,
messages left by a crashed worker). Several may run at once, on several machines.

Each pass claims a batch (`sending.claim`) and sends it; when nothing is due it sleeps
`--interval` seconds. SIGTERM or SIGINT stops it cleanly: the message being sent is
finished and marked, the rest of the batch is given back to the queue.

It runs beside django-tasks' `db_worker`, which sends the messages of a booking within a
second of its commit (`tasks.send_messages`); both use the same claim, so a message is
never sent by both. See docs/decisions/0006-notification-outbox.md.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection

from accueil.notify import sending

logger = logging.getLogger("accueil.notify.worker")


class Command(BaseCommand):
    help = (
        "Envoie les messages dus (rappels, relances) en boucle ; s'arrête proprement sur SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.NOTIFY_WORKER_INTERVAL,
            help="Secondes d'attente quand rien n'est dû (défaut : %(default)s).",
        )
        parser.add_argument(
            "--batch", type=int, default=50, help="Messages réservés par passe (défaut : 50)."
        )
        parser.add_argument(
            "--once", action="store_true", help="Envoie ce qui est dû, puis s'arrête."
        )

    def handle(self, *, interval: float, batch: int, once: bool, **options):
        stop = threading.Event()

        def on_signal(signum, frame):
            logger.info("notify_worker: %s received, stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        logger.info("notify_worker: started (batch %d, interval %.1f s)", batch, interval)
        sent = 0
        while not stop.is_set():
            if not connection.in_atomic_block:  # (tests run it inside a transaction)
                close_old_connections()
            try:
                claimed = sending.send_due(limit=batch, should_stop=stop.is_set)
            except DatabaseError:
                logger.exception("notify_worker: database error, retrying")
                claimed = 0
                stop.wait(interval)
            sent += claimed
            if once and claimed < batch:
                break
            if claimed < batch:
                stop.wait(interval)
        logger.info("notify_worker: stopped after %d message(s)", sent)
