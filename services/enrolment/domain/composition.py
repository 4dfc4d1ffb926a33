"""The team composition rule: at least 4 members, at least 2 from a local government (KOV)
and at least 2 from an NGO (brochure).

One rule, used when an application is validated and again after acceptance whenever a
member is substituted or withdraws: the rule must still hold after any change (policy).
Until when a member may be substituted is the edition's too (``SubstitutionRule``: before the
group's first session day by default, or its second or third, or not at all).

The three minimums are the edition's (policy, ``CompositionRule``; the brochure's 4/2/2 by
default): whole numbers, at least 1 from each kind (the programme is a local government's
and an NGO's joint team, and an application names an organisation of each kind), the two
kinds' minimums together at most the members' minimum, which is at most ``MAX_MIN_MEMBERS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time

from .problems import Errors, Problem
from .times import TALLINN, require_aware

LOCAL_GOVERNMENT = "local_government"
NGO = "ngo"
ORGANISATION_KINDS: tuple[str, ...] = (LOCAL_GOVERNMENT, NGO)

MIN_MEMBERS = 4
MIN_LOCAL_GOVERNMENT_MEMBERS = 2
MIN_NGO_MEMBERS = 2
#: The most a team's minimum may be: the public form's member rows (more would be a typo).
MAX_MIN_MEMBERS = 40
RULE_FIELDS = ("min_team_members", "min_local_government_members", "min_ngo_members")

TOO_FEW_MEMBERS = "too_few_members"
TOO_FEW_LOCAL_GOVERNMENT_MEMBERS = "too_few_local_government_members"
TOO_FEW_NGO_MEMBERS = "too_few_ngo_members"
SUBSTITUTION_CLOSED = "substitution_closed"
UNKNOWN_MEMBER = "unknown_member"

#: Until when a team may substitute a member (policy, the edition's ``SubstitutionRule``): before
#: its group's day ``until_day`` begins (1: before the first session day, the default), or not at all.
SUBSTITUTION_FIELDS = ("substitutions_allowed", "substitution_until_day")
SUBSTITUTION_DAYS = (1, 2, 3)
DEFAULT_SUBSTITUTION_UNTIL_DAY = 1
_ORDINALS = {1: ("esimest", "first"), 2: ("teist", "second"), 3: ("kolmandat", "third")}


@dataclass(frozen=True)
class CompositionRule:
    """An edition's minimums: members in all, from a local government, from an NGO."""

    min_members: int = MIN_MEMBERS
    min_local_government: int = MIN_LOCAL_GOVERNMENT_MEMBERS
    min_ngo: int = MIN_NGO_MEMBERS


#: The brochure's rule, for an edition that sets no other.
DEFAULT_RULE = CompositionRule()


def rule_problems(min_members: object, min_local_government: object, min_ngo: object) -> Errors:
    """The minimums given (None: not given, not judged), each at its field (``RULE_FIELDS``) in
    Estonian and English: whole numbers, members 1..MAX_MIN_MEMBERS, each kind at least 1, and
    the kinds' minimums together not above the members' (a team could never meet it otherwise)."""
    errors: Errors = {}
    values = dict(zip(RULE_FIELDS, (min_members, min_local_government, min_ngo), strict=True))
    for path, value in values.items():
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            problem = Problem("not_whole_number", "Sisestage täisarv.", "Enter a whole number.")
        elif path == "min_team_members" and value < 1:
            problem = Problem("below_one", "Meeskonnas peab olema vähemalt 1 liige.", "A team needs at least 1 member.")
        elif value < 1:
            problem = Problem("below_one", "Vähemalt 1: meeskond on kohaliku omavalitsuse ja vabaühenduse ühine.",
                              "At least 1: a team is a local government's and an NGO's joint team.")
        elif value > MAX_MIN_MEMBERS:
            problem = Problem("too_large", f"Kuni {MAX_MIN_MEMBERS}.", f"At most {MAX_MIN_MEMBERS}.")
        else:
            continue
        errors.setdefault(path, []).append(problem)
    members, kov, ngo = (values[name] for name in RULE_FIELDS)
    if not errors and all(isinstance(v, int) for v in (members, kov, ngo)) and kov + ngo > members:
        errors.setdefault("min_team_members", []).append(Problem(
            "min_members_below_kinds",
            f"Liikmeid peab olema vähemalt nii palju kui kohalikust omavalitsusest ja vabaühendusest kokku "
            f"({kov} + {ngo} = {kov + ngo}).",
            f"The members' minimum must be at least the local government's and the NGO's together "
            f"({kov} + {ngo} = {kov + ngo})."))
    return errors


