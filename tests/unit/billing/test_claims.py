from decimal import Decimal

import pytest

from services.billing.domain.claims import (
    CLAIM_CAP,
    DAILY_RATE,
    ClaimError,
    ClaimProposal,
    check_approved_amount,
    propose_amount,
)


@pytest.mark.parametrize(("days", "amount"), [(0, "0.00"), (1, "256.00"), (2, "512.00"), (3, "768.00")])
def test_proposal_is_days_held_times_the_daily_rate(days, amount):
    proposal = propose_amount(days)
    assert proposal.amount == Decimal(amount)
    assert str(proposal.amount) == amount
    assert proposal.days_held == days
    assert (proposal.daily_rate, proposal.cap) == (DAILY_RATE, CLAIM_CAP)
    assert proposal.capped is False  # 3 × 256 is exactly the cap, not above it


def test_explanations_show_the_calculation():
    proposal = propose_amount(2)
    assert proposal.explanation_et.startswith("2 päeva × 256,00 € = 512,00 €")
    assert "koos käibemaksuga" in proposal.explanation_et
    assert proposal.explanation_en.startswith("2 days × €256.00 = €512.00")


def test_one_day_is_singular():
    proposal = propose_amount(1)
    assert proposal.explanation_et.startswith("1 päev × 256,00 € = 256,00 €")
    assert proposal.explanation_en.startswith("1 day × €256.00 = €256.00")


def test_zero_days_suggests_a_waiver():
    proposal = propose_amount(0)
    assert proposal.amount == Decimal("0.00")
    assert "loobuda" in proposal.explanation_et
    assert "waived" in proposal.explanation_en


def test_amount_above_the_cap_is_capped_and_says_so():
    proposal = propose_amount(3, daily_rate=Decimal("300.00"))
    assert proposal == ClaimProposal(
        amount=Decimal("768.00"),
        days_held=3,
        daily_rate=Decimal("300.00"),
        cap=Decimal("768.00"),
        capped=True,
        explanation_et=proposal.explanation_et,
        explanation_en=proposal.explanation_en,
    )
    assert "3 päeva × 300,00 € = 900,00 €, piiratud ülempiiriga 768,00 €" in proposal.explanation_et
    assert "3 days × €300.00 = €900.00, capped at €768.00" in proposal.explanation_en


def test_a_configured_lower_cap_applies():
    proposal = propose_amount(2, cap=Decimal("400"))
    assert proposal.amount == Decimal("400.00") and proposal.capped


@pytest.mark.parametrize(("days", "key"), [(-1, "claim.days_held_out_of_range"), (4, "claim.days_held_out_of_range"),
                                           (1.0, "claim.days_held_invalid"), (True, "claim.days_held_invalid"),
                                           ("2", "claim.days_held_invalid")])
def test_impossible_day_counts_are_refused(days, key):
    with pytest.raises(ClaimError) as caught:
        propose_amount(days)
    assert caught.value.key == key


@pytest.mark.parametrize("rate", [256.0, Decimal("-1"), Decimal("256.001")])
def test_daily_rate_must_be_cents(rate):
    with pytest.raises(ClaimError):
        propose_amount(1, daily_rate=rate)


@pytest.mark.parametrize(("amount", "expected"), [("768.00", "768.00"), ("0.01", "0.01"), ("500", "500.00"),
                                                  ("12.500", "12.50")])
def test_approved_amount_within_the_cap(amount, expected):
    approved = check_approved_amount(Decimal(amount))
    assert approved == Decimal(expected) and str(approved) == expected


@pytest.mark.parametrize(
    ("amount", "key"),
    [
        (Decimal("0"), "claim.amount_not_positive"),
        (Decimal("0.00"), "claim.amount_not_positive"),
        (Decimal("-10.00"), "claim.amount_not_positive"),
        (Decimal("768.01"), "claim.amount_above_cap"),
        (Decimal("1000"), "claim.amount_above_cap"),
        (Decimal("100.005"), "claim.amount_too_precise"),
        (Decimal("NaN"), "claim.amount_not_decimal"),
        (Decimal("Infinity"), "claim.amount_not_decimal"),
        (500.0, "claim.amount_not_decimal"),
        ("500", "claim.amount_not_decimal"),
    ],
)
def test_approved_amount_errors_carry_a_key_and_both_languages(amount, key):
    with pytest.raises(ClaimError) as caught:
        check_approved_amount(amount)
    error = caught.value
    assert error.key == key
    assert error.message and error.message_et
    assert str(error) == error.message


def test_above_cap_message_names_both_amounts():
    with pytest.raises(ClaimError) as caught:
        check_approved_amount(Decimal("800"))
    assert "800,00 €" in caught.value.message_et and "768,00 €" in caught.value.message_et
    assert caught.value.params == {"amount": Decimal("800"), "cap": CLAIM_CAP}


def test_a_lower_cap_can_be_passed():
    with pytest.raises(ClaimError):
        check_approved_amount(Decimal("512.01"), cap=Decimal("512.00"))


def test_an_amount_above_the_proposal_is_refused_even_below_the_cap():
    with pytest.raises(ClaimError) as caught:
        check_approved_amount(Decimal("300"), proposed=Decimal("256.00"))
    assert caught.value.key == "claim.amount_above_proposal"
    assert "300,00 €" in caught.value.message_et and "256,00 €" in caught.value.message_et
    assert check_approved_amount(Decimal("256"), proposed=Decimal("256.00")) == Decimal("256.00")
    assert check_approved_amount(Decimal("100.5"), proposed=Decimal("256.00")) == Decimal("100.50")
