"""Who may book what: the audience of a channel against a motif's `bookable_by`."""

import enum

from django.db.models import Q

from accueil.directory.models import Motif


class Audience(enum.Enum):
    PUBLIC = "public"  # patients on the web, the API, the virtual receptionist
    REFERRER = "referrer"  # outside professionals
    STAFF = "staff"  # the practice's desk and remote-secretariat operators


_OPEN_TO = {
    Audience.PUBLIC: {Motif.BookableBy.PUBLIC},
    Audience.REFERRER: {Motif.BookableBy.PUBLIC, Motif.BookableBy.REFERRERS},
    Audience.STAFF: set(Motif.BookableBy),
}


def may_book(motif: Motif, audience: Audience) -> bool:
    return motif.active and motif.bookable_by in _OPEN_TO[audience]


def motifs_open_to(audience: Audience) -> Q:
    """Filter for active motifs this audience may book."""
    return Q(active=True, bookable_by__in=_OPEN_TO[audience])
