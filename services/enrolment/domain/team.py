"""The order a team's members are listed in on the application page and the thanks page.

The form keeps the order they were typed in. A reader checks a team against the composition rule
(so many from a local government, so many from an NGO), so the pages list them — as notify's
application-received e-mail does — by organisation kind, local governments first, then NGOs,
within a kind by organisation and then by last and first name, in Estonian alphabetical order.
A member of another or no kind comes last; equal ones keep the form's order.

The text key is the caller's (``shared.collation.estonian_key``): the domain imports nothing
from the outer layers.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .composition import LOCAL_GOVERNMENT, NGO

KIND_ORDER: tuple[str, ...] = (LOCAL_GOVERNMENT, NGO)

Member = dict[str, Any]  # organisation_kind, organisation_name, last_name, first_name (and anything else)


def _kind_rank(kind: object) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def in_team_order(members: Iterable[Member], text_key: Callable[[str], Any]) -> list[Member]:
    """``members`` by kind (``KIND_ORDER``), organisation, last and first name (``text_key`` of each);
    stable, so equal ones keep their order."""
    return sorted(members, key=lambda m: (_kind_rank(m.get("organisation_kind")),
                                          text_key(m.get("organisation_name") or ""),
                                          text_key(m.get("last_name") or ""), text_key(m.get("first_name") or "")))


def member_groups(members: Iterable[Member], text_key: Callable[[str], Any]) -> list[dict]:
    """[{kind, members}]: one group per kind the team has, in ``KIND_ORDER`` (any other as "", last),
    each in team order."""
    groups: list[dict] = []
    for member in in_team_order(members, text_key):
        kind = member.get("organisation_kind") if member.get("organisation_kind") in KIND_ORDER else ""
        if not groups or groups[-1]["kind"] != kind:
            groups.append({"kind": kind, "members": []})
        groups[-1]["members"].append(member)
    return groups
