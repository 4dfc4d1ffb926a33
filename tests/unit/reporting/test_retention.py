from dataclasses import fields
from datetime import date

import pytest

from services.reporting.domain.indicator_sets import available_sets, parse_indicator_set
from services.reporting.domain.indicators import compute_indicators
from services.reporting.domain.participant import Participant
from services.reporting.domain.retention import (
    AnonymisedRecord,
    age_band,
    anonymise,
    anonymise_all,
    default_age_edges,
    is_due_for_anonymisation,
    retention_until,
)

from .sample_group import GROUP, TALLINN_DAY_1


@pytest.mark.parametrize(
    ("last_payment", "years", "until"),
    [
        (date(2020, 6, 15), 5, date(2025, 12, 31)),
        (date(2020, 1, 1), 5, date(2025, 12, 31)),
        (date(2020, 12, 31), 5, date(2025, 12, 31)),
        (date(2024, 2, 29), 5, date(2029, 12, 31)),
        (date(2019, 6, 6), 10, date(2029, 12, 31)),
        (date(2019, 6, 6), 0, date(2019, 12, 31)),
    ],
)
def test_retention_runs_from_31_december_of_the_payment_year(last_payment, years, until):
    assert retention_until(last_payment, years) == until


def test_default_is_five_years():
    assert retention_until(date(2020, 6, 15)) == date(2025, 12, 31)


@pytest.mark.parametrize("years", [-1, 2.5, "5", True])
def test_retention_years_must_be_a_whole_number(years):
    with pytest.raises(ValueError):
        retention_until(date(2020, 6, 15), years)


def test_anonymisation_is_due_the_day_after_retention_ends():
    assert not is_due_for_anonymisation(date(2020, 6, 15), date(2025, 12, 31))
    assert is_due_for_anonymisation(date(2020, 6, 15), date(2026, 1, 1))
    assert is_due_for_anonymisation(date(2020, 6, 15), date(2026, 1, 1), years=6) is False


def test_age_band_edges_come_from_every_shipped_set():
    assert default_age_edges() == (18, 25, 30, 55)


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, (0, 17)), (17, (0, 17)), (18, (18, 24)), (24, (18, 24)), (25, (25, 29)), (29, (25, 29)),
     (30, (30, 54)), (54, (30, 54)), (55, (55, None)), (99, (55, None))],
)
def test_age_bands(age, band):
    assert age_band(age, default_age_edges()) == band


def test_anonymised_record_drops_what_identifies():
    original = GROUP[1]  # P2, with a personal code
    anonymised = anonymise(original, organisation_alias="org-1")
    kept = {field.name for field in fields(AnonymisedRecord)}
    for dropped in ("participant_id", "first_name", "last_name", "email", "personal_code", "birth_date",
                    "municipality", "county", "group_id", "city"):
        assert dropped not in kept
    text = repr(anonymised)
    for secret in (original.participant_id, original.first_name, original.last_name, original.email,
                   original.personal_code, original.organisation_id, "2001"):
        assert secret not in text
    assert anonymised.organisation_id == "org-1"
    assert anonymised.age_band == (18, 24)
    assert anonymised.age_band_label == "18–24"
    assert anonymised.entry_date == date(2019, 4, 1)
    assert anonymised.exit_date == date(2019, 5, 1)
    assert (anonymised.sex, anonymised.employment_status, anonymised.isced, anonymised.minority) == (
        "male", "unemployed", 3, "declined"
    )


def test_without_an_alias_the_organisation_is_dropped():
    assert anonymise(GROUP[0]).organisation_id is None
    assert anonymise(GROUP[0]).organisation_kind == "local_government"


def test_unknown_age_stays_unknown():
    anonymised = anonymise(GROUP[9])  # P10, no birth date
    assert anonymised.age_band is None and anonymised.age_band_label == ""


def test_aliases_are_consistent_within_a_batch():
    anonymised = anonymise_all(GROUP)
    by_original = {}
    for original, record in zip(GROUP, anonymised, strict=True):
        by_original.setdefault(original.organisation_id, set()).add(record.organisation_id)
    assert all(len(aliases) == 1 for aliases in by_original.values())
    assert len({alias for aliases in by_original.values() for alias in aliases}) == len(by_original)
    assert all(alias.startswith("org-") for aliases in by_original.values() for alias in aliases)


@pytest.mark.parametrize("set_name", available_sets())
def test_indicators_are_the_same_after_anonymisation(set_name):
    assert compute_indicators(set_name, anonymise_all(GROUP)) == compute_indicators(set_name, GROUP)


def test_indicators_survive_for_every_birthday_around_the_edges():
    people = [
        Participant(participant_id=f"b{offset}", sex="female", entry_date=TALLINN_DAY_1,
                    birth_date=date(year, 4, 17 + offset))
        for year in (2001, 1994, 1989, 1964)
        for offset in (-1, 0, 1)
    ]
    for set_name in available_sets():
        assert compute_indicators(set_name, anonymise_all(people)) == compute_indicators(set_name, people)


def test_a_set_with_other_ages_is_unknown_rather_than_wrong_after_anonymisation():
    youth = parse_indicator_set({
        "name": "youth", "title_en": "Youth", "title_et": "Noored", "regulation": "national",
        "indicators": [{"code": "Y", "name_en": "15–20", "name_et": "15–20", "unit": "participants",
                        "rule": {"age_at_entry": {"between": [15, 20]}}}],
    })
    (before,) = compute_indicators(youth, GROUP)
    (after,) = compute_indicators(youth, anonymise_all(GROUP))
    assert (before.total, before.unknown) == (2, 1)  # P1 17, P2 18; P10 has no birth date
    # The bands 0–17 (P1) and 18–24 (P2, P3) straddle 15–20: undecidable, so not counted.
    assert (after.total, after.unknown) == (0, 4)
