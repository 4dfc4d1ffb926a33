import pytest

from services.billing.domain.reference import (
    ReferenceNumberError,
    check_digit,
    format_reference,
    is_valid_reference,
    normalize_reference,
    reference_number,
)


@pytest.mark.parametrize(
    ("base", "reference"),
    [
        (12131295, "121312952"),  # Pangaliit's worked example
        ("12131295", "121312952"),
        (123, "1232"),
        (1, "13"),  # 1×7 = 7 → 3
        (12345, "123453"),  # 5×7 + 4×3 + 3×1 + 2×7 + 1×3 = 67 → 3
        (10, "107"),  # 0×7 + 1×3 = 3 → 7
        ("0", "00"),  # sum 0 → check 0, not 10
        ("1234567890123456789", "12345678901234567894"),  # 19-digit base, the longest allowed
    ],
)
def test_reference_number(base, reference):
    assert reference_number(base) == reference
    assert is_valid_reference(reference)


def test_spaces_in_the_base_are_ignored():
    assert reference_number("1213 1295") == "121312952"


@pytest.mark.parametrize("base", ["", "12a", "-1", -1, "12345678901234567890", True, 1.5, None, "１２３"])
def test_bad_bases_are_refused(base):
    with pytest.raises(ReferenceNumberError):
        reference_number(base)


@pytest.mark.parametrize("value", ["121312952", "1232", "13", "1213 1295 2", " 1232 ", "00"])
def test_valid_references(value):
    assert is_valid_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "121312953",  # wrong check digit
        "121312925",  # two digits swapped
        "1233",
        "1",  # too short: a check digit needs a base
        "",
        "   ",
        "123456789012345678903",  # 21 digits
        "12a2",
        "12-32",
        "12\t32",  # only spaces are ignored
        "１２３２",  # full-width digits
        "+1232",
    ],
)
def test_invalid_references(value):
    assert not is_valid_reference(value)


def test_21_digits_are_too_long_even_with_a_correct_check_digit():
    base = "12345678901234567890"
    assert not is_valid_reference(base + check_digit(base))


def test_non_strings_are_not_references():
    assert not is_valid_reference(1232)  # type: ignore[arg-type]
    assert normalize_reference(None) is None  # type: ignore[arg-type]


def test_normalize_strips_spaces():
    assert normalize_reference("1213 1295 2") == "121312952"
    assert normalize_reference("1213 1295 3") is None


def test_printed_in_groups_of_four():
    assert format_reference("121312952") == "1213 1295 2"
    assert format_reference("1232") == "1232"
