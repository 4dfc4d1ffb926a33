"""Refusals of reporting's use cases, with a message in each UI language."""
from __future__ import annotations


class Refused(Exception):
    """A use case said no. ``status`` is the HTTP status an entrypoint answers with, ``code`` a
    stable machine-readable reason, ``field`` the form field it is about (if any)."""

    def __init__(self, status: int, code: str, message_et: str, message_en: str, field: str | None = None):
        super().__init__(message_en)
        self.status = status
        self.code = code
        self.message_et = message_et
        self.message_en = message_en
        self.field = field

    def message(self, language: str) -> str:
        return self.message_en if language == "en" else self.message_et


def not_found(what_et: str, what_en: str) -> Refused:
    return Refused(404, "not_found", f"{what_et} ei leitud.", f"{what_en} not found.")
