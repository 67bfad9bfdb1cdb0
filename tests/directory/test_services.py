import pytest

from accueil.directory.models import Motif
from accueil.directory.services import Audience, may_book, motifs_open_to
from tests import factories

pytestmark = pytest.mark.django_db

PUBLIC, REFERRERS, STAFF = (
    Motif.BookableBy.PUBLIC,
    Motif.BookableBy.REFERRERS,
    Motif.BookableBy.STAFF,
)


@pytest.mark.parametrize(
    ("bookable_by", "audience", "allowed"),
    [
        (PUBLIC, Audience.PUBLIC, True),
        (PUBLIC, Audience.REFERRER, True),
        (PUBLIC, Audience.STAFF, True),
        (REFERRERS, Audience.PUBLIC, False),
        (REFERRERS, Audience.REFERRER, True),
        (REFERRERS, Audience.STAFF, True),
        (STAFF, Audience.PUBLIC, False),
        (STAFF, Audience.REFERRER, False),
        (STAFF, Audience.STAFF, True),
    ],
)
def test_who_may_book_which_motif(bookable_by, audience, allowed):
    org = factories.organisation()
    motif = factories.motif(org, bookable_by=bookable_by)
    assert may_book(motif, audience) is allowed
    assert Motif.objects.filter(motifs_open_to(audience), pk=motif.pk).exists() is allowed


def test_inactive_motif_is_open_to_nobody():
    motif = factories.motif(factories.organisation(), active=False)
    assert not any(may_book(motif, audience) for audience in Audience)
    assert not Motif.objects.filter(motifs_open_to(Audience.STAFF)).exists()