def check_composition(member_kinds: Iterable[str | None], rule: CompositionRule = DEFAULT_RULE) -> list[Problem]:
    """Every way the team breaks ``rule`` (the edition's); empty if it holds.

    ``member_kinds`` has one entry per member: the kind of that member's organisation, or
    None when it is unknown (such a member counts towards the total only; the reason is
    reported where the member is validated).
    """
    kinds = list(member_kinds)
    total = len(kinds)
    local_government = sum(1 for kind in kinds if kind == LOCAL_GOVERNMENT)
    ngo = sum(1 for kind in kinds if kind == NGO)
    problems: list[Problem] = []
    if total < rule.min_members:
        problems.append(
            Problem(
                TOO_FEW_MEMBERS,
                f"Meeskonnas peab olema vähemalt {rule.min_members} liiget (praegu {total}).",
                f"A team needs at least {rule.min_members} members (now {total}).",
            )
        )
    if local_government < rule.min_local_government:
        problems.append(
            Problem(
                TOO_FEW_LOCAL_GOVERNMENT_MEMBERS,
                f"Meeskonnas peab olema vähemalt {rule.min_local_government} liiget kohalikust "
                f"omavalitsusest (praegu {local_government}).",
                f"A team needs at least {rule.min_local_government} members from a local government "
                f"(now {local_government}).",
            )
        )
    if ngo < rule.min_ngo:
        problems.append(
            Problem(
                TOO_FEW_NGO_MEMBERS,
                f"Meeskonnas peab olema vähemalt {rule.min_ngo} liiget vabaühendusest (praegu {ngo}).",
                f"A team needs at least {rule.min_ngo} members from an NGO (now {ngo}).",
            )
        )
    return problems


def _unknown_member(member_id: str) -> Problem:
    return Problem(
        UNKNOWN_MEMBER,
        f"Liiget {member_id} selles meeskonnas ei ole.",
        f"There is no member {member_id} in this team.",
    )


def composition_after_withdrawal(member_kinds: Mapping[str, str | None], leaving_id: str,
                                 rule: CompositionRule = DEFAULT_RULE) -> list[Problem]:
    """What the team would break if ``leaving_id`` left; ``member_kinds`` maps the current
    (still active) members' ids to their organisation's kind.

    Nobody can be kept in the programme against their will, so this only informs: the
    caller decides whether to ask the team for a substitute or to flag the team.
    """
    if leaving_id not in member_kinds:
        return [_unknown_member(leaving_id)]
    return check_composition((kind for member_id, kind in member_kinds.items() if member_id != leaving_id), rule)


def composition_after_substitution(
    member_kinds: Mapping[str, str | None], leaving_id: str, newcomer_kind: str | None,
    rule: CompositionRule = DEFAULT_RULE,
) -> list[Problem]:
    """What the team would break if ``leaving_id`` were replaced by someone from an
    organisation of ``newcomer_kind`` (a KOV member replaced by an NGO member may break it)."""
    if leaving_id not in member_kinds:
        return [_unknown_member(leaving_id)]
    remaining = [kind for member_id, kind in member_kinds.items() if member_id != leaving_id]
    return check_composition([*remaining, newcomer_kind], rule)


@dataclass(frozen=True)
class SubstitutionRule:
    """An edition's substitution cut-off: allowed at all, and then until the team's group's day
    ``until_day`` begins (1: before its first session day, the brochure's policy)."""

    allowed: bool = True
    until_day: int = DEFAULT_SUBSTITUTION_UNTIL_DAY


DEFAULT_SUBSTITUTION_RULE = SubstitutionRule()


def substitution_rule_problems(allowed: object, until_day: object) -> Errors:
    """The values given (None: not given, not judged), each at its field (``SUBSTITUTION_FIELDS``)
    in Estonian and English: allowed yes or no, the day 1, 2 or 3."""
    errors: Errors = {}
    if allowed is not None and not isinstance(allowed, bool):
        errors["substitutions_allowed"] = [Problem("not_yes_no", "Valige: jah või ei.", "Choose: yes or no.")]
    if until_day is not None and (not isinstance(until_day, int) or isinstance(until_day, bool)
                                  or until_day not in SUBSTITUTION_DAYS):
        errors["substitution_until_day"] = [Problem(
            "day_invalid", "Asendada saab kuni rühma 1., 2. või 3. koolituspäeva alguseni: sisestage 1, 2 või 3.",
            "Substitutions can run until the group's day 1, 2 or 3 begins: enter 1, 2 or 3.")]
    return errors


