"""The team composition rule: at least 4 members, at least 2 from a local government (KOV)
and at least 2 from an NGO (brochure).

One rule, used when an application is validated and again after acceptance whenever a
member is substituted or withdraws: the rule must still hold after any change (policy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time

from .problems import Problem
from .times import TALLINN, require_aware

LOCAL_GOVERNMENT = "local_government"
NGO = "ngo"
ORGANISATION_KINDS: tuple[str, ...] = (LOCAL_GOVERNMENT, NGO)

MIN_MEMBERS = 4
MIN_LOCAL_GOVERNMENT_MEMBERS = 2
MIN_NGO_MEMBERS = 2

TOO_FEW_MEMBERS = "too_few_members"
TOO_FEW_LOCAL_GOVERNMENT_MEMBERS = "too_few_local_government_members"
TOO_FEW_NGO_MEMBERS = "too_few_ngo_members"
SUBSTITUTION_CLOSED = "substitution_closed"
UNKNOWN_MEMBER = "unknown_member"


def check_composition(member_kinds: Iterable[str | None]) -> list[Problem]:
    """Every way the team breaks the rule; empty if it holds.

    ``member_kinds`` has one entry per member: the kind of that member's organisation, or
    None when it is unknown (such a member counts towards the total only; the reason is
    reported where the member is validated).
    """
    kinds = list(member_kinds)
    total = len(kinds)
    local_government = sum(1 for kind in kinds if kind == LOCAL_GOVERNMENT)
    ngo = sum(1 for kind in kinds if kind == NGO)
    problems: list[Problem] = []
    if total < MIN_MEMBERS:
        problems.append(
            Problem(
                TOO_FEW_MEMBERS,
                f"Meeskonnas peab olema vähemalt {MIN_MEMBERS} liiget (praegu {total}).",
                f"A team needs at least {MIN_MEMBERS} members (now {total}).",
            )
        )
    if local_government < MIN_LOCAL_GOVERNMENT_MEMBERS:
        problems.append(
            Problem(
                TOO_FEW_LOCAL_GOVERNMENT_MEMBERS,
                f"Meeskonnas peab olema vähemalt {MIN_LOCAL_GOVERNMENT_MEMBERS} liiget kohalikust "
                f"omavalitsusest (praegu {local_government}).",
                f"A team needs at least {MIN_LOCAL_GOVERNMENT_MEMBERS} members from a local government "
                f"(now {local_government}).",
            )
        )
    if ngo < MIN_NGO_MEMBERS:
        problems.append(
            Problem(
                TOO_FEW_NGO_MEMBERS,
                f"Meeskonnas peab olema vähemalt {MIN_NGO_MEMBERS} liiget vabaühendusest (praegu {ngo}).",
                f"A team needs at least {MIN_NGO_MEMBERS} members from an NGO (now {ngo}).",
            )
        )
    return problems


def _unknown_member(member_id: str) -> Problem:
    return Problem(
        UNKNOWN_MEMBER,
        f"Liiget {member_id} selles meeskonnas ei ole.",
        f"There is no member {member_id} in this team.",
    )


def composition_after_withdrawal(member_kinds: Mapping[str, str | None], leaving_id: str) -> list[Problem]:
    """What the team would break if ``leaving_id`` left; ``member_kinds`` maps the current
    (still active) members' ids to their organisation's kind.

    Nobody can be kept in the programme against their will, so this only informs: the
    caller decides whether to ask the team for a substitute or to flag the team.
    """
    if leaving_id not in member_kinds:
        return [_unknown_member(leaving_id)]
    return check_composition(kind for member_id, kind in member_kinds.items() if member_id != leaving_id)


def composition_after_substitution(
    member_kinds: Mapping[str, str | None], leaving_id: str, newcomer_kind: str | None
) -> list[Problem]:
    """What the team would break if ``leaving_id`` were replaced by someone from an
    organisation of ``newcomer_kind`` (a KOV member replaced by an NGO member may break it)."""
    if leaving_id not in member_kinds:
        return [_unknown_member(leaving_id)]
    remaining = [kind for member_id, kind in member_kinds.items() if member_id != leaving_id]
    return check_composition([*remaining, newcomer_kind])


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
    problems.extend(composition_after_substitution(member_kinds, leaving_id, newcomer_kind))
    return problems


def can_substitute(
    before_first_session: bool,
    member_kinds: Mapping[str, str | None],
    leaving_id: str,
    newcomer_kind: str | None,
) -> bool:
    return not check_substitution(before_first_session, member_kinds, leaving_id, newcomer_kind)
