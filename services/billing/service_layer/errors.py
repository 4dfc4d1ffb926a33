"""Refusals the use cases raise; entrypoints turn them into 4xx JSON or a field error."""
from __future__ import annotations


class BillingError(Exception):
    """``key`` is stable (API error code), ``message`` English, ``message_et`` Estonian.

    ``field`` names the input the refusal is about, if any (shown next to that field).
    """

    status = 409

    def __init__(self, key: str, message: str, message_et: str, *, field: str | None = None):
        super().__init__(message)
        self.key = key
        self.message = message
        self.message_et = message_et
        self.field = field


class NotFound(BillingError):
    status = 404


class Conflict(BillingError):
    """The request is fine but the object's state does not allow it (e.g. already invoiced)."""
    status = 409


class InvalidInput(BillingError):
    status = 422
