import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Operators are made by the dozen here: a fast hasher (logins still check passwords)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
