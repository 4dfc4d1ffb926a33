"""Dropout cost claims: the amount proposed to the coordinator and the checks on what they approve.

The organisers *may* claim up to €768 incl. VAT (where VAT applies) from the employer of a participant who
drops out; the coordinator decides. The proposal is only a starting point: the cost of the
group's session days held up to the dropout.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from services.billing.domain.money import (
    format_money_en,
    format_money_et,
    has_at_most_two_decimals,
    round_to_cent,
)

DAILY_RATE = Decimal("256.00")
CLAIM_CAP = Decimal("768.00")
SESSION_DAYS = 3
# VAT Act (käibemaksuseadus) § 37: the invoice is issued within 7 days of the supply.
ISSUE_WITHIN_DAYS = 7
ISSUE_DUE_SOON_DAYS = 2  # warn this many days ahead, so finance can still make it


class ClaimError(ValueError):
    """A claim amount or input the rules refuse.

    ``key`` is stable for translations and API error codes; ``message`` is English,
    ``message_et`` Estonian; ``params`` hold the numbers the messages mention.
    """

    def __init__(self, key: str, message: str, message_et: str, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.message_et = message_et
        self.params = params


@dataclass(frozen=True)
class ClaimProposal:
    amount: Decimal
    days_held: int
    daily_rate: Decimal
    cap: Decimal
    capped: bool
    explanation_et: str = field(repr=False)
    explanation_en: str = field(repr=False)


def _days_et(days: int) -> str:
    return f"{days} päev" if days == 1 else f"{days} päeva"


def _days_en(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


def propose_amount(
    days_held: int, daily_rate: Decimal = DAILY_RATE, cap: Decimal = CLAIM_CAP, vat_applies: bool = True
) -> ClaimProposal:
    """Days held × daily rate, never above the cap (both gross: incl. VAT where it applies).

    ``vat_applies`` False (the claim's invoice carries no VAT): the explanation leaves out
    "(koos käibemaksuga)" / "(incl. VAT)"; the amounts are the same.

    ``days_held`` counts the participant's own group's session days held up to the
    dropout; with none held there are no costs to recover and the proposal is 0.00.
    """
    if isinstance(days_held, bool) or not isinstance(days_held, int):
        raise ClaimError(
            "claim.days_held_invalid",
            f"days held must be a whole number, got {days_held!r}",
            f"toimunud päevade arv peab olema täisarv, saadi {days_held!r}",
            days_held=days_held,
        )
    if not 0 <= days_held <= SESSION_DAYS:
        # The programme has three days; more means the attendance data is wrong, and a
        # loud failure (dead letter) is better than a silently capped invoice.
        raise ClaimError(
            "claim.days_held_out_of_range",
            f"days held must be between 0 and {SESSION_DAYS}, got {days_held}",
            f"toimunud päevade arv peab olema 0 kuni {SESSION_DAYS}, saadi {days_held}",
            days_held=days_held,
        )
    _check_positive_cents(daily_rate, "daily rate", "päevamaksumus", allow_zero=True)
    _check_positive_cents(cap, "cap", "ülempiir", allow_zero=True)

    uncapped = round_to_cent(daily_rate * days_held)
    capped = uncapped > cap
    amount = round_to_cent(cap) if capped else uncapped

    et = f"{_days_et(days_held)} × {format_money_et(daily_rate)} = {format_money_et(uncapped)}"
    en = f"{_days_en(days_held)} × {format_money_en(daily_rate)} = {format_money_en(uncapped)}"
    if capped:
        et += f", piiratud ülempiiriga {format_money_et(cap)}"
        en += f", capped at {format_money_en(cap)}"
    et += " (koos käibemaksuga)." if vat_applies else "."
    en += " (incl. VAT)." if vat_applies else "."
    if days_held == 0:
        et += " Grupi koolituspäevi enne katkestamist ei toimunud, seega kulusid ei ole; nõudest võib loobuda."
        en += " No session days of the group were held before the dropout, so there are no costs; the claim can be waived."
    return ClaimProposal(
        amount=amount,
        days_held=days_held,
        daily_rate=daily_rate,
        cap=cap,
        capped=capped,
        explanation_et=et,
        explanation_en=en,
    )


def _check_positive_cents(value: object, what: str, what_et: str, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise ClaimError(
            "claim.amount_not_decimal",
            f"{what} must be a decimal amount, got {value!r}",
            f"{what_et} peab olema kümnendarvuline summa, saadi {value!r}",
            value=value,
        )
    if value < 0 or (value == 0 and not allow_zero):
        raise ClaimError(
            "claim.amount_not_positive",
            f"{what} must be greater than zero, got {value}",
            f"{what_et} peab olema suurem kui null, saadi {value}",
            value=value,
        )
    if not has_at_most_two_decimals(value):
        raise ClaimError(
            "claim.amount_too_precise",
            f"{what} must be in whole cents (at most 2 decimals), got {value}",
            f"{what_et} peab olema sentides (kuni 2 komakohta), saadi {value}",
            value=value,
        )


def check_approved_amount(amount: Decimal, cap: Decimal = CLAIM_CAP, proposed: Decimal | None = None,
                          vat_applies: bool = True) -> Decimal:
    """Validate the amount a coordinator approves and return it in cents (e.g. 500 → 500.00).

    The cap is gross; the refusal calls it "incl. VAT" only where VAT applies to the claim's invoice.

    Zero is refused on purpose: not claiming is a waiver, which needs a reason. The
    coordinator may lower the proposal, never raise it: the proposal is the cost actually
    incurred (days held × rate), so more would claim costs that never were.
    """
    _check_positive_cents(amount, "claim amount", "nõude summa", allow_zero=False)
    if amount > cap:
        raise ClaimError(
            "claim.amount_above_cap",
            f"claim amount {format_money_en(amount)} is above the cap of {format_money_en(cap)}"
            + (" incl. VAT" if vat_applies else ""),
            f"nõude summa {format_money_et(amount)} ületab ülempiiri {format_money_et(cap)}"
            + (" (koos käibemaksuga)" if vat_applies else ""),
            amount=amount,
            cap=cap,
        )
    if proposed is not None and amount > proposed:
        raise ClaimError(
            "claim.amount_above_proposal",
            f"claim amount {format_money_en(amount)} is above the proposed {format_money_en(proposed)} "
            f"(the costs incurred); it may only be lowered",
            f"nõude summa {format_money_et(amount)} ületab pakutud summat {format_money_et(proposed)} "
            f"(tehtud kulud); summat võib ainult vähendada",
            amount=amount,
            proposed=proposed,
        )
    return round_to_cent(amount)


def issue_by(supply_date: date, within_days: int = ISSUE_WITHIN_DAYS) -> date:
    """The last day the claim's invoice may be issued (§ 37): the date of supply + 7 days.

    The supply date is the Tallinn day of the dropout (``Claim.dropped_out_on``), the
    same date the invoice prints as its date of supply.
    """
    return supply_date + timedelta(days=within_days)


def issue_urgency(deadline: date, today: date) -> str:
    """``overdue`` once today is past the issue-by date, ``due_soon`` within 2 days of it, else ``ok``."""
    if today > deadline:
        return "overdue"
    if (deadline - today).days <= ISSUE_DUE_SOON_DAYS:
        return "due_soon"
    return "ok"
