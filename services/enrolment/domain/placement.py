"""Placing teams in the cities' groups: capacity and the waiting lists (policy).

A group takes at most ``capacity_teams`` teams (7 in the brochure). A team that does not
fit waits on that group's waiting list, first come first served by the time it was put
there; positions are 1..n and are recomputed from the list itself whenever someone leaves,
so they never have gaps and nothing has to be renumbered in place.

The caller counts and reads the list inside the same database transaction (locking the
group row) as the change it makes, or two coordinators could both take the last place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from .problems import Problem
from .times import require_aware

GROUP_FULL = "group_full"


class GroupFull(Exception):
    """No place left in the group; the team can be put on its waiting list instead."""

    def __init__(self, accepted: int, capacity: int) -> None:
        self.accepted = accepted
        self.capacity = capacity
        self.problem = Problem(
            GROUP_FULL,
            f"Rühmas on kõik {capacity} kohta täis.",
            f"All {capacity} places in the group are taken.",
        )
        super().__init__(self.problem.en)

    @property
    def code(self) -> str:
        return self.problem.code


def accept_check(group_accepted_count: int, capacity: int) -> None:
    """Raise ``GroupFull`` unless one more team fits into the group."""
    if capacity < 1 or group_accepted_count < 0:
        raise ValueError(f"impossible counts: {group_accepted_count} accepted, capacity {capacity}")
    if group_accepted_count >= capacity:
        raise GroupFull(group_accepted_count, capacity)


def free_places(group_accepted_count: int, capacity: int) -> int:
    return max(capacity - group_accepted_count, 0)


class Waiting(Protocol):
    """Anything on a waiting list: the dataclass below, or the service's own rows."""

    @property
    def application_id(self) -> str: ...

    @property
    def waitlisted_at(self) -> datetime: ...


@dataclass(frozen=True)
class WaitingEntry:
    application_id: str
    waitlisted_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "waitlisted_at", require_aware("waitlisted_at", self.waitlisted_at))


W = TypeVar("W", bound=Waiting)


def _fifo_key(entry: Waiting) -> tuple[datetime, str]:
    # The application id breaks ties, so two teams waitlisted in the same microsecond
    # still get a stable, repeatable order.
    return require_aware("waitlisted_at", entry.waitlisted_at), entry.application_id


def ordered_waiting_list(entries: Iterable[W]) -> list[W]:
    """First come, first served: by the time each team was waitlisted."""
    return sorted(entries, key=_fifo_key)


def waiting_positions(entries: Iterable[Waiting]) -> dict[str, int]:
    """application_id -> position 1..n, in waiting order."""
    return {
        entry.application_id: position
        for position, entry in enumerate(ordered_waiting_list(entries), start=1)
    }


def next_on_waiting_list(entries: Iterable[W], ready: Callable[[W], bool] = lambda entry: True) -> W | None:
    """Who gets a freed place: the team waiting longest among those ``ready`` to be accepted
    (policy: a team whose members have not all confirmed keeps its position but does not
    hold up the teams behind it); if none is ready, the first in line; None if nobody waits."""
    ordered = ordered_waiting_list(entries)
    return next((entry for entry in ordered if ready(entry)), ordered[0] if ordered else None)


def position_changes(before: Iterable[Waiting], after: Iterable[Waiting]) -> dict[str, int]:
    """Teams still waiting whose position changed (after someone left or was promoted),
    with their new position: those are the teams to tell."""
    old = waiting_positions(before)
    return {
        app_id: pos for app_id, pos in waiting_positions(after).items() if old.get(app_id) not in (None, pos)
    }


def suggest_city(
    preferred_cities: Sequence[str], accepted_counts: Mapping[str, int], capacities: Mapping[str, int]
) -> str | None:
    """The team's most preferred city that still has a place, for the coordinator to start
    from (the coordinator decides; this never places anyone by itself)."""
    for city in preferred_cities:
        if city in capacities and free_places(accepted_counts.get(city, 0), capacities[city]) > 0:
            return city
    return None
