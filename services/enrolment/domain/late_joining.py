"""What a newcomer joining a team after its group's day I has begun will have missed.

An edition may allow substitutions until its group's day 2 or 3 (``SubstitutionRule``). Attendance
judges the newcomer (README, "A substitution after day I or II"): every own session that had
begun before they joined is a missed day, to be made up in another city's group by the
edition's make-up rule; with no make-up session left for a missed day they drop out at once —
at no cost, as ``days_held`` counts only the days since they joined. Enrolment owns the
edition's schedule (every group's sessions) and projects the make-up rule
(``attendance.make_up_rule.changed``, ``conditions.MakeUpRule``), so it can tell the coordinator
beforehand, by the same reading of the rule as attendance's (services/attendance/domain/makeup.py):

- a session of another group on the same day number, starting no earlier than the own session
  ends, makes the day up;
- window ``before_own_next_day`` (the brochure's): it must end by the time the own group's next
  day starts (day III: any later day-III session); ``any_later_same_day``: any later one;
- make-ups not allowed: none does;
- it is still possible while it has not ended when the newcomer joins (a running one counts).

Seats are attendance's: a make-up session named here is possible only if a seat is free. This
is a warning, never a refusal: the edition's policy allows the substitution.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .conditions import ANY_LATER_SAME_DAY, BROCHURE_RULE, MakeUpRule
from .times import local, require_aware

ROMAN = {1: "I", 2: "II", 3: "III"}


@dataclass(frozen=True)
class ScheduledDay:
    """One session of the edition's schedule."""
    session_id: str
    group_id: str
    city: str
    day_number: int
    starts_at: datetime
    ends_at: datetime

    @property
    def date_text(self) -> str:
        return local(self.starts_at).strftime("%d.%m.%Y")


@dataclass(frozen=True)
class MissedDay:
    """An own session begun before the newcomer joined, and the make-up sessions still possible."""
    own: ScheduledDay
    make_up_sessions: tuple[ScheduledDay, ...]  # chronologically; seats not counted

    @property
    def day_number(self) -> int:
        return self.own.day_number

    @property
    def session_id(self) -> str:
        return self.own.session_id

    @property
    def starts_at(self) -> datetime:
        return self.own.starts_at

    @property
    def make_up_possible(self) -> bool:
        return bool(self.make_up_sessions)


@dataclass(frozen=True)
class LateJoining:
    """The judgement: which days the newcomer will have missed and whether each can be made up."""
    joined_at: datetime
    city: str
    rule: MakeUpRule
    missed_days: tuple[MissedDay, ...]

    @property
    def make_ups_allowed(self) -> bool:
        return self.rule.allowed

    @property
    def make_up_window(self) -> str:
        return self.rule.window

    @property
    def drops_out_at_once(self) -> bool:
        """A missed day with no make-up left: attendance records the dropout on joining."""
        return any(not day.make_up_possible for day in self.missed_days)

    # -- in words (Estonian, English) -------------------------------------------------------------

    def intro(self, language: str = "et") -> str:
        first = self.missed_days[0].own
        if language == "en":
            rule = ("a missed day can only be made up in another city's group, by this edition's make-up rule"
                    if self.rule.allowed else "this edition allows no make-ups")
            return (f"The {self.city} group's day I has already begun ({first.date_text}). The newcomer will "
                    f"have missed the group's days that began before they join; {rule}.")
        rule = ("vahele jäänud päeva saab korvata ainult teise linna rühmas selle lennu järeletegemise reegli "
                "järgi" if self.rule.allowed else "selles lennus vahele jäänud päeva korvata ei saa")
        return (f"Rühma {self.city} I koolituspäev on juba alanud ({first.date_text}). Uus liige jääb ilma "
                f"rühma päevadest, mis algasid enne tema liitumist; {rule}.")

    def day_texts(self, language: str = "et") -> list[str]:
        return [_day_text(day, self.rule, language) for day in self.missed_days]

    def outcome(self, language: str = "et") -> str:
        if self.drops_out_at_once:
            return ("So the newcomer would drop out of the programme at once on joining, at no cost to their "
                    "employer: the days held before they joined do not count. The substitution is still "
                    "allowed." if language == "en" else
                    "Seega langeb uus liige kohe liitumisel programmist välja, tööandjale kuluta: enne "
                    "liitumist toimunud päevad ei lähe arvesse. Asendada on siiski lubatud.")
        return ("The newcomer is told the make-up sessions at once; if they do not make up every missed day, "
                "they drop out of the programme." if language == "en" else
                "Uus liige saab järeletegemise võimalustest kohe teate; kui ta kõiki vahele jäänud päevi "
                "järele ei tee, langeb ta programmist välja.")

    def text(self, language: str = "et") -> str:
        return " ".join([self.intro(language), *self.day_texts(language), self.outcome(language)])

    @property
    def et(self) -> str:
        return self.text("et")

    @property
    def en(self) -> str:
        return self.text("en")


def _day_text(day: MissedDay, rule: MakeUpRule, language: str) -> str:
    roman, date = ROMAN.get(day.day_number, str(day.day_number)), day.own.date_text
    if day.make_up_possible:
        places = ", ".join(f"{s.city} {s.date_text}" for s in day.make_up_sessions)
        return (f"Day {roman} ({date}): can be made up at {places}, if a seat is free." if language == "en" else
                f"{roman} päev ({date}): järele saab teha – {places}, kui seal on vaba koht.")
    if not rule.allowed:
        return (f"Day {roman} ({date}): cannot be made up." if language == "en" else
                f"{roman} päev ({date}): järele teha ei saa.")
    return (f"Day {roman} ({date}): no make-up session is left." if language == "en" else
            f"{roman} päev ({date}): järeletegemise võimalust enam ei ole.")


def make_up_sessions(schedule: Iterable[ScheduledDay], own: ScheduledDay, next_own: ScheduledDay | None,
                     rule: MakeUpRule) -> list[ScheduledDay]:
    """Every session that can make up the own session's day under ``rule``, past or future."""
    if not rule.allowed:
        return []
    closes_at = None if next_own is None or rule.window == ANY_LATER_SAME_DAY else next_own.starts_at
    return sorted((s for s in schedule if s.group_id != own.group_id and s.day_number == own.day_number
                   and s.starts_at >= own.ends_at and (closes_at is None or s.ends_at <= closes_at)),
                  key=lambda s: (s.starts_at, s.city))


def late_joining(schedule: Iterable[ScheduledDay], group_id: str, joined_at: datetime,
                 rule: MakeUpRule | None = None) -> LateJoining | None:
    """What a newcomer joining ``group_id``'s team at ``joined_at`` will have missed (``rule``: the
    edition's make-up rule, None = the brochure's); None when they miss nothing (the group's day I
    has not begun, or the group has no sessions)."""
    joined_at = require_aware("joined_at", joined_at)
    rule = rule or BROCHURE_RULE
    sessions = list(schedule)
    own_sessions = {s.day_number: s for s in sessions if s.group_id == group_id}
    missed = []
    for number in sorted(own_sessions):
        own = own_sessions[number]
        if own.starts_at >= joined_at:
            continue
        candidates = make_up_sessions(sessions, own, own_sessions.get(number + 1), rule)
        missed.append(MissedDay(own, tuple(s for s in candidates if joined_at < s.ends_at)))
    if not missed:
        return None
    return LateJoining(joined_at, missed[0].own.city, rule, tuple(missed))
