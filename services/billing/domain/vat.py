"""Estonian standard VAT: the rate in force on a day, and splitting a gross amount.

The dropout claim cap (€768) is a *gross* amount, so invoices start from the gross and
derive the VAT from it; net is what is left, so net + VAT always equals the gross exactly.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from services.billing.domain.money import has_at_most_two_decimals, require_decimal, round_to_cent

NO_VAT = Decimal("0")


class VatError(ValueError):
    """A rate table or an amount the VAT rules cannot work with."""


@dataclass(frozen=True)
class RatePeriod:
    """A rate that applies from ``valid_from`` until the next period of the table starts."""

    valid_from: date
    rate: Decimal


# Data, not code: a new rate is one more row (Käibemaksuseadus § 15 lg 1).
STANDARD_RATES: tuple[RatePeriod, ...] = (
    RatePeriod(date(2009, 7, 1), Decimal("20")),
    RatePeriod(date(2024, 1, 1), Decimal("22")),
    RatePeriod(date(2025, 7, 1), Decimal("24")),
)


@dataclass(frozen=True)
class VatSplit:
    net: Decimal
    vat: Decimal
    gross: Decimal
    rate: Decimal


def rate_table_from_rows(rows: Iterable[tuple[str | date, str | Decimal]]) -> tuple[RatePeriod, ...]:
    """Build a table from configuration rows such as ``[("2009-07-01", "20"), …]``."""
    periods = []
    for valid_from, rate in rows:
        try:
            day = valid_from if isinstance(valid_from, date) else date.fromisoformat(valid_from)
            value = rate if isinstance(rate, Decimal) else Decimal(rate)
        except (ValueError, InvalidOperation) as exc:
            raise VatError(f"invalid VAT table row {valid_from!r}: {rate!r}") from exc
        periods.append(RatePeriod(day, value))
    return _checked(periods)


def _checked(table: Iterable[RatePeriod]) -> tuple[RatePeriod, ...]:
    periods = tuple(sorted(table, key=lambda period: period.valid_from))
    if not periods:
        raise VatError("the VAT rate table is empty")
    starts = [period.valid_from for period in periods]
    if len(set(starts)) != len(starts):
        raise VatError("the VAT rate table has two rates starting on the same day")
    for period in periods:
        _check_rate(period.rate)
    return periods


def _check_rate(rate: Decimal) -> Decimal:
    try:
        require_decimal(rate, "VAT rate")
    except (TypeError, ValueError) as exc:
        raise VatError(str(exc)) from exc
    if not Decimal(0) <= rate < Decimal(100):
        raise VatError(f"VAT rate must be between 0 and 100 per cent, got {rate}")
    return rate


def vat_rate_on(day: date, table: Iterable[RatePeriod] = STANDARD_RATES) -> Decimal:
    """The standard rate in force on ``day`` (for an invoice: the date of supply)."""
    in_force = [period for period in _checked(table) if period.valid_from <= day]
    if not in_force:
        raise VatError(f"no VAT rate is known for {day.isoformat()}")
    return in_force[-1].rate


def split_gross(gross: Decimal, rate: Decimal) -> VatSplit:
    """VAT = gross × r / (100 + r), half-up to the cent; net = gross − VAT.

    Negative grosses (credit notes) split symmetrically because half-up rounds away
    from zero, so a credit note mirrors its invoice to the cent.
    """
    try:
        require_decimal(gross, "gross amount")
    except (TypeError, ValueError) as exc:
        raise VatError(str(exc)) from exc
    if not has_at_most_two_decimals(gross):
        raise VatError(f"gross amount must be in whole cents, got {gross}")
    _check_rate(rate)
    gross = round_to_cent(gross)
    vat = round_to_cent(gross * rate / (Decimal(100) + rate))
    return VatSplit(net=gross - vat, vat=vat, gross=gross, rate=rate)


def applicable_rate(
    supply_date: date, *, vat_applies: bool = True, table: Iterable[RatePeriod] = STANDARD_RATES
) -> Decimal:
    """The rate to invoice with: 0 when the organiser's setting says VAT does not apply."""
    return vat_rate_on(supply_date, table) if vat_applies else NO_VAT


def split_gross_on(
    gross: Decimal,
    supply_date: date,
    *,
    vat_applies: bool = True,
    table: Iterable[RatePeriod] = STANDARD_RATES,
) -> VatSplit:
    """What an invoice needs: the gross split at the rate in force on the date of supply."""
    return split_gross(gross, applicable_rate(supply_date, vat_applies=vat_applies, table=table))
