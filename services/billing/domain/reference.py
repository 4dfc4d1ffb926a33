"""Estonian payment reference numbers (viitenumber), Pangaliit's 7-3-1 standard.

A reference is 2–20 digits: 1–19 digits of the invoicer's choosing plus a check digit.
Banks refuse payments with a wrong check digit, so one bad digit is caught at the payer.
"""
from __future__ import annotations

import re

MIN_LENGTH = 2
MAX_LENGTH = 20
_WEIGHTS = (7, 3, 1)
_DIGITS = re.compile(r"[0-9]+")


class ReferenceNumberError(ValueError):
    """A base that cannot become a reference number."""


def check_digit(base: str) -> str:
    """Weights 7, 3, 1 repeating from the rightmost digit; check = (10 − sum mod 10) mod 10."""
    total = sum(int(digit) * _WEIGHTS[position % 3] for position, digit in enumerate(reversed(base)))
    return str((10 - total % 10) % 10)


def _compact(value: str) -> str:
    return value.replace(" ", "")


def reference_number(base: str | int) -> str:
    """Append the check digit: ``12131295`` → ``"121312952"``, ``123`` → ``"1232"``."""
    if isinstance(base, bool):
        raise ReferenceNumberError(f"reference base must be digits, got {base!r}")
    if isinstance(base, int):
        if base < 0:
            raise ReferenceNumberError(f"reference base must not be negative, got {base}")
        base = str(base)
    if not isinstance(base, str):
        raise ReferenceNumberError(f"reference base must be a str or int, got {type(base).__name__}")
    digits = _compact(base)
    if not _DIGITS.fullmatch(digits):
        raise ReferenceNumberError(f"reference base must contain only digits, got {base!r}")
    if not MIN_LENGTH - 1 <= len(digits) <= MAX_LENGTH - 1:
        raise ReferenceNumberError(f"reference base must have 1–{MAX_LENGTH - 1} digits, got {len(digits)}")
    return digits + check_digit(digits)


def normalize_reference(value: str) -> str | None:
    """The reference without spaces if it is valid, else None (handy when reading bank data)."""
    if not isinstance(value, str):
        return None
    digits = _compact(value)
    if not _DIGITS.fullmatch(digits) or not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        return None
    return digits if check_digit(digits[:-1]) == digits[-1] else None


def is_valid_reference(value: str) -> bool:
    """Spaces are ignored (references are often printed in groups of four)."""
    return normalize_reference(value) is not None


def format_reference(value: str) -> str:
    """Groups of four from the left, as Pangaliit recommends for printing: ``1213 1295 2``."""
    digits = _compact(value)
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
