"""Logging a cast member in for access tests: one place, so the way staff log in (a second
factor, for instance) changes here only."""

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def desk_patterns() -> list[URLPattern]:
    """The desk's URL patterns, from the resolver."""
    (resolver,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "desk"
    ]
    return [p for p in resolver.url_patterns if isinstance(p, URLPattern)]
