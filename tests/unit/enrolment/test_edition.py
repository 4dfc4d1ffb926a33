"""The 2019 edition file and the edition loader's validation."""

import copy
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import yaml

from services.enrolment.data import EDITION_2019
from services.enrolment.domain.edition import (
    EditionError,
    EditionSpec,
    GroupSpec,
    SessionSpec,
    edition_from_dict,
    load_edition,
    slug,
)
from services.enrolment.domain.times import TALLINN

from .builders import tallinn

BROCHURE_DATES = {
    "Pärnu": (date(2019, 4, 9), date(2019, 4, 30), date(2019, 5, 22)),
    "Tartu": (date(2019, 4, 11), date(2019, 5, 2), date(2019, 5, 23)),
    "Rakvere": (date(2019, 4, 16), date(2019, 5, 7), date(2019, 6, 4)),
    "Tallinn": (date(2019, 4, 17), date(2019, 5, 9), date(2019, 6, 6)),
}


@pytest.fixture(scope="module")
def edition():
    return load_edition(EDITION_2019)


@pytest.fixture
def raw():
    """The 2019 file as parsed YAML, to break one thing at a time."""
    return yaml.safe_load(EDITION_2019.read_text(encoding="utf-8"))


def problems_of(data) -> str:
    with pytest.raises(EditionError) as caught:
        edition_from_dict(data)
    return "\n".join(caught.value.problems)


# --- the 2019 file ----------------------------------------------------------------------


def test_2019_edition_basics(edition):
    assert edition.year == 2019
    assert edition.name == "Avalike teenuste delegeerimise ja koosloome arenguprogramm"
    assert edition.timezone == "Europe/Tallinn"
    assert sorted(edition.cities) == ["Pärnu", "Rakvere", "Tallinn", "Tartu"]
    assert all(group.capacity_teams == 7 for group in edition.groups)
    assert {g.key for g in edition.groups} == {"parnu", "tartu", "rakvere", "tallinn"}


def test_2019_deadline_is_the_end_of_1_march_in_tallinn_winter_time(edition):
    assert edition.application_deadline == datetime(2019, 3, 1, 21, 59, 59, tzinfo=UTC)
    assert edition.application_deadline.tzinfo is UTC
    local = edition.application_deadline.astimezone(TALLINN)
    assert (local.date(), local.hour, local.minute, local.second) == (date(2019, 3, 1), 23, 59, 59)
    assert local.utcoffset().total_seconds() == 2 * 3600


def test_2019_has_twelve_sessions_on_the_brochure_dates(edition):
    sessions = list(edition.sessions())
    assert len(sessions) == 12
    for group in edition.groups:
        assert (
            tuple(s.starts_at.astimezone(TALLINN).date() for s in group.sessions)
            == BROCHURE_DATES[group.city]
        )
        assert [s.day_number for s in group.sessions] == [1, 2, 3]


def test_2019_sessions_run_10_to_17_local_stored_in_utc(edition):
    for _group, session in edition.sessions():
        assert session.starts_at.tzinfo is UTC and session.ends_at.tzinfo is UTC
        start, end = session.starts_at.astimezone(TALLINN), session.ends_at.astimezone(TALLINN)
        assert (start.hour, start.minute, end.hour, end.minute) == (10, 0, 17, 0)
        # April-June is summer time: 10:00 in Tallinn is 07:00 UTC.
        assert (session.starts_at.hour, session.ends_at.hour) == (7, 14)


def test_2019_venues_are_not_booked_yet_and_seats_default(edition):
    # Empty, not Estonian placeholder text: the e-mails say "to be confirmed" in each language.
    for _group, session in edition.sessions():
        assert session.venue == ""
        assert session.seats == 40


def test_2019_first_session_and_lookup(edition):
    assert edition.first_session_starts_at == tallinn(2019, 4, 9, 10)
    assert edition.group("Tallinn").session(3).starts_at == tallinn(2019, 6, 6, 10)
    assert edition.group("Rakvere").first_session_starts_at == tallinn(2019, 4, 16, 10)
    with pytest.raises(KeyError):
        edition.group("Narva")
    with pytest.raises(KeyError):
        edition.group("Tartu").session(4)


# --- loader options ---------------------------------------------------------------------


def test_overrides_per_group_and_session(raw):
    raw["seats"] = None
    raw["groups"][0]["seats"] = 30
    raw["groups"][0]["sessions"][1].update(
        starts="09:30", ends="16:00", venue="Pärnu Keskraamatukogu", seats=25
    )
    edition = edition_from_dict(raw)
    parnu, tartu = edition.group("Pärnu"), edition.group("Tartu")
    day2 = parnu.session(2)
    assert day2.starts_at == tallinn(2019, 4, 30, 9, 30) and day2.ends_at == tallinn(2019, 4, 30, 16)
    assert (day2.venue, day2.seats) == ("Pärnu Keskraamatukogu", 25)
    assert parnu.session(1).seats == 30
    assert tartu.session(1).seats is None


