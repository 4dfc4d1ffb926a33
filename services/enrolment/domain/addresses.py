"""Plausibility checks for e-mail addresses and phone numbers, offline (no DNS, no SMTP).

Deliberately a little stricter than the bus's marshmallow ``Email`` field: an address we
accept must never fail validation when the event carrying it is published. The local part
is ASCII only because the programme's mail goes through ordinary SMTP (no SMTPUTF8);
domains may be internationalised (e.g. "õun.ee"), checked in their punycode form.
"""

from __future__ import annotations

import re

_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2,63}|xn--[a-z0-9-]{2,59})\Z"
)
_MAX_ADDRESS = 254  # RFC 5321 path limit minus the angle brackets
_MAX_LOCAL_PART = 64

_PHONE_CHARS = re.compile(r"^\+?[0-9 ()-]+\Z")
_MIN_PHONE_DIGITS = 7  # an Estonian number without the country code
_MAX_PHONE_DIGITS = 15  # E.164


def is_valid_email(value: object) -> bool:
    """A single address as people type it into a form: local@domain.tld, no display name."""
    if not isinstance(value, str) or not value or len(value) > _MAX_ADDRESS or value.count("@") != 1:
        return False
    local_part, domain = value.split("@")
    if len(local_part) > _MAX_LOCAL_PART or not _LOCAL_PART.match(local_part):
        return False
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    return bool(_DOMAIN.match(ascii_domain))


def is_valid_phone(value: object) -> bool:
    """Digits with the usual separators, optionally +country code; 7 to 15 digits."""
    if not isinstance(value, str) or not _PHONE_CHARS.match(value):
        return False
    digits = sum(ch.isdigit() for ch in value)
    return _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS
