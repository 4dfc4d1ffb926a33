"""The composition rule at application time and after acceptance (withdrawal, substitution)."""

from datetime import UTC, datetime

import pytest

from services.enrolment.domain.composition import (
    LOCAL_GOVERNMENT,
    NGO,
    can_substitute,
    check_composition,
    check_substitution,
    composition_after_substitution,
    composition_after_withdrawal,
)
from services.enrolment.domain.composition import before_first_session_day as before_day

from .builders import tallinn

KOV, MTU = LOCAL_GOVERNMENT, NGO


def codes(problems):
    return [p.code for p in problems]


@pytest.mark.parametrize(
    "kinds",
    [[KOV, KOV, MTU, MTU], [MTU, KOV, MTU, KOV], [KOV, KOV, KOV, MTU, MTU], [KOV] * 2 + [MTU] * 8],
)
def test_valid_teams(kinds):
    assert check_composition(kinds) == []


@pytest.mark.parametrize(
    "kinds, expected",
    [
        ([KOV, KOV, MTU], ["too_few_members", "too_few_ngo_members"]),
        ([KOV, MTU, MTU, MTU, MTU], ["too_few_local_government_members"]),
        ([KOV, KOV, KOV, KOV, MTU], ["too_few_ngo_members"]),
        ([KOV, KOV, MTU, None], ["too_few_ngo_members"]),  # unknown kind counts only in the total
        ([], ["too_few_members", "too_few_local_government_members", "too_few_ngo_members"]),
    ],
)
def test_broken_teams_report_every_shortfall(kinds, expected):
    assert codes(check_composition(kinds)) == expected


def test_problem_texts_carry_the_counts():
    (problem,) = check_composition([KOV, MTU, MTU, MTU])
    assert "2" in problem.et and "(praegu 1)" in problem.et and "(now 1)" in problem.en


def test_accepts_any_iterable():
    assert check_composition(kind for kind in (KOV, KOV, MTU, MTU)) == []


# --- withdrawal ------------------------------------------------------------------------

TEAM = {"p1": KOV, "p2": KOV, "p3": MTU, "p4": MTU, "p5": MTU}


def test_withdrawal_that_keeps_the_rule():
    assert composition_after_withdrawal(TEAM, "p5") == []


def test_withdrawal_that_breaks_the_rule():
    assert codes(composition_after_withdrawal(TEAM, "p1")) == ["too_few_local_government_members"]
    smallest = {"p1": KOV, "p2": KOV, "p3": MTU, "p4": MTU}
    assert codes(composition_after_withdrawal(smallest, "p4")) == ["too_few_members", "too_few_ngo_members"]


def test_withdrawal_of_someone_not_in_the_team():
    assert codes(composition_after_withdrawal(TEAM, "p9")) == ["unknown_member"]


def test_withdrawal_check_does_not_change_the_team():
    team = dict(TEAM)
    composition_after_withdrawal(team, "p1")
    assert team == TEAM


# --- substitution ------------------------------------------------------------------------

SMALLEST = {"p1": KOV, "p2": KOV, "p3": MTU, "p4": MTU}


def test_like_for_like_substitution_keeps_the_rule():
    assert composition_after_substitution(SMALLEST, "p1", KOV) == []
    assert composition_after_substitution(SMALLEST, "p3", MTU) == []


def test_substitution_across_kinds_can_break_the_rule():
    assert codes(composition_after_substitution(SMALLEST, "p1", MTU)) == ["too_few_local_government_members"]
    assert composition_after_substitution(TEAM, "p5", KOV) == []


def test_substitute_from_an_unknown_organisation_counts_for_neither_side():
    assert codes(composition_after_substitution(SMALLEST, "p3", None)) == ["too_few_ngo_members"]


def test_substitution_allowed_only_before_the_first_session_day():
    assert can_substitute(True, SMALLEST, "p1", KOV)
    assert not can_substitute(False, SMALLEST, "p1", KOV)
    assert codes(check_substitution(False, SMALLEST, "p1", MTU)) == [
        "substitution_closed",
        "too_few_local_government_members",
    ]
    assert codes(check_substitution(True, SMALLEST, "p7", KOV)) == ["unknown_member"]


# Pärnu's first session: 09.04.2019 10:00 Tallinn (EEST, UTC+3).
PARNU_DAY_I = tallinn(2019, 4, 9, 10)


