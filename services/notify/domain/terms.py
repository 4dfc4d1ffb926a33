"""The terms the e-mails restate per edition: whether the claim cap includes VAT, the make-up
rule, and whether an invoice carries VAT. Plain values in, template variables out."""
from __future__ import annotations

from decimal import Decimal

# The brochure's make-up rule, which an edition keeps until attendance publishes another.
BROCHURE_RULE = "before_own_next_day"
# Template values of ``make_up_rule``: the two windows attendance knows, or none at all.
MAKE_UP_RULES = ("before_own_next_day", "any_later_same_day", "none")


def cap_includes_vat(vat_applies: bool | None) -> bool:
    """The edition's vat_applies: only False drops "including VAT". None (the edition leaves it
    to billing's BILLING_VAT_APPLIES, whose default is true, or notify has not heard) keeps it."""
    return vat_applies is not False


def make_up_rule(make_ups_allowed: bool | None = None, window: str | None = None) -> str:
    """The rule as the e-mails word it; nothing known (no rule event): the brochure's."""
    if make_ups_allowed is None:
        return BROCHURE_RULE
    if not make_ups_allowed:
        return "none"
    return window if window in MAKE_UP_RULES else BROCHURE_RULE


def invoice_carries_vat(vat_rate, vat_amount) -> bool:
    """Billing marks an invoice issued with VAT not applied by rate 0 and VAT 0.00 (no Estonian
    standard rate is 0); anything else carries VAT, and unknown (None) reads as it always did."""
    if vat_rate is None or vat_amount is None:
        return True
    return not (Decimal(str(vat_rate)) == 0 and Decimal(str(vat_amount)) == 0)
