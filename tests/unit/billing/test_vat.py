from datetime import date
from decimal import Decimal

import pytest

from services.billing.domain.vat import (
    NO_VAT,
    STANDARD_RATES,
    RatePeriod,
    VatError,
    VatSplit,
    applicable_rate,
    rate_table_from_rows,
    split_gross,
    split_gross_on,
    vat_rate_on,
)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (date(2009, 7, 1), "20"),
        (date(2019, 4, 17), "20"),  # the brochure's edition
        (date(2023, 12, 31), "20"),
        (date(2024, 1, 1), "22"),
        (date(2025, 6, 30), "22"),
        (date(2025, 7, 1), "24"),
        (date(2030, 1, 1), "24"),
    ],
)
def test_rate_in_force_on_a_day(day, rate):
    assert vat_rate_on(day) == Decimal(rate)
    assert str(vat_rate_on(day)) == rate


def test_no_rate_before_the_table_starts():
    with pytest.raises(VatError, match="2009-06-30"):
        vat_rate_on(date(2009, 6, 30))


def test_table_order_does_not_matter():
    shuffled = (STANDARD_RATES[2], STANDARD_RATES[0], STANDARD_RATES[1])
    assert vat_rate_on(date(2024, 6, 1), shuffled) == Decimal("22")


def test_table_from_configuration_rows():
    table = rate_table_from_rows([("2019-01-01", "9"), (date(2020, 1, 1), Decimal("13.5"))])
    assert table == (
        RatePeriod(date(2019, 1, 1), Decimal("9")),
        RatePeriod(date(2020, 1, 1), Decimal("13.5")),
    )
    assert vat_rate_on(date(2019, 12, 31), table) == Decimal("9")
    assert vat_rate_on(date(2020, 1, 1), table) == Decimal("13.5")


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [("2019-01-01", "20"), ("2019-01-01", "22")],
        [("not a date", "20")],
        [("2019-01-01", "twenty")],
        [("2019-01-01", "100")],
        [("2019-01-01", "-1")],
    ],
)
def test_bad_tables_are_refused(rows):
    with pytest.raises(VatError):
        rate_table_from_rows(rows)


def test_float_rate_in_a_table_is_refused():
    with pytest.raises(VatError):
        vat_rate_on(date(2020, 1, 1), [RatePeriod(date(2019, 1, 1), 20.0)])


@pytest.mark.parametrize(
    ("gross", "rate", "net", "vat"),
    [
        ("768.00", "20", "640.00", "128.00"),
        ("768.00", "22", "629.51", "138.49"),
        ("768.00", "24", "619.35", "148.65"),
        ("512.00", "20", "426.67", "85.33"),
        ("256.00", "24", "206.45", "49.55"),
        ("768", "20", "640.00", "128.00"),
        ("0.00", "20", "0.00", "0.00"),
        ("0.03", "20", "0.02", "0.01"),  # VAT is exactly 0.005: half-up gives 0.01, banker's would give 0.00
        ("768.00", "0", "768.00", "0.00"),
    ],
)
def test_split_gross(gross, rate, net, vat):
    split = split_gross(Decimal(gross), Decimal(rate))
    assert split == VatSplit(net=Decimal(net), vat=Decimal(vat), gross=Decimal(gross), rate=Decimal(rate))
    assert str(split.net) == net and str(split.vat) == vat
    assert split.net + split.vat == split.gross


def test_gross_is_kept_in_cents():
    assert str(split_gross(Decimal("768"), Decimal("20")).gross) == "768.00"


def test_credit_note_split_mirrors_the_invoice():
    invoice = split_gross(Decimal("0.03"), Decimal("20"))
    credit = split_gross(Decimal("-0.03"), Decimal("20"))
    assert (credit.net, credit.vat) == (-invoice.net, -invoice.vat)


@pytest.mark.parametrize("gross", [768.0, 768, "768.00", Decimal("NaN"), Decimal("Infinity")])
def test_gross_must_be_a_finite_decimal(gross):
    with pytest.raises(VatError):
        split_gross(gross, Decimal("20"))


def test_gross_must_be_whole_cents():
    with pytest.raises(VatError, match="cents"):
        split_gross(Decimal("768.001"), Decimal("20"))


def test_trailing_zeros_beyond_cents_are_fine():
    assert split_gross(Decimal("768.000"), Decimal("20")).vat == Decimal("128.00")


@pytest.mark.parametrize("rate", [Decimal("-1"), Decimal("100"), 20.0])
def test_rate_must_be_sensible(rate):
    with pytest.raises(VatError):
        split_gross(Decimal("768.00"), rate)


def test_split_on_the_date_of_supply():
    assert split_gross_on(Decimal("768.00"), date(2019, 5, 9)).vat == Decimal("128.00")
    assert split_gross_on(Decimal("768.00"), date(2025, 7, 1)).vat == Decimal("148.65")


def test_without_vat_the_net_is_the_gross():
    split = split_gross_on(Decimal("768.00"), date(2019, 5, 9), vat_applies=False)
    assert split == VatSplit(Decimal("768.00"), Decimal("0.00"), Decimal("768.00"), NO_VAT)
    assert applicable_rate(date(2019, 5, 9), vat_applies=False) == Decimal("0")
    assert applicable_rate(date(2019, 5, 9)) == Decimal("20")
