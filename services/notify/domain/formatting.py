"""How dates, times and money read in an e-mail, in Estonian and English.

Hand-written rather than locale-driven: the output must not depend on the host's locale
data, and a participant in Estonia reads times in Europe/Tallinn whatever the server says.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

TALLINN = ZoneInfo("Europe/Tallinn")
LANGUAGES = ("et", "en")
DEFAULT_LANGUAGE = "et"

MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
WEEKDAYS = {
    "et": ("esmaspäev", "teisipäev", "kolmapäev", "neljapäev", "reede", "laupäev", "pühapäev"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
CENT = Decimal("0.01")


def language(value: str | None) -> str:
    """Anything we have no texts for falls back to Estonian, the programme's language."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def local_moment(value: datetime | str) -> datetime:
    """An aware moment shown on the Tallinn wall clock; a naive one is a bug upstream."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError("naive datetime: every time in this system carries its zone")
    return value.astimezone(TALLINN)


def calendar_day(value: date | datetime | str) -> date:
    """A date stays as it is; a moment becomes the Tallinn date it falls on."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return local_moment(value).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def format_date(value: date | datetime | str, lang: str = DEFAULT_LANGUAGE) -> str:
    """09.04.2019 in Estonian, 9 April 2019 in English."""
    day = calendar_day(value)
    if language(lang) == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day:%d.%m.%Y}"


def format_time(value: datetime | str, lang: str = DEFAULT_LANGUAGE) -> str:
    """24-hour clock in both languages: the programme's day is 10:00–17:00."""
    return f"{local_moment(value):%H:%M}"


def format_datetime(value: datetime | str, lang: str = DEFAULT_LANGUAGE) -> str:
    moment = local_moment(value)
    if language(lang) == "en":
        return f"{format_date(moment, 'en')} at {moment:%H:%M}"
    return f"{format_date(moment, 'et')} kell {moment:%H:%M}"


def weekday(value: date | datetime | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return WEEKDAYS[language(lang)][calendar_day(value).weekday()]


def one_of(items, lang: str = DEFAULT_LANGUAGE) -> str:
    """Alternatives as a sentence says them: "Pärnu, Tartu või Tallinn" / "Pärnu, Tartu or Tallinn"."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {'or' if language(lang) == 'en' else 'või'} {items[-1]}"


# A venue not booked yet is left empty in the edition; each language says so in its own words.
VENUE_TO_BE_CONFIRMED = {"et": "täpsustamisel", "en": "to be confirmed"}


def venue(value: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The session's venue, or "täpsustamisel" / "to be confirmed" while the edition has none."""
    text = (value or "").strip()
    return text or VENUE_TO_BE_CONFIRMED[language(lang)]


def roman(number: int) -> str:
    """Session days are I, II, III in the brochure."""
    return ROMAN.get(int(number), str(number))


def to_money(value: Decimal | int | str) -> Decimal:
    """Money is a Decimal or a decimal string (as on the bus), never a float."""
    if isinstance(value, float | bool):
        raise TypeError("money must be a Decimal or a decimal string, never a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValueError(f"not an amount of money: {value!r}") from error
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal | int | str, lang: str = DEFAULT_LANGUAGE) -> str:
    """768,00 € in Estonian (space groups thousands), €768.00 in English."""
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    if language(lang) == "en":
        return f"{sign}€{digits}"
    return f"{sign}{digits.replace(',', ' ').replace('.', ',')} €"
