"""Properties that must hold for every input, not just the examples in the other tests."""
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from services.billing.domain.claims import CLAIM_CAP, SESSION_DAYS, check_approved_amount, propose_amount
from services.billing.domain.reference import is_valid_reference, reference_number
from services.billing.domain.vat import STANDARD_RATES, split_gross

grosses = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000.00"), places=2)
table_rates = st.sampled_from([period.rate for period in STANDARD_RATES] + [Decimal(0)])
bases = st.text(alphabet="0123456789", min_size=1, max_size=19)


@given(gross=grosses, rate=table_rates)
def test_net_plus_vat_is_the_gross(gross, rate):
    split = split_gross(gross, rate)
    assert split.net + split.vat == split.gross == gross
    assert split.net.as_tuple().exponent == split.vat.as_tuple().exponent == -2
    assert Decimal(0) <= split.vat <= gross


@given(gross=grosses, rate=table_rates)
def test_vat_is_the_nearest_cent_to_the_exact_share(gross, rate):
    exact = gross * rate / (100 + rate)
    assert abs(split_gross(gross, rate).vat - exact) <= Decimal("0.005")


@given(gross=grosses, rate=table_rates)
def test_credit_notes_mirror_invoices(gross, rate):
    invoice, credit = split_gross(gross, rate), split_gross(-gross, rate)
    assert (credit.net, credit.vat) == (-invoice.net, -invoice.vat)


@given(
    days=st.integers(min_value=0, max_value=SESSION_DAYS),
    daily_rate=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("10000.00"), places=2),
    cap=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("10000.00"), places=2),
)
def test_proposal_never_exceeds_the_cap(days, daily_rate, cap):
    proposal = propose_amount(days, daily_rate=daily_rate, cap=cap)
    assert Decimal(0) <= proposal.amount <= cap
    assert proposal.capped == (days * daily_rate > cap)
    if not proposal.capped:
        assert proposal.amount == days * daily_rate


@given(days=st.integers(min_value=0, max_value=SESSION_DAYS))
def test_a_default_proposal_can_always_be_approved_unless_it_is_zero(days):
    proposal = propose_amount(days)
    assert proposal.amount <= CLAIM_CAP
    if proposal.amount > 0:
        assert check_approved_amount(proposal.amount) == proposal.amount


@given(base=bases)
def test_every_generated_reference_is_valid(base):
    reference = reference_number(base)
    assert reference.startswith(base) and len(reference) == len(base) + 1
    assert is_valid_reference(reference)


@given(base=bases, data=st.data())
def test_changing_any_one_digit_invalidates_the_reference(base, data):
    reference = reference_number(base)
    position = data.draw(st.integers(min_value=0, max_value=len(reference) - 1), label="position")
    digit = data.draw(st.sampled_from("0123456789"), label="digit")
    assume(digit != reference[position])
    changed = reference[:position] + digit + reference[position + 1 :]
    assert not is_valid_reference(changed)


@given(base=bases)
def test_spaces_anywhere_do_not_matter(base):
    reference = reference_number(base)
    grouped = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    assert is_valid_reference(f" {grouped} ")
