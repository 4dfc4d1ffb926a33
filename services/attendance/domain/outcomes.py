"""Where a participant stands: per day, and overall (completed, dropped out, in progress).

The standing is a pure function of the schedule, the attendance facts and ``now``. Nothing
is remembered between calls, so a corrected fact (an absence turned into a presence) simply
yields a different standing; the service compares it with the last one it published to
decide which events (dropped_out, reinstated, completed) to emit.

Facts are read like this:
- presence at the own session, or at a session that may make the day up, counts;
- a day whose own session has ended without a presence is an absence, recorded or not
  (``DayStanding.own_record`` tells the two apart, e.g. to hold back notices until the
  trainer has filled in the sheet);
- an absence becomes final when its last make-up session has ended;
- a booked make-up session that has ended with nothing recorded for the participant there
  is listed (``DayStanding.unrecorded_make_ups``): like an own day nobody recorded, the
  service waits for that sheet before treating the day as lost;
- a participant who joined the team late (a substitute, ``joined_at``) missed every own
  session that had begun before they joined: with nothing recorded for them there, such a
  day is absent on record (``DayStanding.before_joining``), to be made up like any missed
  day; and the days held before they joined cost nothing (``days_held`` leaves them out).

Withdrawals are decided by people, not computed from facts: the service records them and
uses ``days_held_by`` for the claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .makeup import BROCHURE_RULE, MakeUpRule, last_chance_ends_at, make_up_sessions
from .schedule import DAY_NUMBERS, Schedule, Session, UnknownSession

AttendanceFacts = Mapping[str, bool] | Iterable[tuple[str, bool]]


class DayState(StrEnum):
    ATTENDED = "attended"
    MADE_UP = "made_up"
    ABSENT_OPEN = "absent_open"  # missed, some make-up session has not ended yet
    MISSED = "missed"  # missed, no make-up left: the participant has dropped out
    UPCOMING = "upcoming"  # own session not over yet and nothing recorded


class Outcome(StrEnum):
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"
    IN_PROGRESS = "in_progress"


COUNTS_AS_ATTENDED = frozenset({DayState.ATTENDED, DayState.MADE_UP})


@dataclass(frozen=True)
class DayStanding:
    day_number: int
    state: DayState
    own_session: Session
    own_record: bool | None  # True present, False recorded absent, None nothing recorded
    made_up_at: Session | None = None
    open_make_ups: tuple[Session, ...] = ()  # only for ABSENT_OPEN, chronologically
    last_chance_ends_at: datetime | None = None  # for ABSENT_OPEN and MISSED
    unrecorded_make_ups: tuple[Session, ...] = ()  # booked, ended, nothing recorded there
    # The own session had begun before the participant joined (a substitute) and nothing is
    # recorded for them there: missed, as if recorded absent (no sheet is waited for).
    before_joining: bool = False

    @property
    def counts_as_attended(self) -> bool:
        return self.state in COUNTS_AS_ATTENDED

    @property
    def absent_on_record(self) -> bool:
        """Recorded absent at the own session, or not yet in the team when it began."""
        return self.own_record is False or (self.own_record is None and self.before_joining)


@dataclass(frozen=True)
class ParticipantStanding:
    group_id: str
    days: tuple[DayStanding, ...]  # by day number
    outcome: Outcome
    dropped_out_at: datetime | None  # when the first missed day's last chance ended
    days_attended: int  # attended or made up
    days_held: int  # own-group sessions ended by the dropout (or by now), not begun before joining
    ignored_session_ids: tuple[str, ...] = ()  # facts that count for no day (see participant_standing)

    @property
    def at_risk(self) -> bool:
        """Still in the programme, with a missed day that can still be made up."""
        return self.outcome is Outcome.IN_PROGRESS and any(d.state is DayState.ABSENT_OPEN for d in self.days)

    @property
    def open_days(self) -> tuple[DayStanding, ...]:
        """The missed days still open, with their remaining chances (the at-risk list)."""
        return tuple(d for d in self.days if d.state is DayState.ABSENT_OPEN)

    def day(self, day_number: int) -> DayStanding:
        for standing in self.days:
            if standing.day_number == day_number:
                return standing
        raise KeyError(day_number)


def _latest_facts(facts: AttendanceFacts) -> dict[str, bool]:
    # A list may hold a session twice (a correction appended to the history): the last wins.
    items = facts.items() if isinstance(facts, Mapping) else facts
    return {session_id: bool(present) for session_id, present in items}


def days_held_by(schedule: Schedule, group_id: str, moment: datetime, joined_at: datetime | None = None) -> int:
    """How many of the group's own sessions had ended at ``moment`` (what a claim charges for;
    for a withdrawal, pass the time of the withdrawal). For a participant who joined the team
    late (a substitute), only the sessions that began once they were in it: the days held
    before cost the organisers nothing for them."""
    return sum(1 for s in schedule.sessions_of_group(group_id)
               if s.has_ended(moment) and (joined_at is None or s.starts_at >= joined_at))


def _day_standing(
    schedule: Schedule, group_id: str, day_number: int, present_at: dict[str, bool], now: datetime,
    booked: frozenset[str], rule: MakeUpRule, joined_at: datetime | None,
) -> tuple[DayStanding, set[str]]:
    own = schedule.session_of(group_id, day_number)
    candidates = make_up_sessions(schedule, group_id, day_number, rule)
    own_record = present_at.get(own.session_id)
    counted = {own.session_id, *(s.session_id for s in candidates)}
    before_joining = own_record is None and joined_at is not None and own.starts_at < joined_at

    if own_record is True:
        return DayStanding(day_number, DayState.ATTENDED, own, own_record), counted
    made_up_at = next((s for s in candidates if present_at.get(s.session_id) is True), None)
    if made_up_at is not None:
        return DayStanding(day_number, DayState.MADE_UP, own, own_record, made_up_at=made_up_at), counted
    if own_record is None and not before_joining and not own.has_ended(now):
        return DayStanding(day_number, DayState.UPCOMING, own, own_record), counted

    last_chance = last_chance_ends_at(schedule, group_id, day_number, rule)
    still_open = tuple(s for s in candidates if not s.has_ended(now))
    unrecorded = tuple(s for s in candidates
                       if s.session_id in booked and s.has_ended(now) and s.session_id not in present_at)
    # Final only once the last chance is over; until then (even with no make-up session at
    # all, during the own session) a presence may still be recorded or corrected.
    state = DayState.MISSED if now >= last_chance else DayState.ABSENT_OPEN
    return (
        DayStanding(
            day_number,
            state,
            own,
            own_record,
            open_make_ups=still_open,
            last_chance_ends_at=last_chance,
            unrecorded_make_ups=unrecorded,
            before_joining=before_joining,
        ),
        counted,
    )


def participant_standing(
    schedule: Schedule, group_id: str, facts: AttendanceFacts, now: datetime,
    booked: Iterable[str] = (), rule: MakeUpRule = BROCHURE_RULE, joined_at: datetime | None = None,
) -> ParticipantStanding:
    """The participant's standing at ``now``, under the edition's make-up ``rule``.

    ``facts`` maps session ids to presence (True) or absence (False), as recorded or
    corrected; ``booked`` lists the sessions the participant is booked into as a make-up.
    Facts at sessions that cannot count for this group (another day's session, a session
    outside the make-up window, an unknown id) are ignored and listed in
    ``ignored_session_ids`` so a coordinator can see them. ``joined_at``: when a substitution
    brought the participant into the team (None: with the team from its acceptance).
    """
    if not schedule.has_group(group_id):
        raise UnknownSession(f"no sessions for group {group_id!r}")
    present_at = _latest_facts(facts)
    booked = frozenset(booked)
    days: list[DayStanding] = []
    counted: set[str] = set()
    for day_number in DAY_NUMBERS:
        standing, counted_here = _day_standing(schedule, group_id, day_number, present_at, now, booked, rule,
                                                    joined_at)
        days.append(standing)
        counted |= counted_here

    missed = [d for d in days if d.state is DayState.MISSED]
    if missed:
        outcome = Outcome.DROPPED_OUT
        dropped_out_at = min(d.last_chance_ends_at for d in missed if d.last_chance_ends_at is not None)
        if joined_at is not None and dropped_out_at < joined_at:
            dropped_out_at = joined_at  # joined after the day's last chance: out from the start
    elif all(d.counts_as_attended for d in days):
        outcome, dropped_out_at = Outcome.COMPLETED, None
    else:
        outcome, dropped_out_at = Outcome.IN_PROGRESS, None

    return ParticipantStanding(
        group_id=group_id,
        days=tuple(days),
        outcome=outcome,
        dropped_out_at=dropped_out_at,
        days_attended=sum(1 for d in days if d.counts_as_attended),
        days_held=days_held_by(schedule, group_id, dropped_out_at or now, joined_at),
        ignored_session_ids=tuple(sorted(set(present_at) - counted)),
    )