def test_unquoted_yaml_dates_and_aware_deadline_are_accepted(tmp_path):
    text = EDITION_2019.read_text(encoding="utf-8")
    text = text.replace('"2019-04-09"', "2019-04-09").replace(
        'application_deadline: "2019-03-01 23:59:59"', "application_deadline: 2019-03-01T23:59:59+02:00"
    )
    path = tmp_path / "edition.yaml"
    path.write_text(text, encoding="utf-8")
    edition = load_edition(path)
    assert edition.group("Pärnu").session(1).starts_at == tallinn(2019, 4, 9, 10)
    assert edition.application_deadline == tallinn(2019, 3, 1, 23, 59, 59)


def test_key_defaults_to_an_ascii_slug_of_the_city(raw):
    del raw["groups"][0]["key"]
    assert edition_from_dict(raw).group("Pärnu").key == "parnu"
    assert slug("Kärdla-Käina") == "kardla-kaina"


# --- loader refusals --------------------------------------------------------------------


def test_a_group_needs_exactly_three_sessions(raw):
    del raw["groups"][1]["sessions"][2]
    assert "Tartu): needs exactly 3 sessions, got 2" in problems_of(raw)


def test_day_numbers_must_be_1_to_3_in_order(raw):
    sessions = raw["groups"][0]["sessions"]
    sessions[0]["day"], sessions[1]["day"] = 2, 1
    assert "must be days (1, 2, 3) in that order" in problems_of(raw)


def test_day_number_outside_1_to_3(raw):
    raw["groups"][0]["sessions"][2]["day"] = 4
    assert "day must be one of (1, 2, 3), got 4" in problems_of(raw)


def test_sessions_must_be_chronological(raw):
    raw["groups"][2]["sessions"][1]["date"] = "2019-04-10"  # Rakvere day II before day I
    assert "Rakvere): day 2 must start after day 1 ends" in problems_of(raw)


def test_a_session_must_end_after_it_starts(raw):
    raw["groups"][3]["sessions"][0].update(starts="17:00", ends="10:00")
    assert "Tallinn) day 1: ends_at must be after starts_at" in problems_of(raw)


@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_at_least_one(raw, capacity):
    raw["groups"][0]["capacity_teams"] = capacity
    assert "capacity_teams must be at least 1" in problems_of(raw)


def test_capacity_must_be_a_number(raw):
    raw["groups"][0]["capacity_teams"] = "seitse"
    assert "capacity_teams must be a whole number" in problems_of(raw)


def test_cities_are_unique_ignoring_case(raw):
    raw["groups"][1]["city"] = "pärnu"
    raw["groups"][1]["key"] = "parnu-2"
    assert "city repeats 'Pärnu'" in problems_of(raw)


def test_deadline_must_be_before_the_first_session(raw):
    raw["application_deadline"] = "2019-04-09 10:00:00"
    assert "must be before the first session" in problems_of(raw)
    raw["application_deadline"] = "2019-04-09 09:59:59"
    assert edition_from_dict(raw).application_deadline == tallinn(2019, 4, 9, 9, 59, 59)


def test_deadline_needs_a_time(raw):
    raw["application_deadline"] = "2019-03-01"
    assert "expected a date and time" in problems_of(raw)
    raw["application_deadline"] = date(2019, 3, 1)
    assert "expected a date and time" in problems_of(raw)


def test_unquoted_time_is_explained(raw):
    raw["session_hours"]["starts"] = 600  # what YAML 1.1 makes of an unquoted 10:00
    assert "quote it" in problems_of(raw)


@pytest.mark.parametrize(
    "moment",
    [
        "2019-10-27 03:30:00",  # clocks go back at 04:00: 03:30 happens twice in Tallinn
        "2019-03-31 03:30:00",  # clocks go forward at 03:00: 03:30 never happens
    ],
)
def test_ambiguous_or_missing_local_time_is_refused(raw, moment):
    raw["application_deadline"] = moment
    assert "ambiguous or does not exist" in problems_of(raw)


def test_unknown_keys_are_refused(raw):
    raw["groups"][0]["capacity"] = 7
    raw["deadline"] = "2019-03-01 23:59:59"
    text = problems_of(raw)
    assert "unknown key 'capacity'" in text and "unknown key 'deadline'" in text


def test_missing_keys_and_bad_timezone(raw):
    del raw["year"]
    raw["timezone"] = "Europe/Atlantis"
    text = problems_of(raw)
    assert "year is required" in text and "unknown time zone" in text


