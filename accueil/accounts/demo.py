"""The demo logins' authenticator secrets: derived from the login, the same at every seeding
(whoever added one to an application keeps it), public by construction like the demo
password: demo only. No Django model here, so scripts/screenshots.py computes a demo code
without a database."""

import hashlib

from django_otp.oath import TOTP


def demo_key(username: str) -> str:
    """A demo user's TOTP secret, in hex as django-otp stores it."""
    return hashlib.sha1(f"accueil-demo-totp:{username}".encode()).hexdigest()


def demo_code(username: str) -> str:
    """The code a demo login's authenticator shows now."""
    return f"{TOTP(bytes.fromhex(demo_key(username))).token():06d}"
