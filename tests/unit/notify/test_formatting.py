from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.notify.domain import formatting as f


def test_dates_read_naturally_in_each_language():
    day = date(2019, 4, 9)
    assert f.format_date(day, "et") == "09.04.2019"
    assert f.format_date(day, "en") == "9 April 2019"
    assert f.weekday(day, "et") == "teisipäev"
    assert f.weekday(day, "en") == "Tuesday"


def test_moments_are_shown_on_the_tallinn_clock():
    # 22:30 UTC on 1 March is already 2 March in Tallinn (UTC+2 in winter).
    moment = datetime(2019, 3, 1, 22, 30, tzinfo=UTC)
    assert f.format_date(moment, "et") == "02.03.2019"
    assert f.format_datetime(moment, "et") == "02.03.2019 kell 00:30"
    assert f.format_datetime(moment, "en") == "2 March 2019 at 00:30"
    # Summer time: a 10:00 session starts at 07:00 UTC.
    assert f.format_time(datetime(2019, 4, 9, 7, 0, tzinfo=UTC)) == "10:00"


def test_iso_strings_from_the_bus_are_accepted():
    assert f.format_date("2019-04-09", "en") == "9 April 2019"
    assert f.format_time("2019-04-09T07:00:00+00:00") == "10:00"


def test_a_naive_datetime_is_a_bug_not_a_guess():
    with pytest.raises(ValueError):
        f.format_date(datetime(2019, 4, 9, 10, 0), "et")


@pytest.mark.parametrize(
    ("amount", "et", "en"),
    [
        (Decimal("768"), "768,00 €", "€768.00"),
        ("768.00", "768,00 €", "€768.00"),
        (256, "256,00 €", "€256.00"),
        ("1234.5", "1 234,50 €", "€1,234.50"),
        ("0.005", "0,01 €", "€0.01"),  # half-up, as invoices round
        ("-768.00", "-768,00 €", "-€768.00"),
    ],
)
def test_money(amount, et, en):
    assert f.format_money(amount, "et") == et
    assert f.format_money(amount, "en") == en


@pytest.mark.parametrize("bad", [768.0, True, "abc", "NaN", None])
def test_money_is_never_a_float_or_garbage(bad):
    with pytest.raises((TypeError, ValueError)):
        f.format_money(bad)


def test_unknown_language_means_estonian():
    assert f.language("de") == "et"
    assert f.language(None) == "et"
    assert f.format_money(768, "fi") == "768,00 €"


def test_roman_day_numbers():
    assert [f.roman(n) for n in (1, 2, 3)] == ["I", "II", "III"]


def test_a_venue_not_booked_reads_as_to_be_confirmed_in_each_language():
    assert f.venue("", "et") == "täpsustamisel" and f.venue("  ", "en") == "to be confirmed"
    assert f.venue(None, "de") == "täpsustamisel"  # the fallback language
    assert f.venue(" Pärnu Keskraamatukogu ", "en") == "Pärnu Keskraamatukogu"


def test_alternatives_read_as_a_sentence_in_each_language():
    assert f.one_of(["Pärnu", "Tartu", "Rakvere", "Tallinn"], "et") == "Pärnu, Tartu, Rakvere või Tallinn"
    assert f.one_of(["Pärnu", "Tartu"], "en") == "Pärnu or Tartu"
    assert f.one_of(["Viljandi"], "en") == "Viljandi" and f.one_of([], "et") == ""
