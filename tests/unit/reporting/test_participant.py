from dataclasses import replace
from datetime import date

import pytest

from services.reporting.domain.participant import Participant, age_at, missing_esf_data
from services.reporting.domain.personal_code import InvalidPersonalCode


@pytest.mark.parametrize(
    ("birth_date", "day", "age"),
    [
        (date(1989, 4, 17), date(2019, 4, 16), 29),  # the day before the 30th birthday
        (date(1989, 4, 17), date(2019, 4, 17), 30),  # on the birthday the year is complete
        (date(1964, 4, 17), date(2019, 4, 16), 54),
        (date(1964, 4, 17), date(2019, 4, 17), 55),
        (date(1994, 4, 17), date(2019, 4, 16), 24),
        (date(1994, 4, 17), date(2019, 4, 17), 25),
        (date(2001, 4, 17), date(2019, 4, 17), 18),
        (date(2001, 4, 18), date(2019, 4, 17), 17),
        (date(1989, 12, 31), date(2019, 1, 1), 29),
        (date(1990, 1, 1), date(2019, 12, 31), 29),
        (date(2019, 4, 17), date(2019, 4, 17), 0),
        # born on 29 February: in common years the year is complete on 1 March
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 2, 29), date(2020, 2, 28), 19),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
        (date(1964, 2, 29), date(2019, 2, 28), 54),
        (date(1964, 2, 29), date(2019, 3, 1), 55),
    ],
)
def test_age_at_counts_completed_years(birth_date, day, age):
    assert age_at(birth_date, day) == age


def test_age_before_birth_is_an_error():
    with pytest.raises(ValueError):
        age_at(date(2000, 1, 2), date(2000, 1, 1))


def test_age_at_entry_needs_both_dates():
    assert Participant(participant_id="p", birth_date=date(1989, 4, 17), entry_date=date(2019, 4, 17)).age_at_entry == 30
    assert Participant(participant_id="p", birth_date=date(1989, 4, 17)).age_at_entry is None
    assert Participant(participant_id="p", entry_date=date(2019, 4, 17)).age_at_entry is None


def test_age_follows_a_changed_entry_date():
    participant = Participant(participant_id="p", birth_date=date(1989, 4, 17), entry_date=date(2019, 4, 16))
    assert participant.age_at_entry == 29
    assert replace(participant, entry_date=date(2019, 4, 17)).age_at_entry == 30


def test_personal_code_fills_birth_date_and_sex():
    participant = Participant(participant_id="p", personal_code="4870 312 0228")
    assert participant.personal_code == "48703120228"
    assert participant.birth_date == date(1987, 3, 12)
    assert participant.sex == "female"


def test_stated_sex_wins_over_the_code():
    assert Participant(participant_id="p", personal_code="48703120228", sex="non_binary").sex == "non_binary"


def test_birth_date_must_agree_with_the_code():
    assert Participant(participant_id="p", personal_code="48703120228", birth_date=date(1987, 3, 12))
    with pytest.raises(ValueError, match="disagrees"):
        Participant(participant_id="p", personal_code="48703120228", birth_date=date(1987, 3, 13))


def test_invalid_code_is_refused():
    with pytest.raises(InvalidPersonalCode):
        Participant(participant_id="p", personal_code="48703120227")


def test_someone_without_a_code_gives_birth_date_and_sex():
    participant = Participant(participant_id="p", birth_date=date(1990, 1, 1), sex="male")
    assert participant.personal_code is None and participant.sex == "male"


@pytest.mark.parametrize(
    "changes",
    [
        {"sex": "other"},
        {"sex": "declined"},
        {"organisation_kind": "company"},
        {"exit_status": "finished"},
        {"employment_status": "student"},
        {"disability": True},
        {"disability": "maybe"},
        {"rural_area": "jah"},
        {"isced": 9},
        {"isced": -1},
        {"isced": True},
        {"isced": "3"},
        {"participant_id": ""},
        {"exit_date": date(2019, 4, 16), "entry_date": date(2019, 4, 17)},
        {"exit_date": date(2019, 6, 6)},
    ],
)
def test_values_outside_the_codebook_are_refused(changes):
    fields = {"participant_id": "p", **changes}
    with pytest.raises(ValueError):
        Participant(**fields)


@pytest.mark.parametrize("isced", [0, 2, 8, "declined", None])
def test_isced_levels(isced):
    assert Participant(participant_id="p", isced=isced).isced == isced


def test_declined_is_a_valid_answer_everywhere_it_may_be_given():
    participant = Participant(
        participant_id="p",
        employment_status="declined",
        isced="declined",
        disability="declined",
        third_country_national="declined",
        foreign_background="declined",
        minority="declined",
        homeless="declined",
        rural_area="declined",
    )
    assert participant.minority == "declined"


def test_missing_esf_data_lists_unanswered_fields_but_not_declined_ones():
    participant = Participant(
        participant_id="p",
        sex="female",
        birth_date=date(1980, 1, 1),
        entry_date=date(2019, 4, 17),
        employment_status="employed",
        isced="declined",
        disability="declined",
        third_country_national="no",
        foreign_background="no",
        minority=None,
        homeless="no",
        rural_area="no",
    )
    assert missing_esf_data(participant) == ("minority",)
    assert missing_esf_data(replace(participant, minority="no")) == ()
    left = replace(participant, minority="no", exit_date=date(2019, 6, 6))
    assert missing_esf_data(left) == ("exit_status",)
    assert missing_esf_data(replace(left, exit_status="completed")) == ()
    assert missing_esf_data(replace(participant, minority="no", exit_status="completed")) == ("exit_date",)


def test_everything_is_missing_for_a_fresh_record():
    assert missing_esf_data(Participant(participant_id="p")) == (
        "sex", "birth_date", "entry_date", "employment_status", "isced",
        "disability", "third_country_national", "foreign_background", "minority", "homeless", "rural_area",
    )
