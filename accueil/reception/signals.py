"""What the receptionist announces to other apps, which subscribe without reception knowing
them (the remote secretariat queues the calls handed over to it).

Sent with `send_robust` inside the announcing transaction: a receiver must run its writes
in its own savepoint (`transaction.atomic()`), so that one failing is rolled back and logged
by Django and never breaks the call (no silence, no 500).
"""

from django.dispatch import Signal

# call, now: the agent handed the caller over to a human with its written summary (a listed
# professional put through is not a hand-over).
handed_over = Signal()
# call, now: the telephony reports that the caller hung up after the agent handed over.
caller_hung_up = Signal()
