"""The order the enrolment pages list a team's members in (domain/team.py), as notify's receipt does."""
from __future__ import annotations

from services.enrolment.domain.team import in_team_order, member_groups
from shared.collation import estonian_key


def member(first, last, org, kind):
    return {"first_name": first, "last_name": last, "organisation_name": org, "organisation_kind": kind}


MEMBERS = [member("Õie", "Šmidt", "MTÜ Tori Külaselts", "ngo"), member("Jaan", "Tamm", "Tori Vallavalitsus", "local_government"),
           member("Ülle", "Zirk", "MTÜ Tori Külaselts", "ngo"), member("Mari", "Maasikas", "Pärnu Linnavalitsus", "local_government"),
           member("Aino", "Tamm", "Tori Vallavalitsus", "local_government"), member("Eva", "Ots", "SA Pärnumaa Arendus", "ngo")]


def names(members):
    return [f"{m['first_name']} {m['last_name']}" for m in members]


def test_local_governments_first_then_ngos_by_organisation_then_name_in_estonian_order():
    assert names(in_team_order(MEMBERS, estonian_key)) == [
        "Mari Maasikas", "Aino Tamm", "Jaan Tamm",
        "Õie Šmidt", "Ülle Zirk",  # Š before Z in Estonian (code points put Š after every ASCII letter)
        "Eva Ots"]
    groups = member_groups(MEMBERS, estonian_key)
    assert [(g["kind"], names(g["members"])) for g in groups] == [
        ("local_government", ["Mari Maasikas", "Aino Tamm", "Jaan Tamm"]),
        ("ngo", ["Õie Šmidt", "Ülle Zirk", "Eva Ots"])]


def test_another_kind_comes_last_and_equal_ones_keep_their_order():
    first, second = member("Kalle", "Kask", "X", "company"), member("Kalle", "Kask", "X", "company")
    ordered = in_team_order([first, MEMBERS[1], second], estonian_key)
    assert ordered[0] is MEMBERS[1] and ordered[1] is first and ordered[2] is second
    assert [g["kind"] for g in member_groups([first, MEMBERS[1]], estonian_key)] == ["local_government", ""]
