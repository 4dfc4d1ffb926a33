"""The make-up rule (policy, DOMAIN.md "Sessions and attendance"), set per edition.

The brochure's rule (``BROCHURE_RULE``, every edition's default): a participant of group G
who misses day N may attend day N with another group, in a session that takes place
entirely after G's own day-N session and entirely before G's own day N+1 (for day III: any
later day-III session). The last session of each day number therefore offers no make-up at
all (Tallinn's, in 2019).

A coordinator may set an edition's ``MakeUpRule`` otherwise: no make-ups at all (a missed
day is lost when the own session ends), or the looser window "any later session of the same
day number" (G's next day no longer closes it).

"After the own session" is read as "starting no earlier than the own session ends": a
same-day session elsewhere running in parallel is a switch of city, not a make-up.

Seat limits are checked only when a make-up is booked (``check_make_up``). Which sessions
*could* make a day up, and so when a participant drops out, does not depend on how full
they are: a seat may free up, and a dropout must not hinge on other people's bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .schedule import ROMAN_DAY, Schedule, Session


class MakeUpRefused(Exception):
    """A make-up booking the rule does not allow, with texts to show to the person."""

    def __init__(self, code: str, message_et: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_et = message_et
        self.message_en = message_en

    def message(self, language: str = "et") -> str:
        return self.message_en if language == "en" else self.message_et


# Reason codes, stable for APIs and translations.
SAME_GROUP = "same_group"
DIFFERENT_DAY = "different_day"
BEFORE_OWN_SESSION = "before_own_session"
AFTER_OWN_NEXT_DAY = "after_own_next_day"
MAKE_UPS_NOT_ALLOWED = "make_ups_not_allowed"
SESSION_FULL = "session_full"

# The make-up windows a coordinator chooses from, stable for APIs and the database.
BEFORE_OWN_NEXT_DAY = "before_own_next_day"  # the brochure's
ANY_LATER_SAME_DAY = "any_later_same_day"
WINDOWS = (BEFORE_OWN_NEXT_DAY, ANY_LATER_SAME_DAY)


@dataclass(frozen=True)
class MakeUpRule:
    """An edition's make-up rule: whether a missed day may be made up with another group, and
    by which sessions (``window``; kept while make-ups are off, so switching back restores it)."""

    allowed: bool = True
    window: str = BEFORE_OWN_NEXT_DAY

    def __post_init__(self) -> None:
        if self.window not in WINDOWS:
            raise ValueError(f"unknown make-up window {self.window!r}, expected one of {WINDOWS}")

    @property
    def is_brochure(self) -> bool:
        return self == BROCHURE_RULE

    def texts(self) -> tuple[str, str]:
        """The rule in a sentence (Estonian, English), as pages and refusals state it."""
        if not self.allowed:
            return ("järeletegemine ei ole lubatud: puudutud päev on kaotatud, kui oma grupi koolituspäev lõpeb",
                    "no make-ups: a missed day is lost when the own group's session ends")
        if self.window == ANY_LATER_SAME_DAY:
            return ("puudutud päeva saab järele teha teise grupi igal hilisemal sama päeva koolitusel",
                    "a missed day can be made up at any later session of the same day with another group")
        return ("puudutud päeva saab järele teha teise grupi sama päeva koolitusel enne oma grupi järgmist "
                "päeva (III päeva: igal hilisemal III päeval)",
                "a missed day can be made up at another group's session of the same day before the own "
                "group's next day (day III: any later day-III session)")


BROCHURE_RULE = MakeUpRule()


@dataclass(frozen=True)
class MakeUpWindow:
    """When a missed day N can be made up: by sessions lying within [opens_at, closes_at]."""

    own_session: Session
    next_own_session: Session | None  # None for the last day: no upper bound
    rule: MakeUpRule = BROCHURE_RULE

    @property
    def opens_at(self) -> datetime:
        return self.own_session.ends_at

    @property
    def closes_at(self) -> datetime | None:
        if self.next_own_session is None or self.rule.window == ANY_LATER_SAME_DAY:
            return None
        return self.next_own_session.starts_at


def make_up_window(schedule: Schedule, group_id: str, day_number: int,
                   rule: MakeUpRule = BROCHURE_RULE) -> MakeUpWindow:
    return MakeUpWindow(
        own_session=schedule.session_of(group_id, day_number),
        next_own_session=schedule.next_session_of(group_id, day_number),
        rule=rule,
    )


def _broken_rule(window: MakeUpWindow, target: Session) -> str | None:
    """The reason code of the rule ``target`` breaks as a make-up of the window's day, ignoring
    seats; None if it can make it up. (Cheap: standings ask this for every session.)"""
    own = window.own_session
    if target.group_id == own.group_id:
        return SAME_GROUP
    if not window.rule.allowed:
        return MAKE_UPS_NOT_ALLOWED
    if target.day_number != own.day_number:
        return DIFFERENT_DAY
    if target.starts_at < window.opens_at:
        return BEFORE_OWN_SESSION
    closes_at = window.closes_at
    if closes_at is not None and target.ends_at > closes_at:
        return AFTER_OWN_NEXT_DAY
    return None


def _rule_refusal(window: MakeUpWindow, target: Session) -> MakeUpRefused | None:
    """Why ``target`` cannot make up the window's day, ignoring seats; None if it can."""
    code = _broken_rule(window, target)
    own, next_own = window.own_session, window.next_own_session
    day = ROMAN_DAY[own.day_number]
    rule_et, rule_en = window.rule.texts()
    if code == MAKE_UPS_NOT_ALLOWED:
        return MakeUpRefused(
            MAKE_UPS_NOT_ALLOWED,
            f"{target.city} {target.date_text} ei saa {day} päeva järele teha. Selle lennu reegel: {rule_et}.",
            f"{target.city} {target.date_text} cannot make up day {day}. This edition's rule: {rule_en}.",
        )
    if code == SAME_GROUP:
        return MakeUpRefused(
            SAME_GROUP,
            f"{target.city} {target.date_text} on teie oma grupi koolituspäev, mitte järeletegemise võimalus.",
            f"{target.city} {target.date_text} is your own group's session, not a make-up.",
        )
    if code == DIFFERENT_DAY:
        return MakeUpRefused(
            DIFFERENT_DAY,
            f"Puudutud {day} päeva saab järele teha ainult teise grupi {day} päeval; "
            f"{target.city} {target.date_text} on {target.roman_day} päev.",
            f"A missed day {day} can only be made up at another group's day {day}; "
            f"{target.city} {target.date_text} is day {target.roman_day}.",
        )
    if code == BEFORE_OWN_SESSION:
        return MakeUpRefused(
            BEFORE_OWN_SESSION,
            f"{target.city} {target.date_text} toimub enne teie grupi {day} päeva lõppu ({own.date_text}); "
            "järele saab teha ainult hiljem toimuval koolituspäeval.",
            f"{target.city} {target.date_text} takes place before your group's day {day} "
            f"({own.date_text}) is over; only a later session can make it up.",
        )
    if code == AFTER_OWN_NEXT_DAY:
        return MakeUpRefused(
            AFTER_OWN_NEXT_DAY,
            f"{target.city} {target.date_text} toimub pärast teie grupi {next_own.roman_day} päeva algust "
            f"({next_own.date_text}); {day} päev tuleb järele teha enne seda. Selle lennu reegel: {rule_et}.",
            f"{target.city} {target.date_text} takes place after your group's day {next_own.roman_day} "
            f"starts ({next_own.date_text}); day {day} must be made up before then. "
            f"This edition's rule: {rule_en}.",
        )
    return None


