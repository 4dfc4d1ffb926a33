from datetime import date

import pytest

from services.reporting.domain.personal_code import (
    InvalidPersonalCode,
    PersonalCode,
    is_valid_personal_code,
    mask,
    parse_personal_code,
)


@pytest.mark.parametrize(
    ("code", "birth_date", "sex"),
    [
        # python-stdnum's own examples (stdnum/ee/ik.py docstring and tests/test_ee_ik.doctest)
        ("36805280109", date(1968, 5, 28), "male"),
        ("16805280107", date(1868, 5, 28), "male"),
        ("51205280105", date(2012, 5, 28), "male"),
        ("46805280103", date(1968, 5, 28), "female"),
        # made up, one per century and sex digit
        ("28701010018", date(1887, 1, 1), "female"),
        ("48703120228", date(1987, 3, 12), "female"),
        ("38703120227", date(1987, 3, 12), "male"),
        ("50104170126", date(2001, 4, 17), "male"),
        ("60104180178", date(2001, 4, 18), "female"),
        ("19912310020", date(1899, 12, 31), "male"),
        # born on 29 February of leap years
        ("60002291230", date(2000, 2, 29), "female"),
        ("49602290124", date(1996, 2, 29), "female"),
        ("50402290123", date(2004, 2, 29), "male"),
        # check digit through the second weight row (3–9,1,2,3), and that row's 10 → 0
        ("48703120005", date(1987, 3, 12), "female"),
        ("48703120240", date(1987, 3, 12), "female"),
    ],
)
def test_valid_codes_give_birth_date_and_sex(code, birth_date, sex):
    assert parse_personal_code(code) == PersonalCode(code=code, birth_date=birth_date, sex=sex)
    assert is_valid_personal_code(code)


def test_spaces_are_ignored_and_the_code_is_returned_compact():
    assert parse_personal_code(" 368 0528 0109 ").code == "36805280109"


@pytest.mark.parametrize(
    ("code", "english"),
    [
        ("36805280108", "check digit"),  # stdnum's wrong-check-digit example
        ("48703120227", "check digit"),  # made up: the male code's check digit on a female code
        ("38703120228", "check digit"),
        ("48703120001", "check digit"),  # second weight row expected 5
        ("48703120241", "check digit"),  # second weight row gave 10, so 0 expected
        ("06805280106", "first digit or birth date"),  # stdnum: invalid first digit
        ("98102290101", "first digit or birth date"),
        ("38102290106", "first digit or birth date"),  # stdnum: 29 Feb 1981 does not exist
        ("20002290111", "first digit or birth date"),  # 1800 was no leap year
        ("36813280106", "first digit or birth date"),  # month 13
        ("368052801099", "11 digits"),
        ("3680528010", "11 digits"),
        ("3680528010X", "only digits"),
        ("36805-280109", "only digits"),
        ("", "missing"),
        ("   ", "missing"),
    ],
)
def test_invalid_codes_are_refused_with_both_languages(code, english):
    with pytest.raises(InvalidPersonalCode) as caught:
        parse_personal_code(code)
    assert english in caught.value.message_en
    assert caught.value.message_et
    assert str(caught.value) == caught.value.message_en
    assert not is_valid_personal_code(code)


def test_a_22nd_century_code_is_refused_although_stdnum_accepts_it():
    # stdnum's own example of a 2112 birth date; no participant can have one
    with pytest.raises(InvalidPersonalCode) as caught:
        parse_personal_code("81205280108")
    assert "1–6" in caught.value.message_en


def test_a_birth_date_after_today_is_refused_only_when_today_is_given():
    assert parse_personal_code("50402290123").birth_date == date(2004, 2, 29)
    with pytest.raises(InvalidPersonalCode, match="future"):
        parse_personal_code("50402290123", today=date(2004, 2, 28))
    assert parse_personal_code("50402290123", today=date(2004, 2, 29))


def test_non_text_is_refused():
    with pytest.raises(InvalidPersonalCode):
        parse_personal_code(36805280109)  # type: ignore[arg-type]
    with pytest.raises(InvalidPersonalCode):
        parse_personal_code(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "masked"),
    [
        ("36805280109", "3*********9"),
        ("48703120228", "4*********8"),
        ("368 0528 0109", "3*********9"),
        ("123", "1*3"),
        ("12", "**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_shows_only_the_first_and_last_digit(code, masked):
    assert mask(code) == masked


def test_mask_hides_the_birth_date_and_serial():
    masked = mask("36805280109")
    assert "680528" not in masked and "010" not in masked
    assert len(masked) == 11
