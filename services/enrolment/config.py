"""Enrolment's own settings, from ``ENROLMENT_*`` environment variables (``Settings.extra``).

    ENROLMENT_CLAIM_CAP=768.00         the defaults of a new edition's dropout claim policy (gross,
    ENROLMENT_CLAIM_DAILY_RATE=256.00  incl. VAT): the most the organisers may claim from a
                                       dropout's employer, and the cost of a session day held. Each
                                       edition keeps its own (the edition form, the API, the data
                                       file); they travel in enrolment.edition.published, so
                                       billing claims and notify quotes that edition's values.
                                       docker-compose feeds them from CLAIM_CAP and BILLING_DAILY_RATE.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from shared.config import Settings

DEFAULT_CLAIM_CAP = Decimal("768.00")
DEFAULT_CLAIM_DAILY_RATE = Decimal("256.00")


class ConfigError(ValueError):
    """A setting enrolment cannot use; raised at start-up, not when a coordinator creates an edition."""


def _amount(settings: Settings, key: str, default: Decimal) -> Decimal:
    value = str((settings.extra or {}).get(key, default)).strip()
    name = f"ENROLMENT_{key.upper()}"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"{name}: {value!r} is not an amount like {default}") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ConfigError(f"{name}: {value!r} must be a positive amount in euros and cents")
    return amount.quantize(Decimal("0.01"))


def claim_cap(settings: Settings) -> Decimal:
    """A new edition's claim cap unless the coordinator sets another."""
    return _amount(settings, "claim_cap", DEFAULT_CLAIM_CAP)


def claim_daily_rate(settings: Settings) -> Decimal:
    """A new edition's daily rate; checked against the cap, as an edition's own would be."""
    rate = _amount(settings, "claim_daily_rate", DEFAULT_CLAIM_DAILY_RATE)
    if rate > claim_cap(settings):
        raise ConfigError(f"ENROLMENT_CLAIM_DAILY_RATE: {rate} is more than ENROLMENT_CLAIM_CAP "
                          f"({claim_cap(settings)})")
    return rate
