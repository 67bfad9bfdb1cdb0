"""What the directory announces to apps that keep references to it by name.

Sent inside the announcing transaction: a receiver's failure rolls the change back.
"""

from django.dispatch import Signal

# organisation, old, new: a motif was renamed (the instruction sheet names motifs).
motif_renamed = Signal()
