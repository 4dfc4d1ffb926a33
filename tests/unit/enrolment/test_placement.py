"""Group capacity and the FIFO waiting lists."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.enrolment.domain.placement import (
    GroupFull,
    WaitingEntry,
    accept_check,
    free_places,
    next_on_waiting_list,
    ordered_waiting_list,
    position_changes,
    suggest_city,
    waiting_positions,
)

from .builders import tallinn

T0 = tallinn(2019, 3, 5, 9)


def entry(app_id: str, minutes: float) -> WaitingEntry:
    return WaitingEntry(app_id, T0 + timedelta(minutes=minutes))


# --- capacity ----------------------------------------------------------------------------


@pytest.mark.parametrize("accepted", range(7))
def test_a_group_takes_up_to_its_capacity(accepted):
    assert accept_check(accepted, 7) is None


@pytest.mark.parametrize("accepted", [7, 8])
def test_the_eighth_team_does_not_fit(accepted):
    with pytest.raises(GroupFull) as caught:
        accept_check(accepted, 7)
    assert caught.value.code == "group_full"
    assert (caught.value.accepted, caught.value.capacity) == (accepted, 7)
    assert "täis" in caught.value.problem.et and "taken" in caught.value.problem.en


def test_capacity_one():
    accept_check(0, 1)
    with pytest.raises(GroupFull):
        accept_check(1, 1)


@pytest.mark.parametrize("accepted, capacity", [(-1, 7), (0, 0)])
def test_impossible_counts_are_a_bug_not_a_full_group(accepted, capacity):
    with pytest.raises(ValueError):
        accept_check(accepted, capacity)


def test_free_places():
    assert [free_places(n, 7) for n in (0, 6, 7, 9)] == [7, 1, 0, 0]


# --- waiting list -------------------------------------------------------------------------


def test_waiting_list_is_first_come_first_served_whatever_the_input_order():
    entries = [entry("c", 30), entry("a", 0), entry("b", 10)]
    assert [e.application_id for e in ordered_waiting_list(entries)] == ["a", "b", "c"]
    assert waiting_positions(entries) == {"a": 1, "b": 2, "c": 3}
    assert next_on_waiting_list(entries).application_id == "a"


def test_empty_waiting_list():
    assert next_on_waiting_list([]) is None
    assert waiting_positions([]) == {}


def test_positions_are_recomputed_without_gaps_after_someone_leaves():
    before = [entry("a", 0), entry("b", 10), entry("c", 20), entry("d", 30)]
    after = [e for e in before if e.application_id != "b"]
    assert waiting_positions(after) == {"a": 1, "c": 2, "d": 3}
    assert position_changes(before, after) == {"c": 2, "d": 3}


def test_promotion_moves_everyone_up():
    before = [entry("a", 0), entry("b", 10), entry("c", 20)]
    promoted = next_on_waiting_list(before)
    after = [e for e in before if e is not promoted]
    assert position_changes(before, after) == {"b": 1, "c": 2}


def test_a_newcomer_joins_at_the_end_and_moves_nobody():
    before = [entry("a", 0), entry("b", 10)]
    after = [*before, entry("z", 60)]
    assert waiting_positions(after)["z"] == 3
    assert position_changes(before, after) == {}


def test_same_instant_in_different_offsets_is_the_same_time_and_ties_break_by_id():
    same = T0.astimezone(UTC)
    entries = [WaitingEntry("b", T0), WaitingEntry("a", same)]
    assert [e.application_id for e in ordered_waiting_list(entries)] == ["a", "b"]


def test_service_rows_work_too():
    class Row:  # stands for an ORM row with the two attributes
        def __init__(self, application_id, waitlisted_at):
            self.application_id, self.waitlisted_at = application_id, waitlisted_at

    rows = [Row("late", T0 + timedelta(hours=1)), Row("early", T0)]
    assert next_on_waiting_list(rows).application_id == "early"


def test_naive_waitlisted_times_are_refused():
    with pytest.raises(ValueError):
        WaitingEntry("a", datetime(2019, 3, 5, 9))


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 5)), max_size=30, unique_by=lambda t: t[0]))
def test_positions_are_always_1_to_n_in_time_order(items):
    entries = [WaitingEntry(f"app-{ident}", T0 + timedelta(seconds=offset)) for ident, offset in items]
    positions = waiting_positions(entries)
    assert sorted(positions.values()) == list(range(1, len(entries) + 1))
    ordered = ordered_waiting_list(entries)
    assert all(a.waitlisted_at <= b.waitlisted_at for a, b in zip(ordered, ordered[1:], strict=False))
    if entries:
        first = next_on_waiting_list(entries)
        assert positions[first.application_id] == 1
        remaining = [e for e in entries if e is not first]
        assert sorted(waiting_positions(remaining).values()) == list(range(1, len(remaining) + 1))


# --- suggestion ---------------------------------------------------------------------------

CAPACITIES = {"Pärnu": 7, "Tartu": 7, "Rakvere": 7, "Tallinn": 7}


def test_suggest_the_most_preferred_city_with_a_place():
    assert suggest_city(["Tallinn", "Tartu"], {"Tallinn": 3}, CAPACITIES) == "Tallinn"
    assert suggest_city(["Tallinn", "Tartu"], {"Tallinn": 7, "Tartu": 6}, CAPACITIES) == "Tartu"


def test_no_suggestion_when_every_preferred_city_is_full_or_unknown():
    assert suggest_city(["Tallinn", "Narva"], {"Tallinn": 7}, CAPACITIES) is None
    assert suggest_city([], {}, CAPACITIES) is None
