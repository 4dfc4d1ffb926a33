"""The public application through the JSON API: every rule refused with its field error,
nothing stored or published on a refusal, idempotent double submits, the deadline."""
from __future__ import annotations

import pytest

from shared import clock
from tests.enrolment.helpers import (
    AFTER_DEADLINE,
    LAST_SECOND,
    application_json,
    bad_checksum,
    counts,
    path_of,
    registry_code,
    submit,
)


def test_a_valid_application_creates_one_application_and_publishes_it_with_confirm_links(h):
    r = submit(h)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "submitted" and body["team_name"] == "Meeskond 1"
    assert counts(h) == {"applications": 1, "members": 4, "organisations": 2, "events": 2}  # + edition

    [event] = h.published("enrolment.application.submitted")
    payload = event["payload"]
    assert payload["application_id"] == body["application_id"]
    assert payload["preferred_cities"] == ["Pärnu", "Tartu"]
    assert payload["contact_email"] == "kontakt1@parnu.ee"
    kinds = {o["organisation_id"]: o["kind"] for o in payload["organisations"]}
    assert sorted(kinds.values()) == ["local_government", "ngo"]
    assert [m["participant_id"] for m in payload["members"]] == [m["participant_id"] for m in body["members"]]
    for member in payload["members"]:
        assert member["organisation_id"] in kinds
        assert member["confirm_url"].startswith("http://127.0.0.1:8000/enrolment/p/")
        # Each link is personal: it opens that member's confirmation page.
        page = h.client.get(path_of(member["confirm_url"]))
        assert page.status_code == 200 and member["first_name"] in page.get_data(as_text=True)


def _without_member(index):
    data = application_json()
    del data["members"][index]
    return {"members": data["members"]}


def _orgs(**changes_by_index):
    orgs = application_json()["organisations"]
    for index, changes in changes_by_index.items():
        orgs[int(index[1:])].update(changes)
    return {"organisations": orgs}


def _members(**changes_by_index):
    members = application_json()["members"]
    for index, changes in changes_by_index.items():
        members[int(index[1:])].update(changes)
    return {"members": members}


RULES = {
    "fewer than 4 members": (_without_member(3), "members", "too_few_members"),
    "fewer than 2 from a local government": (
        _members(m1={"organisation_key": "mtu"}), "members", "too_few_local_government_members"),
    "fewer than 2 from an NGO": (
        _members(m3={"organisation_key": "kov"}), "members", "too_few_ngo_members"),
    "registry code with a bad check digit": (
        _orgs(o0={"registry_code": bad_checksum(registry_code("7", 1))}),
        "organisations.0.registry_code", "registry_code_checksum"),
    "registry code of the wrong kind": (
        _orgs(o1={"registry_code": registry_code("7", 5)}),
        "organisations.1.registry_code", "registry_code_kind_mismatch"),
    "duplicate member e-mail": (
        _members(m2={"email": "MARI1@parnu.ee"}), "members.2.email", "duplicate_email"),
    "member of a missing organisation": (
        _members(m3={"organisation_key": "sa"}), "members.3.organisation_key", "unknown_organisation"),
    "intention to delegate not confirmed": (
        {"intends_to_delegate": False}, "intends_to_delegate", "delegation_not_confirmed"),
    "NGO experience missing": ({"ngo_experience": "  "}, "ngo_experience", "required"),
    "unknown city": ({"preferred_cities": ["Pärnu", "Narva"]}, "preferred_cities.1", "unknown_city"),
    "no city": ({"preferred_cities": []}, "preferred_cities", "no_preferred_city"),
    "bad contact e-mail": ({"contact_email": "kontakt@"}, "contact_email", "invalid_email"),
    "idea kind": ({"idea": {"title": "T", "description": "D", "kind": "maybe"}}, "idea.kind", "invalid_choice"),
}


@pytest.mark.parametrize("case", RULES)
def test_each_rule_is_refused_with_its_field_error_and_nothing_changes(h, case):
    changes, path, code = RULES[case]
    before = counts(h)
    r = submit(h, **changes)
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert code in [p["code"] for p in body["problems"][path]], body["problems"]
    assert body["errors"][path]  # the message, in Estonian by default
    assert counts(h) == before


def test_every_problem_is_reported_at_once_in_the_requested_language(h):
    data = application_json(intends_to_delegate=False, ngo_experience="", contact_email="")
    data["organisations"][0]["registry_code"] = "12345678"
    r = h.client.post("/api/applications?lang=en", json=data)
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert {"intends_to_delegate", "ngo_experience", "contact_email", "organisations.0.registry_code"} <= set(errors)
    assert errors["ngo_experience"] == ["This field is required."]
    et = h.client.post("/api/applications?lang=et", json=data).get_json()["errors"]
    assert et["ngo_experience"] == ["See väli on kohustuslik."]


def test_wrong_types_are_422_by_field_path_too(h):
    data = application_json()
    data["members"][1]["email"] = 42
    data["intends_to_delegate"] = "perhaps"
    r = h.client.post("/api/applications", json=data)
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"members.1.email", "intends_to_delegate"}
    assert counts(h)["applications"] == 0


def test_the_same_idempotency_key_twice_creates_one_application(h):
    first = submit(h, key="key-0001-double-submit")
    second = submit(h, key="key-0001-double-submit")
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert counts(h)["applications"] == 1
    assert len(h.published("enrolment.application.submitted")) == 1
    # Another application reusing the key is refused, not silently answered with the first.
    other = submit(h, 2, key="key-0001-double-submit")
    assert other.status_code == 409 and other.get_json()["reason"] == "idempotency_key_reused"
    assert submit(h, 2, key="key-0002-another-one").status_code == 201


def test_after_the_deadline_the_api_refuses_with_the_reason(h):
    clock.set_now(LAST_SECOND)
    assert submit(h, 1).status_code == 201  # the whole of 1 March counts
    clock.set_now(AFTER_DEADLINE)
    before = counts(h)
    r = submit(h, 2)
    assert r.status_code == 409
    assert r.get_json()["reason"] == "applications_closed"
    assert "01.03.2019 23:59" in r.get_json()["message"]
    assert counts(h) == before
    edition = h.client.get("/api/edition").get_json()
    assert edition["open"] is False and edition["cities"] == ["Pärnu", "Tartu", "Rakvere", "Tallinn"]