@pytest.mark.parametrize(
    "now, open_",
    [
        (tallinn(2019, 3, 2, 12), True),
        (tallinn(2019, 4, 8, 23, 59, 59, 999999), True),
        (tallinn(2019, 4, 9, 0), False),  # the day has begun, hours before the session
        (tallinn(2019, 4, 9, 9, 59), False),
        (tallinn(2019, 4, 10), False),
    ],
)
def test_before_first_session_day_is_judged_on_tallinn_calendar_days(now, open_):
    assert before_day(PARNU_DAY_I, now) is open_


def test_before_first_session_day_with_utc_inputs():
    # Midnight of 9 April in Tallinn (summer time, UTC+3) is 21:00 UTC on 8 April.
    first = PARNU_DAY_I.astimezone(UTC)
    assert before_day(first, datetime(2019, 4, 8, 20, 59, 59, tzinfo=UTC))
    assert not before_day(first, datetime(2019, 4, 8, 21, 0, tzinfo=UTC))


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        before_day(PARNU_DAY_I, datetime(2019, 4, 1))


# --- the edition's own rule (policy) -----------------------------------------------------

def test_an_editions_rule_replaces_the_brochures():
    from services.enrolment.domain.composition import CompositionRule

    rule = CompositionRule(min_members=5, min_local_government=3, min_ngo=1)
    assert codes(check_composition([KOV, KOV, MTU, MTU], rule)) == ["too_few_members", "too_few_local_government_members"]
    assert check_composition([KOV, KOV, KOV, MTU, MTU], rule) == []
    assert codes(composition_after_withdrawal({"a": KOV, "b": KOV, "c": KOV, "d": MTU, "e": MTU}, "e", rule)) == [
        "too_few_members"]
    assert codes(composition_after_substitution({"a": KOV, "b": KOV, "c": KOV, "d": MTU, "e": MTU}, "a", MTU,
                                                rule)) == ["too_few_local_government_members"]


@pytest.mark.parametrize(("values", "expected"), [
    ((4, 2, 2), {}),
    ((2, 1, 1), {}),
    ((1, 1, 1), {"min_team_members": ["min_members_below_kinds"]}),
    ((None, None, None), {}),
    ((0, 2, 2), {"min_team_members": ["below_one"]}),
    ((4, 0, 2), {"min_local_government_members": ["below_one"]}),
    ((4, 2, "2"), {"min_ngo_members": ["not_whole_number"]}),
    ((4, True, 2), {"min_local_government_members": ["not_whole_number"]}),
    ((41, 2, 2), {"min_team_members": ["too_large"]}),
    ((4, 3, 2), {"min_team_members": ["min_members_below_kinds"]}),
])
def test_the_rules_minimums(values, expected):
    from services.enrolment.domain.composition import rule_problems

    assert {path: codes(problems) for path, problems in rule_problems(*values).items()} == expected


# --- the edition's substitution cut-off (policy) ----------------------------------------------

PARNU_DAYS = {1: PARNU_DAY_I, 2: tallinn(2019, 4, 30, 10), 3: tallinn(2019, 5, 22, 10)}


@pytest.mark.parametrize(("allowed", "day", "now", "open_"), [
    (True, 1, tallinn(2019, 4, 8, 23, 59), True),
    (True, 1, tallinn(2019, 4, 9, 0), False),
    (True, 2, tallinn(2019, 4, 10, 12), True),
    (True, 2, tallinn(2019, 4, 30, 0), False),
    (True, 3, tallinn(2019, 5, 21, 23, 59), True),
    (False, 1, tallinn(2019, 3, 1), False),
])
def test_substitution_open_until_the_editions_day(allowed, day, now, open_):
    from services.enrolment.domain.composition import SubstitutionRule, substitution_open

    assert substitution_open(SubstitutionRule(allowed, day), PARNU_DAYS, now) is open_


def test_a_team_not_placed_may_substitute_unless_none_are_allowed():
    from services.enrolment.domain.composition import SubstitutionRule, substitution_open

    assert substitution_open(SubstitutionRule(True, 3), None, tallinn(2019, 6, 1))
    assert not substitution_open(SubstitutionRule(False, 1), None, tallinn(2019, 3, 1))


@pytest.mark.parametrize(("allowed", "day", "expected"), [
    (True, 1, {}), (False, 3, {}), (None, None, {}), (True, 4, {"substitution_until_day": ["day_invalid"]}),
    (True, "2", {"substitution_until_day": ["day_invalid"]}), (True, True, {"substitution_until_day": ["day_invalid"]}),
    ("yes", 1, {"substitutions_allowed": ["not_yes_no"]}),
])
def test_the_cut_off_values(allowed, day, expected):
    from services.enrolment.domain.composition import substitution_rule_problems

    assert {path: codes(problems) for path, problems in substitution_rule_problems(allowed, day).items()} == expected
