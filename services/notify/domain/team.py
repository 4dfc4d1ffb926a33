"""A team's members as the application-received e-mail lists them.

The form sends them in the order they were typed. A reader checks a team against the rule
(at least two from a local government, at least two from an NGO), so the e-mail lists them by
organisation kind — local governments first, then NGOs —, within a kind by organisation and
then by last and first name, in Estonian alphabetical order (``shared.collation``). A member
whose organisation the event does not describe comes last, unlabelled.
"""
from __future__ import annotations

from shared.collation import estonian_key, name_key

KIND_ORDER: tuple[str, ...] = ("local_government", "ngo")


def member_groups(members: list[dict], organisations: list[dict]) -> list[dict]:
    """[{kind, members: [{name, organisation}]}]: one group per organisation kind the team has,
    in ``KIND_ORDER`` (an unknown kind as ``""``, last)."""
    orgs = {o["organisation_id"]: o for o in organisations}
    rows = []
    for position, member in enumerate(members):
        org = orgs.get(member.get("organisation_id")) or {}
        kind = org.get("kind") if org.get("kind") in KIND_ORDER else ""
        name = " ".join(part for part in (member.get("first_name"), member.get("last_name")) if part)
        rows.append(((KIND_ORDER.index(kind) if kind else len(KIND_ORDER)), estonian_key(org.get("name")),
                     name_key(member.get("last_name"), member.get("first_name")), position,
                     kind, {"name": name, "organisation": org.get("name") or ""}))
    groups: list[dict] = []
    for *_order, kind, entry in sorted(rows, key=lambda row: row[:4]):
        if not groups or groups[-1]["kind"] != kind:
            groups.append({"kind": kind, "members": []})
        groups[-1]["members"].append(entry)
    return groups
