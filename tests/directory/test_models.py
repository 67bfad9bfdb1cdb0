import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import URLPattern, URLResolver, get_resolver

from accueil.directory.models import RESERVED_SLUGS, Organisation

pytestmark = pytest.mark.django_db


def fixed_first_segments() -> set[str]:
    """First path segments of the URL configuration that are not a converter."""
    found = set()
    for pattern in get_resolver().url_patterns:
        patterns = [pattern]
        if isinstance(pattern, URLResolver) and not str(pattern.pattern).strip("/"):
            patterns = pattern.url_patterns  # the public site, mounted at the root
        for p in patterns:
            first = str(p.pattern).lstrip("^").split("/")[0]
            if first and "<" not in first and isinstance(p, URLPattern | URLResolver):
                found.add(first)
    return found


def test_every_fixed_first_segment_is_reserved():
    assert fixed_first_segments() - {"static"} <= set(RESERVED_SLUGS)
    assert {"desk", "rdv", "api"} <= fixed_first_segments()


@pytest.mark.parametrize("slug", ["desk", "rdv", "api"])
def test_a_reserved_slug_is_refused_by_validation_and_by_the_database(slug):
    with pytest.raises(ValidationError) as caught:
        Organisation(name="X", slug=slug, kind=Organisation.Kind.CABINET).full_clean()
    assert "réservée" in str(caught.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="X", slug=slug, kind=Organisation.Kind.CABINET)
