"""The order the application-received e-mail lists a team's members in (domain/team.py)."""
from __future__ import annotations

from services.notify.domain.team import member_groups

ORGS = [
    {"organisation_id": "ngo", "name": "MTÜ Tori Külaselts", "kind": "ngo"},
    {"organisation_id": "tori", "name": "Tori Vallavalitsus", "kind": "local_government"},
    {"organisation_id": "parnu", "name": "Pärnu Linnavalitsus", "kind": "local_government"},
    {"organisation_id": "fund", "name": "SA Pärnumaa Arendus", "kind": "ngo"},
]


def member(first, last, org):
    return {"first_name": first, "last_name": last, "organisation_id": org}


def listed(groups):
    return [(g["kind"], [(m["name"], m["organisation"]) for m in g["members"]]) for g in groups]


def test_local_governments_first_then_ngos_by_organisation_then_name_in_estonian_order():
    members = [member("Õie", "Šmidt", "ngo"), member("Jaan", "Tamm", "tori"), member("Ülle", "Zirk", "ngo"),
               member("Mari", "Maasikas", "parnu"), member("Aino", "Tamm", "tori"), member("Eva", "Ots", "fund")]
    assert listed(member_groups(members, ORGS)) == [
        ("local_government", [("Mari Maasikas", "Pärnu Linnavalitsus"), ("Aino Tamm", "Tori Vallavalitsus"),
                              ("Jaan Tamm", "Tori Vallavalitsus")]),
        # Š before Z in Estonian (code points put Š after every ASCII letter).
        ("ngo", [("Õie Šmidt", "MTÜ Tori Külaselts"), ("Ülle Zirk", "MTÜ Tori Külaselts"),
                 ("Eva Ots", "SA Pärnumaa Arendus")]),
    ]


def test_a_member_of_an_organisation_the_event_does_not_describe_comes_last_unlabelled():
    members = [member("Kalle", "Kask", "elsewhere"), member("Mari", "Maasikas", "parnu")]
    assert listed(member_groups(members, ORGS)) == [
        ("local_government", [("Mari Maasikas", "Pärnu Linnavalitsus")]), ("", [("Kalle Kask", "")])]
