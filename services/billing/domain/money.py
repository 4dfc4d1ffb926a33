"""Money and date helpers shared by the billing rules and the printed documents.

Amounts are ``Decimal`` end to end: a float would turn 0.1 into 0.1000000000000000055…
and invoices must add up to the cent.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
CURRENCY_SYMBOLS = {"EUR": "€"}


def require_decimal(value: object, what: str = "amount") -> Decimal:
    """Reject floats and other numbers early, where the mistake is still easy to find."""
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a decimal.Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def has_at_most_two_decimals(amount: Decimal) -> bool:
    """True for 12, 12.5 and 12.50 but not 12.505 (trailing zeros beyond cents are fine)."""
    return amount == amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to_cent(amount: Decimal) -> Decimal:
    """Half-up, the rounding Estonian tax practice and people expect (0.005 → 0.01)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _grouped(amount: Decimal, thousands: str, decimal_mark: str) -> str:
    sign = "-" if amount < 0 else ""
    whole, _, cents = f"{abs(round_to_cent(amount)):.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{thousands.join(groups)}{decimal_mark}{cents}"


def format_money_et(amount: Decimal, currency: str = "EUR") -> str:
    """Estonian style: ``1 234,56 €`` (space-grouped, decimal comma, symbol after)."""
    number = _grouped(amount, " ", ",")
    return f"{number} {CURRENCY_SYMBOLS.get(currency, currency)}"


def format_money_en(amount: Decimal, currency: str = "EUR") -> str:
    """English style: ``€1,234.56`` (or ``1,234.56 USD`` for currencies without a symbol)."""
    number = _grouped(amount, ",", ".")
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return f"{number} {currency}"
    if number.startswith("-"):
        return f"-{symbol}{number[1:]}"
    return f"{symbol}{number}"


def format_rate(rate: Decimal) -> str:
    """``20 %``, ``9,5 %``: no trailing zeros, decimal comma, space before % as in Estonian."""
    text = format(rate.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')} %"


def format_date_et(day: date) -> str:
    """``dd.mm.yyyy``, the Estonian convention on invoices."""
    return day.strftime("%d.%m.%Y")
