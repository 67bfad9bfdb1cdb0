"""Background work with django-tasks: send the messages a change has just queued.

`kick()` enqueues `send_messages` when the change's transaction commits; a `db_worker`
process runs it within about a second. The task claims the messages like any worker, so if
`notify_worker` got them first it does nothing. Without any db_worker running, nothing is
lost: `notify_worker` sends them on its next pass (NOTIFY_WORKER_INTERVAL seconds).
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import transaction
from django_tasks import task

from accueil.notify import sending


@task()
def send_messages(message_ids: list[int]) -> int:
    """Send these messages if they are still due and unclaimed; returns how many were."""
    return sending.send_due(ids=message_ids, limit=len(message_ids))


def kick(message_ids: list[int]) -> None:
    """After the current transaction commits, enqueue the sending of these messages.

    `robust`: a failure to enqueue never breaks the committed change (the periodic worker
    sends the messages anyway)."""
    if message_ids and settings.NOTIFY_SEND_ON_COMMIT:
        transaction.on_commit(partial(send_messages.enqueue, list(message_ids)), robust=True)
