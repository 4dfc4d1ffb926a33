from dataclasses import astuple
from datetime import date

import pytest

from services.reporting.domain.indicator_sets import load_indicator_set
from services.reporting.domain.indicators import IndicatorRow, compute_indicators
from services.reporting.domain.participant import Participant

from .sample_group import GROUP, TALLINN_DAY_1

ENTERED = 11  # P11 never entered

# code: (total, women, men, non_binary, sex_unknown, unknown, declined), worked out by hand from
# sample_group.py; see the comments there for ages and organisations.
ESF_PLUS_EXPECTED = {
    "EECO01": (11, 5, 4, 1, 1, 0, 0),
    "EECO02": (4, 1, 2, 0, 1, 1, 1),  # P2 P3 P7 P9; P10 unknown; P12 declined
    "EECO03": (2, 1, 0, 0, 1, 1, 1),  # P3 P9
    "EECO04": (2, 2, 0, 0, 0, 1, 1),  # P1 P8
    "EECO05": (3, 1, 1, 1, 0, 1, 1),  # P4 P5 P6
    "EECO06": (1, 1, 0, 0, 0, 1, 0),  # P1 (17; P2 turned 18 on the entry day)
    "EECO07": (4, 1, 2, 1, 0, 1, 0),  # P2 18, P3 24, P4 25, P5 29; P6 turned 30 on the day
    "EECO08": (3, 1, 1, 0, 1, 1, 0),  # P8 55 (P7 is 54), P9, P12
    "EECO09": (3, 2, 1, 0, 0, 1, 1),  # P1 ISCED 2, P7 1, P8 0; P9 declined
    "EECO10": (2, 1, 1, 0, 0, 1, 1),  # P2 3, P3 4
    "EECO11": (4, 1, 2, 1, 0, 1, 1),  # P4 5, P5 6, P6 8, P12 7
    "EECO12": (2, 2, 0, 0, 0, 2, 1),  # P1 P10; P6 P9 unknown; P3 declined
    "EECO13": (2, 0, 2, 0, 0, 2, 0),  # P2 P12
    "EECO14": (1, 0, 1, 0, 0, 2, 1),  # P2; P4 declined
    "EECO15": (1, 1, 0, 0, 0, 2, 1),  # P8; P2 declined
    "EECO16": (1, 1, 0, 0, 0, 2, 1),  # P3; P7 declined
    "EECO17": (2, 1, 1, 0, 0, 3, 0),  # P1 P12; P4 P9 P10 unknown
    "EECO18": (3, 0, 0, 0, 0, 1, 0),  # L1 L2 L3 (not L4: P11 never entered); X1 of unknown kind
    "PS-NGO": (2, 0, 0, 0, 0, 1, 0),  # N1 N2; X1
    "PS-COMPLETED": (7, 3, 2, 1, 1, 2, 0),  # P1 P3 P5 P6 P7 P9 P12; P4 P10 have not left
}

ESF_2014_2020_EXPECTED = {
    "TOTAL": (11, 5, 4, 1, 1, 0, 0),
    "CO01": (4, 1, 2, 0, 1, 1, 1),
    "CO02": (2, 1, 0, 0, 1, 1, 1),
    "CO03": (2, 2, 0, 0, 0, 1, 1),
    "CO04": (0, 0, 0, 0, 0, 3, 1),  # P1 P8 inactive and P10 unknown: education is not asked
    "CO05": (3, 1, 1, 1, 0, 1, 1),
    "CO06": (3, 2, 1, 0, 0, 1, 0),  # P1 17, P2 18, P3 24; P4 turned 25 on the day
    "CO07": (3, 1, 1, 0, 1, 1, 0),  # P8 55, P9 59, P12 64; P7 is 54
    "CO08": (1, 0, 0, 0, 1, 2, 1),  # P9 (LTU); P8 inactive and P10 unknown; P12 declined
    "CO09": (2, 1, 1, 0, 0, 1, 1),  # P1 ISCED 2, P7 1; P8's ISCED 0 is outside 1–2
    "CO10": (2, 1, 1, 0, 0, 1, 1),
    "CO11": (4, 1, 2, 1, 0, 1, 1),
    "CO12": (0, 0, 0, 0, 0, 11, 0),
    "CO13": (0, 0, 0, 0, 0, 11, 0),
    "CO14": (0, 0, 0, 0, 0, 11, 0),
    "CO15": (3, 1, 2, 0, 0, 2, 1),  # P2 P8 P12; P9 P10 unknown; P4 declined foreign background
    "CO16": (2, 2, 0, 0, 0, 2, 1),
    "CO17": (1, 1, 0, 0, 0, 9, 1),  # P3 homeless; P7 declined; the rest cannot be told
    "CO18": (1, 1, 0, 0, 0, 2, 1),
    "CO19": (2, 1, 1, 0, 0, 3, 0),
    "CO20": (0, 0, 0, 0, 0, 0, 0),
    "CO21": (0, 0, 0, 0, 0, 0, 0),
    "CO22": (0, 0, 0, 0, 0, 0, 0),
    "CO23": (0, 0, 0, 0, 0, 0, 0),
    "PS-KOV": (3, 0, 0, 0, 0, 1, 0),
    "PS-NGO": (2, 0, 0, 0, 0, 1, 0),
    "PS-COMPLETED": (7, 3, 2, 1, 1, 2, 0),
}
NOT_COLLECTED_2014_2020 = {"CO12", "CO13", "CO14", "CO20", "CO21", "CO22", "CO23"}


