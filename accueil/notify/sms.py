"""SMS rules: length in segments (GSM-7 aware), GSM-7 transliteration, who may receive one.

An SMS is 140 bytes: 160 GSM-7 characters, or 70 UCS-2 ones as soon as a single character is
outside the GSM 03.38 alphabet (ê, ç, œ, ’, an emoji...). Longer texts are split in segments
of 153 (GSM-7) or 67 (UCS-2) because each carries a concatenation header. Characters of the
GSM-7 extension table (€ [ ] { } ^ ~ | \\) take two septets and are never split across
segments; neither are UTF-16 surrogate pairs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.conf import settings

# 3GPP TS 23.038 basic character set (without ESC, 0x1B).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
MULTI = {"GSM-7": 153, "UCS-2": 67}

# Typography that word processors (and people) put in texts, and its GSM-7 spelling.
_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "«": '"',
    "»": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\t": " ",
    "œ": "oe",
    "Œ": "OE",
}


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    remaining: int  # units still free in the last segment

    @property
    def is_gsm7(self) -> bool:
        return self.encoding == "GSM-7"


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def sms_length(text: str) -> SmsLength:
    """Encoding, size and number of segments of `text` sent as one SMS."""
    if is_gsm7(text):
        encoding = "GSM-7"
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
    else:
        encoding = "UCS-2"
        sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]
    units = sum(sizes)
    if units == 0:
        return SmsLength(encoding, 0, 0, SINGLE[encoding])
    if units <= SINGLE[encoding]:
        return SmsLength(encoding, units, 1, SINGLE[encoding] - units)
    limit = MULTI[encoding]
    segments, used = 1, 0
    for size in sizes:
        if used + size > limit:  # a two-unit character never straddles two segments
            segments, used = segments + 1, 0
        used += size
    return SmsLength(encoding, units, segments, limit - used)


def to_gsm7(text: str) -> str:
    """`text` with characters outside GSM-7 replaced by their closest GSM-7 spelling
    (ê → e, ç → c, ’ → ', « » → ", œ → oe); anything without one (emoji) is kept, and
    the SMS then goes out in UCS-2."""
    out = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            base = unicodedata.normalize("NFD", char)[0]
            out.append(base if base in GSM7_BASIC else char)
    return "".join(out)


def sms_refusal(phone: str) -> str:
    """Why this number may not receive an SMS (a French reason shown to staff), or ""."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return "Numéro de téléphone invalide : SMS non envoyé."
    if not phonenumbers.is_valid_number(number):
        return "Numéro de téléphone invalide : SMS non envoyé."
    if phonenumbers.region_code_for_number(number) not in settings.SMS_ALLOWED_REGIONS:
        return "Numéro hors de France : SMS non envoyé."
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        return "Numéro de téléphone fixe : SMS impossible."
    return ""


def mask_phone(phone: str) -> str:
    """+33612345678 → +336••••••78, for logs."""
    if len(phone) < 6:
        return "•" * len(phone)
    return f"{phone[:4]}••••••{phone[-2:]}"
