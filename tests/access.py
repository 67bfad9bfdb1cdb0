"""Logging a cast member in for access tests: one place, so the way staff log in (a second
factor, for instance) changes here only."""

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import login_verified


def login(client: Client, user) -> Client:
    """Past both steps, password and second factor."""
    login_verified(client, user)
    return client


def desk_patterns() -> list[URLPattern]:
    """The desk's URL patterns, from the resolver."""
    (resolver,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "desk"
    ]
    return [p for p in resolver.url_patterns if isinstance(p, URLPattern)]
