from dataclasses import dataclass
from datetime import date

import pytest
import yaml

from services.reporting.domain.participant import Participant
from services.reporting.domain.rules import (
    AgeAtEntry,
    AllOf,
    AnyOf,
    DistinctOrganisations,
    Everyone,
    FieldIn,
    IscedLevel,
    NotCollected,
    Outcome,
    Rule,
    RuleError,
    parse_rule,
)

MATCH, NO, UNKNOWN, DECLINED = Outcome.MATCH, Outcome.NO_MATCH, Outcome.UNKNOWN, Outcome.DECLINED
ENTRY = date(2019, 4, 17)


def person(**fields):
    return Participant(participant_id="p", entry_date=ENTRY, **fields)


def rule(text):
    return parse_rule(yaml.safe_load(text))


def aged(years):
    """Someone whose birthday is the entry day, so they have just turned ``years``."""
    return person(birth_date=ENTRY.replace(year=ENTRY.year - years))


@pytest.mark.parametrize(
    ("text", "age", "outcome"),
    [
        ("{age_at_entry: {lt: 18}}", 17, MATCH),
        ("{age_at_entry: {lt: 18}}", 18, NO),
        ("{age_at_entry: {between: [18, 29]}}", 18, MATCH),
        ("{age_at_entry: {between: [18, 29]}}", 29, MATCH),
        ("{age_at_entry: {between: [18, 29]}}", 30, NO),
        ("{age_at_entry: {gte: 55}}", 54, NO),
        ("{age_at_entry: {gte: 55}}", 55, MATCH),
        ("{age_at_entry: {gt: 54}}", 54, NO),
        ("{age_at_entry: {gt: 54}}", 55, MATCH),
        ("{age_at_entry: {lt: 25}}", 24, MATCH),
        ("{age_at_entry: {lt: 25}}", 25, NO),
        ("{age_at_entry: {lte: 24}}", 24, MATCH),
        ("{age_at_entry: {lte: 24}}", 25, NO),
    ],
)
def test_age_bands_at_their_edges(text, age, outcome):
    assert rule(text).evaluate(aged(age)) is outcome


def test_29_on_the_day_before_the_30th_birthday_and_30_on_it():
    eighteen_to_29 = rule("{age_at_entry: {between: [18, 29]}}")
    day_before = person(birth_date=date(1989, 4, 18))
    on_the_day = person(birth_date=date(1989, 4, 17))
    assert (day_before.age_at_entry, on_the_day.age_at_entry) == (29, 30)
    assert eighteen_to_29.evaluate(day_before) is MATCH
    assert eighteen_to_29.evaluate(on_the_day) is NO


def test_unknown_age_is_unknown_not_no():
    assert rule("{age_at_entry: {gte: 55}}").evaluate(person()) is UNKNOWN


def test_age_bands_decide_only_when_the_whole_band_agrees():
    interval = rule("{age_at_entry: {between: [18, 29]}}").interval
    assert interval.test(18, 24) is MATCH
    assert interval.test(30, 54) is NO
    assert interval.test(25, 54) is UNKNOWN
    assert rule("{age_at_entry: {gte: 55}}").interval.test(55, float("inf")) is MATCH


@pytest.mark.parametrize(
    ("value", "outcome"),
    [("unemployed", MATCH), ("long_term_unemployed", MATCH), ("employed", NO), ("inactive", NO),
     (None, UNKNOWN), ("declined", DECLINED)],
)
def test_field_in(value, outcome):
    unemployed = rule("{field: employment_status, in: [unemployed, long_term_unemployed]}")
    assert unemployed.evaluate(person(employment_status=value)) is outcome


@pytest.mark.parametrize(
    ("value", "outcome"), [("yes", MATCH), ("no", NO), (None, UNKNOWN), ("declined", DECLINED)]
)
def test_answers_are_never_guessed(value, outcome):
    assert rule('{field: disability, equals: "yes"}').evaluate(person(disability=value)) is outcome


def test_bare_yaml_yes_is_read_as_the_answer_yes():
    assert rule("{field: disability, equals: yes}") == FieldIn("disability", frozenset({"yes"}))
    assert rule("{field: disability, in: [yes, no]}") == FieldIn("disability", frozenset({"yes", "no"}))


@pytest.mark.parametrize(
    ("isced", "outcome"),
    [(0, MATCH), (2, MATCH), (3, NO), (8, NO), (None, UNKNOWN), ("declined", DECLINED)],
)
def test_isced_band(isced, outcome):
    assert rule("{isced: {between: [0, 2]}}").evaluate(person(isced=isced)) is outcome


