"""Estonian personal code (isikukood): ``G YYMMDD SSS C``.

Validation, birth date and sex come from python-stdnum (``stdnum.ee.ik``); the check digit is
not re-implemented here. Statistics Estonia links register data on this code, so a code that
fails the check is refused rather than stored with a warning.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum import exceptions as stdnum_errors
from stdnum.ee import ik

BirthSex = Literal["female", "male"]

# stdnum also accepts 7/8 (born in the 2100s); nobody alive has such a code, so a leading 7 or 8
# is far more likely a typo than a real person.
_CENTURY_DIGITS = "123456"


class InvalidPersonalCode(ValueError):
    """A code that is not a valid isikukood, with a message for each UI language."""

    def __init__(self, message_et: str, message_en: str):
        super().__init__(message_en)
        self.message_et = message_et
        self.message_en = message_en


@dataclass(frozen=True, slots=True)
class PersonalCode:
    code: str
    birth_date: date
    sex: BirthSex


def parse_personal_code(code: str, *, today: date | None = None) -> PersonalCode:
    """Validate ``code`` and derive birth date and sex.

    Spaces are ignored. With ``today`` given, a birth date after it is refused too.
    """
    if not isinstance(code, str):
        raise InvalidPersonalCode("Isikukood puudub.", "The personal code is missing.")
    compact = ik.compact(code)
    if not compact:
        raise InvalidPersonalCode("Isikukood puudub.", "The personal code is missing.")
    try:
        ik.validate(compact)
    except stdnum_errors.InvalidLength:
        raise InvalidPersonalCode(
            "Isikukood peab olema 11-kohaline.", "The personal code must have 11 digits."
        ) from None
    except stdnum_errors.InvalidComponent:
        raise InvalidPersonalCode(
            "Isikukoodi esimene number või sünniaeg ei ole võimalik.",
            "The personal code's first digit or birth date is not possible.",
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise InvalidPersonalCode(
            "Isikukoodi kontrollnumber ei klapi — palun kontrolli numbreid.",
            "The personal code's check digit does not match — please check the digits.",
        ) from None
    except stdnum_errors.InvalidFormat:  # after its subclasses InvalidLength and co.
        raise InvalidPersonalCode(
            "Isikukood võib sisaldada ainult numbreid.", "The personal code may contain only digits."
        ) from None
    except stdnum_errors.ValidationError:
        raise InvalidPersonalCode("Isikukood ei ole korrektne.", "The personal code is not valid.") from None
    if compact[0] not in _CENTURY_DIGITS:
        raise InvalidPersonalCode(
            "Isikukoodi esimene number peab olema 1–6.", "The personal code must start with 1–6."
        )
    birth_date = ik.get_birth_date(compact)
    if today is not None and birth_date > today:
        raise InvalidPersonalCode(
            "Isikukoodi sünniaeg on tulevikus.", "The personal code's birth date is in the future."
        )
    sex: BirthSex = "female" if ik.get_gender(compact) == "F" else "male"
    return PersonalCode(code=compact, birth_date=birth_date, sex=sex)


def is_valid_personal_code(code: str) -> bool:
    try:
        parse_personal_code(code)
    except InvalidPersonalCode:
        return False
    return True


def mask(code: str | None) -> str:
    """Show only the first and the last digit: ``"36805280109"`` → ``"3*********9"``.

    The first digit gives away sex and century only; the birth date and serial, which together
    identify the person, stay hidden. The length is kept so a screen still reads as a code.
    Anything too short to mask meaningfully is fully starred.
    """
    if not code:
        return ""
    compact = "".join(code.split())
    if len(compact) < 3:
        return "*" * len(compact)
    return compact[0] + "*" * (len(compact) - 2) + compact[-1]