def counts(row: IndicatorRow):
    return astuple(row)[4:11]


def by_code(rows):
    return {row.code: row for row in rows}


@pytest.mark.parametrize(
    ("set_name", "expected", "not_collected"),
    [
        ("esf_plus_2021_2027", ESF_PLUS_EXPECTED, set()),
        ("esf_2014_2020", ESF_2014_2020_EXPECTED, NOT_COLLECTED_2014_2020),
    ],
)
def test_every_indicator_of_the_sample_group(set_name, expected, not_collected):
    rows = compute_indicators(load_indicator_set(set_name), GROUP)
    assert [row.code for row in rows] == list(expected)
    assert {row.code: counts(row) for row in rows} == expected
    assert {row.code for row in rows if not row.collected} == not_collected


@pytest.mark.parametrize("set_name", ["esf_plus_2021_2027", "esf_2014_2020"])
def test_nobody_goes_missing(set_name):
    indicator_set = load_indicator_set(set_name)
    for row in compute_indicators(indicator_set, GROUP):
        if row.unit == "participants":
            assert row.total == row.women + row.men + row.non_binary + row.sex_unknown
            assert row.total + row.unknown + row.declined <= ENTERED
        else:
            assert (row.women, row.men, row.non_binary, row.sex_unknown, row.declined) == (0,) * 5


def test_rows_carry_names_and_units():
    row = by_code(compute_indicators("esf_plus_2021_2027", GROUP))["EECO18"]
    assert row.unit == "entities"
    assert row.name_et.startswith("Toetatud")
    assert "public administrations" in row.name_en


def test_the_set_can_be_named():
    assert compute_indicators("esf_2014_2020", GROUP) == compute_indicators(
        load_indicator_set("esf_2014_2020"), GROUP
    )


def test_entry_period_filters_participants_and_organisations():
    rows = by_code(compute_indicators("esf_plus_2021_2027", GROUP, entered_from=date(2019, 4, 10)))
    assert counts(rows["EECO01"]) == (10, 5, 3, 1, 1, 0, 0)  # without P12 (Pärnu, 9 April)
    assert rows["EECO18"].total == 2  # L3 came only through P12
    rows = by_code(compute_indicators("esf_plus_2021_2027", GROUP, entered_until=date(2019, 4, 16)))
    assert counts(rows["EECO01"]) == (1, 0, 1, 0, 0, 0, 0)


def test_nobody_entered():
    rows = compute_indicators("esf_plus_2021_2027", [])
    assert all(counts(row) == (0,) * 7 for row in rows)


def _entering(birth_date, **fields):
    return Participant(participant_id="x", birth_date=birth_date, entry_date=TALLINN_DAY_1, sex="female",
                       **fields)


@pytest.mark.parametrize(
    ("birth_date", "in_18_29", "in_55_plus"),
    [
        (date(1989, 4, 18), 1, 0),  # 29 on entry
        (date(1989, 4, 17), 0, 0),  # 30 on entry: no band
        (date(1964, 4, 18), 0, 0),  # 54
        (date(1964, 4, 17), 0, 1),  # 55
        (date(1964, 2, 29), 0, 1),  # 55 since 1 March
    ],
)
def test_esf_plus_age_band_edges(birth_date, in_18_29, in_55_plus):
    rows = by_code(compute_indicators("esf_plus_2021_2027", [_entering(birth_date)]))
    assert rows["EECO07"].total == in_18_29
    assert rows["EECO08"].total == in_55_plus


@pytest.mark.parametrize(
    ("birth_date", "below_25", "above_54"),
    [
        (date(1994, 4, 18), 1, 0),  # 24 on entry
        (date(1994, 4, 17), 0, 0),  # 25
        (date(1964, 4, 18), 0, 0),  # 54
        (date(1964, 4, 17), 0, 1),  # 55
    ],
)
def test_esf_2014_2020_age_band_edges(birth_date, below_25, above_54):
    rows = by_code(compute_indicators("esf_2014_2020", [_entering(birth_date)]))
    assert rows["CO06"].total == below_25
    assert rows["CO07"].total == above_54


def test_a_participant_of_an_unrecorded_kind_and_organisation_counts_in_no_entity():
    lone = Participant(participant_id="x", entry_date=TALLINN_DAY_1)
    rows = by_code(compute_indicators("esf_plus_2021_2027", [lone]))
    assert counts(rows["EECO18"]) == (0,) * 7
    assert counts(rows["EECO01"]) == (1, 0, 0, 0, 1, 0, 0)


def test_an_organisation_recorded_with_and_without_its_kind_counts_once():
    records = [
        Participant(participant_id="a", entry_date=TALLINN_DAY_1, organisation_id="L9",
                    organisation_kind="local_government"),
        Participant(participant_id="b", entry_date=TALLINN_DAY_1, organisation_id="L9"),
    ]
    assert counts(by_code(compute_indicators("esf_plus_2021_2027", records))["EECO18"]) == (1, 0, 0, 0, 0, 0, 0)


def test_one_hundred_thousand_participants_scale_the_counts():
    copies = 100_000 // len(GROUP)
    rows = compute_indicators("esf_plus_2021_2027", GROUP * copies)
    for row in rows:
        if row.unit == "participants":
            assert counts(row) == tuple(copies * value for value in ESF_PLUS_EXPECTED[row.code])
        else:  # the same organisations, however many people came from them
            assert counts(row) == ESF_PLUS_EXPECTED[row.code]