def test_isced_0_is_outside_isced_1_to_2():
    assert rule("{isced: {between: [1, 2]}}").evaluate(person(isced=0)) is NO


@dataclass(frozen=True)
class Fixed(Rule):
    outcome: Outcome

    def evaluate(self, record):
        return self.outcome


# Three-valued logic: a definite "no" settles all, a definite "yes" settles any; otherwise a
# refusal outranks a gap.
@pytest.mark.parametrize(
    ("parts", "all_outcome", "any_outcome"),
    [
        ((MATCH, MATCH), MATCH, MATCH),
        ((MATCH, NO), NO, MATCH),
        ((NO, NO), NO, NO),
        ((MATCH, UNKNOWN), UNKNOWN, MATCH),
        ((NO, UNKNOWN), NO, UNKNOWN),
        ((MATCH, DECLINED), DECLINED, MATCH),
        ((NO, DECLINED), NO, DECLINED),
        ((UNKNOWN, DECLINED), DECLINED, DECLINED),
        ((UNKNOWN, UNKNOWN), UNKNOWN, UNKNOWN),
    ],
)
def test_all_and_any(parts, all_outcome, any_outcome):
    rules = tuple(Fixed(outcome) for outcome in parts)
    assert AllOf(rules).evaluate(person()) is all_outcome
    assert AnyOf(rules).evaluate(person()) is any_outcome


def test_not_collected_is_unknown_for_everyone():
    not_collected = rule("{not_collected: household composition}")
    assert not_collected == NotCollected("household composition")
    assert not_collected.evaluate(person(employment_status="employed")) is UNKNOWN
    assert not not_collected.collected


def test_partly_answerable_rules_count_as_collected():
    inactive_not_in_education = rule(
        "{all: [{field: employment_status, equals: inactive}, {not_collected: education}]}"
    )
    assert inactive_not_in_education.collected
    assert inactive_not_in_education.evaluate(person(employment_status="employed")) is NO
    assert inactive_not_in_education.evaluate(person(employment_status="inactive")) is UNKNOWN


def test_parsed_shapes():
    assert rule("{everyone: true}") == Everyone()
    assert rule("{distinct_organisations: {kind: ngo}}") == DistinctOrganisations("ngo")
    assert rule("{distinct_organisations: true}") == DistinctOrganisations(None)
    assert isinstance(rule("{age_at_entry: {lt: 18}}"), AgeAtEntry)
    assert isinstance(rule("{isced: {gte: 5}}"), IscedLevel)


def test_age_edges_are_where_answers_change():
    assert rule("{age_at_entry: {between: [18, 29]}}").age_edges() == {18, 30}
    assert rule("{age_at_entry: {gt: 54}}").age_edges() == {55}
    assert rule("{all: [{age_at_entry: {lt: 25}}, {field: disability, equals: yes}]}").age_edges() == {25}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{field: employment_status, equals: unemplyed}", "no value"),
        ("{field: employment_status, equals: declined}", "no value"),
        ("{field: disability, equals: maybe}", "no value"),
        ("{field: shoe_size, equals: 42}", "unknown field"),
        ("{field: disability}", "exactly one of"),
        ("{field: disability, equals: yes, in: [yes]}", "exactly one of"),
        ("{field: disability, in: []}", "non-empty"),
        ("{age_at_entry: {lt: 18, gt: 5}}", "one of lt"),
        ("{age_at_entry: {below: 18}}", "unknown comparison"),
        ("{age_at_entry: {between: [29, 18]}}", "empty"),
        ("{age_at_entry: {between: [18]}}", "between takes"),
        ("{age_at_entry: {lt: '18'}}", "whole number"),
        ("{age_at_entry: {lt: true}}", "whole number"),
        ("{isced: {between: [9, 12]}}", "ISCED"),
        ("{all: []}", "non-empty"),
        ("{any: {field: disability}}", "non-empty"),
        ("{everyone: yes please}", "everyone: true"),
        ("{not_collected: ''}", "reason"),
        ("{distinct_organisations: {kind: company}}", "organisation kind"),
        ("{distinct_organisations: {type: ngo}}", "distinct_organisations"),
        ("{agee_at_entry: {lt: 18}}", "unknown rule"),
        ("{everyone: true, all: []}", "exactly one key"),
        ("[everyone]", "mapping"),
        ("{all: [{field: disability, equals: maybe}]}", r"all\[0\]"),
    ],
)
def test_bad_rules_are_refused_with_a_pointer(text, message):
    with pytest.raises(RuleError, match=message):
        rule(text)
