import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The cast is rebuilt for every test: a fast hasher (the sweep logs in without one)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
