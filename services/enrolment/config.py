"""Enrolment's own settings, from ``ENROLMENT_*`` environment variables (``Settings.extra``).

    ENROLMENT_CLAIM_CAP=768.00   the most the organisers may claim from a dropout's employer
                                 (incl. VAT), as the conditions every member confirms state it.
                                 Billing claims by its own BILLING_CAP and notify quotes
                                 NOTIFY_CLAIM_CAP: docker-compose sets all three from CLAIM_CAP.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from shared.config import Settings

DEFAULT_CLAIM_CAP = Decimal("768.00")


class ConfigError(ValueError):
    """A setting enrolment cannot use; raised at start-up, not when a member opens their link."""


def claim_cap(settings: Settings) -> Decimal:
    value = str((settings.extra or {}).get("claim_cap", DEFAULT_CLAIM_CAP)).strip()
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ConfigError(f"ENROLMENT_CLAIM_CAP: {value!r} is not an amount like 768.00") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ConfigError(f"ENROLMENT_CLAIM_CAP: {value!r} must be a positive amount in euros and cents")
    return amount.quantize(Decimal("0.01"))