def test_all_problems_are_listed_together(raw):
    raw["groups"][0]["capacity_teams"] = 0
    raw["groups"][1]["sessions"].pop()
    raw["groups"][2]["city"] = "Tallinn"
    raw["groups"][2]["key"] = "tallinn-2"
    raw["application_deadline"] = "2019-05-01 12:00:00"
    with pytest.raises(EditionError) as caught:
        edition_from_dict(copy.deepcopy(raw))
    assert len(caught.value.problems) == 4
    assert str(caught.value).startswith("invalid edition:")


def test_not_a_mapping_and_broken_yaml(tmp_path):
    with pytest.raises(EditionError):
        edition_from_dict(["not", "a", "mapping"])
    broken = tmp_path / "broken.yaml"
    broken.write_text("year: [2019\n", encoding="utf-8")
    with pytest.raises(EditionError, match="not valid YAML"):
        load_edition(broken)


# --- the dataclasses directly -----------------------------------------------------------


def _group(city="Tartu", key="tartu", capacity=7):
    return GroupSpec(
        key=key,
        city=city,
        capacity_teams=capacity,
        sessions=[
            SessionSpec(n, tallinn(2019, 4, 10 + 5 * n, 10), tallinn(2019, 4, 10 + 5 * n, 17))
            for n in (1, 2, 3)
        ],
    )


def test_specs_built_in_code_are_checked_too():
    spec = EditionSpec(2019, "Programm", tallinn(2019, 3, 1, 23, 59, 59), [_group()])
    assert spec.application_deadline.tzinfo is UTC and isinstance(spec.groups, tuple)
    with pytest.raises(EditionError, match="capacity_teams must be at least 1"):
        EditionSpec(2019, "Programm", tallinn(2019, 3, 1, 23, 59, 59), [_group(capacity=0)])
    with pytest.raises(EditionError, match="timezone-aware"):
        EditionSpec(2019, "Programm", datetime(2019, 3, 1, 23, 59, 59), [_group()])


def test_session_spec_refuses_naive_times_and_normalises_to_utc():
    with pytest.raises(EditionError):
        SessionSpec(1, datetime(2019, 4, 9, 10), datetime(2019, 4, 9, 17))
    session = SessionSpec(1, tallinn(2019, 4, 9, 10), tallinn(2019, 4, 9, 17))
    assert session.starts_at == datetime(2019, 4, 9, 7, tzinfo=UTC) and session.starts_at.tzinfo is UTC


def test_the_2019_spec_fits_the_published_event_schema(edition):
    # Guards the field names the service layer will copy onto enrolment.edition.published.
    from shared.events.enrolment import EditionPublished

    payload = {
        "edition_id": "2019",
        "year": edition.year,
        "name": edition.name,
        "application_deadline": edition.application_deadline.isoformat(),
        "groups": [
            {
                "group_id": f"{edition.year}-{group.key}",
                "city": group.city,
                "capacity_teams": group.capacity_teams,
                "sessions": [
                    {
                        "session_id": f"{edition.year}-{group.key}-{s.day_number}",
                        "day_number": s.day_number,
                        "starts_at": s.starts_at.isoformat(),
                        "ends_at": s.ends_at.isoformat(),
                        "venue": s.venue,
                        "seats": s.seats,
                    }
                    for s in group.sessions
                ],
            }
            for group in edition.groups
        ],
    }
    loaded = EditionPublished().load(payload)
    assert loaded["application_deadline"] == edition.application_deadline
    assert sum(len(g["sessions"]) for g in loaded["groups"]) == 12


def test_2019_states_its_claim_policy(edition):
    assert (edition.claim_cap, edition.claim_daily_rate) == (Decimal("768.00"), Decimal("256.00"))


def test_an_edition_file_may_leave_the_claim_policy_to_the_service(raw):
    del raw["claim_cap"], raw["claim_daily_rate"]
    spec = edition_from_dict(raw)
    assert (spec.claim_cap, spec.claim_daily_rate) == (None, None)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"claim_cap": 768.1}, 'claim_cap: expected an amount like "768.00" (quoted)'),
    ({"claim_cap": "0"}, "claim_cap: The amount must be more than zero"),
    ({"claim_daily_rate": "25.555"}, "claim_daily_rate: The amount may have at most two decimals"),
    ({"claim_cap": "500.00", "claim_daily_rate": "600.00"}, "claim_daily_rate: The daily rate (€600.00) cannot be"),
])
def test_a_bad_claim_policy_in_the_file_is_refused(raw, changes, expected):
    raw.update(changes)
    assert expected in problems_of(raw)
