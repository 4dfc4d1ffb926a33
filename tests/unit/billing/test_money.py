from datetime import date
from decimal import Decimal

import pytest

from services.billing.domain.money import (
    format_date_et,
    format_money_en,
    format_money_et,
    format_rate,
    has_at_most_two_decimals,
    require_decimal,
    round_to_cent,
)


@pytest.mark.parametrize(
    ("amount", "et", "en"),
    [
        ("768", "768,00 €", "€768.00"),
        ("0", "0,00 €", "€0.00"),
        ("1234.5", "1 234,50 €", "€1,234.50"),
        ("1234567.89", "1 234 567,89 €", "€1,234,567.89"),
        ("-768.00", "-768,00 €", "-€768.00"),
        ("0.005", "0,01 €", "€0.01"),
    ],
)
def test_money_formats(amount, et, en):
    assert format_money_et(Decimal(amount)) == et
    assert format_money_en(Decimal(amount)) == en


def test_other_currencies_show_their_code():
    assert format_money_et(Decimal("5"), "USD") == "5,00 USD"
    assert format_money_en(Decimal("5"), "USD") == "5.00 USD"


@pytest.mark.parametrize(("rate", "text"), [("20", "20 %"), ("24.00", "24 %"), ("9.5", "9,5 %"), ("0", "0 %")])
def test_rate_format(rate, text):
    assert format_rate(Decimal(rate)) == text


def test_date_format():
    assert format_date_et(date(2019, 4, 9)) == "09.04.2019"


def test_cents():
    assert has_at_most_two_decimals(Decimal("12.50"))
    assert has_at_most_two_decimals(Decimal("12.500"))
    assert not has_at_most_two_decimals(Decimal("12.505"))
    assert round_to_cent(Decimal("0.125")) == Decimal("0.13")
    assert round_to_cent(Decimal("-0.125")) == Decimal("-0.13")


@pytest.mark.parametrize("value", [1.5, 2, True, "1.50", None])
def test_only_decimals_are_money(value):
    with pytest.raises(TypeError):
        require_decimal(value)


def test_non_finite_decimals_are_not_money():
    with pytest.raises(ValueError):
        require_decimal(Decimal("NaN"))