def substitution_cutoff_text(rule: SubstitutionRule, language: str = "et") -> str:
    """The rule as a sentence: "Liiget saab asendada enne rühma teist koolituspäeva." """
    if not rule.allowed:
        return "Selles lennus liikmeid ei asendata." if language == "et" else \
            "Members are not substituted in this edition."
    et, en = _ORDINALS.get(rule.until_day, _ORDINALS[1])
    return f"Liiget saab asendada enne rühma {et} koolituspäeva." if language == "et" else \
        f"A member can be substituted before the group's {en} session day."


def substitution_closed(rule: SubstitutionRule, day_starts_at: datetime | None = None) -> Problem:
    """The refusal of a substitution too late (or not allowed at all), naming the edition's
    cut-off and, when known, the date of the group's day it ends with."""
    if not rule.allowed:
        return Problem(SUBSTITUTION_CLOSED, "Selles lennus liikmeid ei asendata.",
                       "Members are not substituted in this edition.")
    et, en = _ORDINALS.get(rule.until_day, _ORDINALS[1])
    on = f" ({day_starts_at.astimezone(TALLINN):%d.%m.%Y})" if day_starts_at is not None else ""
    return Problem(SUBSTITUTION_CLOSED, f"Liiget saab asendada ainult enne rühma {et} koolituspäeva{on}.",
                   f"A member can only be substituted before the group's {en} session day{on}.")


def cutoff_day_starts_at(rule: SubstitutionRule, session_starts: Mapping[int, datetime]) -> datetime | None:
    """When the group's cut-off day's session starts (``session_starts``: day number -> start);
    with no such day, the group's last one. None when the group has no days."""
    if not session_starts:
        return None
    day = rule.until_day if rule.until_day in session_starts else max(session_starts)
    return session_starts[day]


def substitution_open(rule: SubstitutionRule, session_starts: Mapping[int, datetime] | None, now: datetime) -> bool:
    """May a team substitute now? Never when the edition allows none; else while its group's
    cut-off day has not begun (a team not placed in a group yet: ``session_starts`` None, always)."""
    if not rule.allowed:
        return False
    if session_starts is None:
        return True
    starts = cutoff_day_starts_at(rule, session_starts)
    return starts is None or before_first_session_day(starts, now)


def before_first_session_day(first_session_starts_at: datetime, now: datetime) -> bool:
    """True until the first session *day* begins (midnight in Tallinn), not its 10:00 start:
    by then the roster and sign-in sheets are out, so the day itself is too late. (Any session
    day's start may be given: true until that day begins.)"""
    first_day = require_aware("first_session_starts_at", first_session_starts_at).astimezone(TALLINN).date()
    day_begins = datetime.combine(first_day, time(0), tzinfo=TALLINN)
    return require_aware("now", now) < day_begins


def check_substitution(
    before_first_session: bool,
    member_kinds: Mapping[str, str | None],
    leaving_id: str,
    newcomer_kind: str | None,
    rule: CompositionRule = DEFAULT_RULE,
    closed: Problem | None = None,
) -> list[Problem]:
    """Every reason the substitution is refused; empty if it may go ahead.

    ``before_first_session`` is whether the edition's cut-off has not passed for the team
    (``substitution_open``; ``before_first_session_day`` for the brochure's rule), ``closed``
    the refusal naming that cut-off (the brochure's by default).
    """
    problems: list[Problem] = []
    if not before_first_session:
        problems.append(closed or substitution_closed(DEFAULT_SUBSTITUTION_RULE))
    problems.extend(composition_after_substitution(member_kinds, leaving_id, newcomer_kind, rule))
    return problems


def can_substitute(
    before_first_session: bool,
    member_kinds: Mapping[str, str | None],
    leaving_id: str,
    newcomer_kind: str | None,
    rule: CompositionRule = DEFAULT_RULE,
) -> bool:
    return not check_substitution(before_first_session, member_kinds, leaving_id, newcomer_kind, rule)
