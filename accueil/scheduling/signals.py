"""What other apps may react to when an agenda changes, without scheduling importing them."""

from django.dispatch import Signal

# Time that may now hold free slots: an absence removed, an opening period added or
# changed. Sent inside the change's transaction with `practitioner`, `start`, `end`
# (aware datetimes); the waitlist (notify) offers the free slots found in [start, end).
time_opened = Signal()
