"""Secrets in request paths never reach the logs.

Django logs the path of every 4xx/5xx response (`django.request`: "Not Found: /rdv/...")
and the development server every request line (`django.server`). Manage links, waitlist
offers and waitlist leave links carry their token in the path: whoever reads the logs could
open a patient's appointment. The filter replaces those tokens before any handler sees the
record.
"""

import logging
import re

TOKEN_IN_PATH = re.compile(
    r"(?P<prefix>/rdv/[0-9a-fA-F-]{36}/|/rdv/offre/|/liste-attente/)"
    r"(?P<token>(?!quitter/)[^/\s?\"']+)"
)
REDACTED = "[jeton]"


def redact_tokens(text: str) -> str:
    return TOKEN_IN_PATH.sub(lambda m: m.group("prefix") + REDACTED, text)


class RedactTokensInPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
