"""What the conditions state, and the digest a confirmation is checked against."""
from __future__ import annotations

from decimal import Decimal

from services.enrolment.domain.conditions import (
    ANY_LATER_SAME_DAY,
    BROCHURE_RULE,
    MakeUpRule,
    is_digest,
    stated_conditions,
)

CAP = Decimal("768.00")


def test_the_vat_clause_is_left_out_only_where_vat_does_not_apply():
    assert stated_conditions(CAP, True, None).vat_clause is True
    assert stated_conditions(CAP, None, None).vat_clause is True  # billing's setting: VAT by default
    assert stated_conditions(CAP, False, None).vat_clause is False


def test_no_rule_from_attendance_is_the_brochures():
    assert stated_conditions(CAP, None, None).make_up == BROCHURE_RULE == MakeUpRule(True, "before_own_next_day")


def test_the_digest_changes_with_each_term_stated_and_only_with_them():
    base = stated_conditions(CAP, None, None)
    assert is_digest(base.digest)
    assert base.digest == stated_conditions(Decimal("768"), True, BROCHURE_RULE).digest
    others = [stated_conditions(Decimal("900.00"), None, None), stated_conditions(CAP, False, None),
              stated_conditions(CAP, None, MakeUpRule(True, ANY_LATER_SAME_DAY)),
              stated_conditions(CAP, None, MakeUpRule(False))]
    assert len({base.digest, *(o.digest for o in others)}) == 5
    # With make-ups off the window is not stated: switching it changes nothing the member reads.
    assert MakeUpRule(False).stated == MakeUpRule(False, ANY_LATER_SAME_DAY).stated
    assert stated_conditions(CAP, None, MakeUpRule(False)).digest == stated_conditions(
        CAP, None, MakeUpRule(False, ANY_LATER_SAME_DAY)).digest


def test_only_a_digest_looks_like_one():
    assert not any(is_digest(v) for v in (None, 12, "abc", "G" * 64, "A" * 64, ["0" * 64], "0" * 63))
    assert is_digest("0" * 64)
