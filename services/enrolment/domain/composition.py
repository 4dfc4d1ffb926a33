"""The team composition rule: at least 4 members, at least 2 from a local government (KOV)
and at least 2 from an NGO (brochure).

One rule, used when an application is validated and again after acceptance whenever a
member is substituted or withdraws: the rule must still hold after any change (policy).

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


def before_first_session_day(first_session_starts_at: datetime, now: datetime) -> bool:
    """True until the first session *day* begins (midnight in Tallinn), not its 10:00 start:
    by then the roster and sign-in sheets are out, so the day itself is too late."""
    first_day = require_aware("first_session_starts_at", first_session_starts_at).astimezone(TALLINN).date()
    day_begins = datetime.combine(first_day, time(0), tzinfo=TALLINN)
    return require_aware("now", now) < day_begins


def check_substitution(
    before_first_session: bool,
    member_kinds: Mapping[str, str | None],
    leaving_id: str,
    newcomer_kind: str | None,
    rule: CompositionRule = DEFAULT_RULE,
) -> list[Problem]:
    """Every reason the substitution is refused; empty if it may go ahead.

    ``before_first_session`` comes from ``before_first_session_day`` for the team's group
    (or True while the team is not yet placed in a group).
    """
    problems: list[Problem] = []
    if not before_first_session:
        problems.append(
            Problem(
                SUBSTITUTION_CLOSED,
                "Liiget saab asendada ainult enne rühma esimest koolituspäeva.",
                "A member can only be substituted before the group's first session day.",
            )
        )
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