def rule_refusal(schedule: Schedule, group_id: str, day_number: int, target: Session,
                 rule: MakeUpRule = BROCHURE_RULE) -> MakeUpRefused | None:
    """Why ``target`` cannot make up the group's day under ``rule``, seats aside (e.g. for a
    guest checking in at a session booked under an earlier rule); None if it can."""
    return _rule_refusal(make_up_window(schedule, group_id, day_number, rule), target)


def make_up_sessions(schedule: Schedule, group_id: str, day_number: int,
                     rule: MakeUpRule = BROCHURE_RULE) -> list[Session]:
    """Every session that can make up the group's day, past or future, chronologically."""
    window = make_up_window(schedule, group_id, day_number, rule)
    return [s for s in schedule.sessions_on_day(day_number) if _broken_rule(window, s) is None]


def open_make_up_sessions(schedule: Schedule, group_id: str, day_number: int, now: datetime,
                          rule: MakeUpRule = BROCHURE_RULE) -> list[Session]:
    """The make-up sessions that have not ended at ``now`` (a running one still counts)."""
    return [s for s in make_up_sessions(schedule, group_id, day_number, rule) if not s.has_ended(now)]


def last_chance_ends_at(schedule: Schedule, group_id: str, day_number: int,
                        rule: MakeUpRule = BROCHURE_RULE) -> datetime:
    """When a missed day becomes final: the end of its last make-up session, or of the
    own session when there is none (Tallinn's day I, the last day III; every day when the
    edition allows no make-ups)."""
    candidates = make_up_sessions(schedule, group_id, day_number, rule)
    if candidates:
        return max(s.ends_at for s in candidates)
    return schedule.session_of(group_id, day_number).ends_at


def free_seats(session: Session, taken_seats: int) -> int | None:
    """None means unlimited."""
    if session.seats is None:
        return None
    return max(session.seats - taken_seats, 0)


def check_make_up(
    schedule: Schedule, group_id: str, day_number: int, target: Session, taken_seats: int,
    rule: MakeUpRule = BROCHURE_RULE,
) -> None:
    """Raise ``MakeUpRefused`` unless a member of ``group_id`` who missed ``day_number`` may
    be booked into ``target`` under the edition's ``rule``. ``taken_seats`` counts everyone
    already expected there (its own group and earlier make-ups); the caller reads it in the
    same transaction."""
    refusal = _rule_refusal(make_up_window(schedule, group_id, day_number, rule), target)
    if refusal is not None:
        raise refusal
    if free_seats(target, taken_seats) == 0:
        raise MakeUpRefused(
            SESSION_FULL,
            f"{target.city} {target.date_text} koolituspäeval ei ole vabu kohti ({target.seats} kohta).",
            f"The session in {target.city} on {target.date_text} is full ({target.seats} seats).",
        )
