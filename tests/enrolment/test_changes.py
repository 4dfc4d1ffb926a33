"""Changes after acceptance: substitute a member before the group's first day (the
composition rule must still hold), withdraw a member or the whole team; each publishes."""
from __future__ import annotations

from datetime import datetime

import pytest

from shared import clock
from shared.clock import TALLINN
from tests.enrolment.helpers import complete_application, counts, field_block, submitted, token_of

NEWCOMER = {"first_name": "Liis", "last_name": "Lepp", "email": "liis@parnu.ee", "phone": "+372 5000 0000",
            "position": "nõunik"}


def _accepted_team(h, city="Pärnu"):
    application_id = complete_application(h)
    assert h.client.post(f"/api/applications/{application_id}/accept", json={"city": city}).status_code == 200
    sent = submitted(h, application_id)
    kov = next(o["organisation_id"] for o in sent["organisations"] if o["kind"] == "local_government")
    ngo = next(o["organisation_id"] for o in sent["organisations"] if o["kind"] == "ngo")
    return application_id, sent["members"], kov, ngo


def test_a_member_is_substituted_before_the_first_day(coordinator):
    h = coordinator
    application_id, members, kov, _ = _accepted_team(h)
    leaving = members[1]["participant_id"]
    r = h.client.post(f"/api/applications/{application_id}/members/{leaving}/substitute",
                      json={**NEWCOMER, "organisation_id": kov})
    assert r.status_code == 200, r.get_json()
    joined = r.get_json()["participant_id"]
    [event] = h.payloads("enrolment.member.substituted")
    assert event["application_id"] == application_id and event["left_participant_id"] == leaving
    assert event["member"] == {"participant_id": joined, "first_name": "Liis", "last_name": "Lepp",
                               "email": "liis@parnu.ee", "organisation_id": kov, "language": "et"}
    assert event["organisation"]["organisation_id"] == kov and event["confirm_url"]
    # The newcomer must confirm in turn; until then the team is not complete.
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert detail["complete"] is False and detail["members_total"] == 4
    assert {m["participant_id"]: m["status"] for m in detail["members"]}[leaving] == "substituted"
    assert h.client.post(f"/api/confirmations/{token_of(event['confirm_url'])}", json={}).status_code == 200
    assert h.payloads("enrolment.member.confirmed")[-1] == {
        "application_id": application_id, "participant_id": joined, "all_confirmed": True}


def test_substitution_must_keep_the_composition_rule(coordinator):
    h = coordinator
    application_id, members, _, ngo = _accepted_team(h)
    before = counts(h)
    # Two local-government members exactly: replacing one by an NGO member breaks the rule.
    r = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                      json={**NEWCOMER, "organisation_id": ngo})
    assert r.status_code == 422
    assert r.get_json()["problems"]["organisation_id"][0]["code"] == "too_few_local_government_members"
    # The newcomer's own data is judged like an applicant's.
    r = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                      json={**NEWCOMER, "email": members[2]["email"], "organisation_id": "elsewhere"})
    assert r.status_code == 422
    assert {"email", "organisation_id"} <= set(r.get_json()["errors"])
    assert counts(h) == before


def test_substitution_after_the_first_day_has_begun_is_refused(coordinator):
    h = coordinator
    application_id, members, kov, _ = _accepted_team(h)
    clock.set_now(datetime(2019, 4, 9, 0, 0, tzinfo=TALLINN))  # Pärnu's day I
    r = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                      json={**NEWCOMER, "organisation_id": kov})
    assert r.status_code == 409 and r.get_json()["reason"] == "substitution_closed"
    assert h.payloads("enrolment.member.substituted") == []
    # The day before, it was still possible (in Tartu the first day is later too).
    clock.set_now(datetime(2019, 4, 8, 23, 59, tzinfo=TALLINN))
    assert h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                         json={**NEWCOMER, "organisation_id": kov}).status_code == 200


def test_withdrawing_a_member_is_recorded_and_warns_when_the_team_breaks_the_rule(coordinator):
    h = coordinator
    application_id, members, _, _ = _accepted_team(h)
    r = h.client.post(f"/api/applications/{application_id}/members/{members[3]['participant_id']}/withdraw",
                      json={"reason": "lahkus töölt"})
    assert r.status_code == 200
    assert [w["code"] for w in r.get_json()["warnings"]] == ["too_few_members", "too_few_ngo_members"]
    assert h.payloads("enrolment.member.withdrawn") == [{
        "application_id": application_id, "participant_id": members[3]["participant_id"], "reason": "lahkus töölt"}]
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert detail["composition_ok"] is False and detail["status"] == "accepted"
    assert [p["code"] for p in detail["composition_problems"]] == ["too_few_members", "too_few_ngo_members"]
    again = h.client.post(f"/api/applications/{application_id}/members/{members[3]['participant_id']}/withdraw",
                          json={"reason": "uuesti"})
    assert again.status_code == 409 and again.get_json()["reason"] == "member_not_active"
    assert h.client.post(f"/api/applications/{application_id}/members/{members[3]['participant_id']}/withdraw",
                         json={}).status_code == 422  # the reason is required


def test_withdrawing_the_team_withdraws_every_member_and_frees_the_place(coordinator):
    h = coordinator
    application_id, members, _, _ = _accepted_team(h)
    r = h.client.post(f"/api/applications/{application_id}/withdraw", json={"reason": "vald loobus"})
    assert r.status_code == 200 and r.get_json()["freed_group_id"] == "2019-parnu"
    withdrawn = h.payloads("enrolment.member.withdrawn")
    assert sorted(w["participant_id"] for w in withdrawn) == sorted(m["participant_id"] for m in members)
    assert {w["reason"] for w in withdrawn} == {"vald loobus"}
    [team] = h.payloads("enrolment.application.withdrawn")
    assert team == {"application_id": application_id, "reason": "vald loobus",
                    "participant_ids": [m["participant_id"] for m in members]}
    # Event order: the members first, then the team.
    types = [e["event_type"] for e in h.published()]
    assert types[-5:] == ["enrolment.member.withdrawn"] * 4 + ["enrolment.application.withdrawn"]
    [parnu] = [c for c in h.client.get("/api/cities").get_json() if c["city"] == "Pärnu"]
    assert parnu["accepted"] == 0
    again = h.client.post(f"/api/applications/{application_id}/withdraw", json={"reason": "x"})
    assert again.status_code == 409


def test_the_pages_substitute_and_withdraw(coordinator):
    h = coordinator
    application_id, members, kov, _ = _accepted_team(h)
    page = f"/applications/{application_id}/members/{members[0]['participant_id']}/substitute"
    text = h.client.get(page).get_data(as_text=True)
    assert "Liikme asendamine" in text and 'name="organisation_id"' in text
    token = h.csrf_token(page)
    r = h.client.post(page, data={"csrf_token": token, **NEWCOMER, "email": "vigane@"})
    assert r.status_code == 422 and 'value="Liis"' in r.get_data(as_text=True)
    assert "E-posti aadress ei ole korrektne" in r.get_data(as_text=True)
    r = h.client.post(page, data={"csrf_token": token, **NEWCOMER, "organisation_id": kov})
    assert r.status_code == 303 and len(h.payloads("enrolment.member.substituted")) == 1

    detail = f"/applications/{application_id}"
    r = h.client.post(f"{detail}/members/{members[1]['participant_id']}/withdraw",
                      data={"csrf_token": token, "reason": "haigus"})
    assert r.status_code == 303
    followed = h.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "vähemalt 2 liiget kohalikust" in followed  # the warning
    r = h.client.post(f"{detail}/withdraw", data={"csrf_token": token, "reason": "loobus"})
    assert r.status_code == 303
    assert h.payloads("enrolment.application.withdrawn")[0]["application_id"] == application_id


@pytest.mark.parametrize("lang, email, rule", [
    ("et", "E-posti aadress ei ole korrektne", "vähemalt 2 liiget kohalikust omavalitsusest"),
    ("en", "not a valid e-mail address", "at least 2 members from a local government"),
])
def test_the_substitution_form_shows_the_newcomers_errors_and_the_composition_rule_at_once(coordinator, lang,
                                                                                             email, rule):
    """A newcomer's mistyped e-mail was shown first; that an NGO employee cannot replace one of
    the team's two local-government members only once the e-mail was corrected."""
    h = coordinator
    application_id, members, kov, ngo = _accepted_team(h)
    page = f"/applications/{application_id}/members/{members[0]['participant_id']}/substitute?lang={lang}"
    token = h.csrf_token(page)
    r = h.client.post(page, data={"csrf_token": token, **NEWCOMER, "email": "vigane@", "organisation_id": ngo})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert email in field_block(html, "email") and rule in field_block(html, "organisation_id")
    assert 'value="Liis"' in html and 'value="vigane@"' in html
    api = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                        json={**NEWCOMER, "email": "vigane@", "organisation_id": ngo})
    assert api.status_code == 422
    assert {path: [p["code"] for p in found] for path, found in api.get_json()["problems"].items()} == {
        "email": ["invalid_email"], "organisation_id": ["too_few_local_government_members"]}
    assert h.payloads("enrolment.member.substituted") == []
    # After the group's first day has begun, that is all there is to say.
    clock.set_now(datetime(2019, 4, 9, 0, 0, tzinfo=TALLINN))
    late = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                         json={**NEWCOMER, "email": "vigane@", "organisation_id": ngo})
    assert late.status_code == 409 and late.get_json()["reason"] == "substitution_closed"
    # Corrected, it goes through.
    clock.set_now(datetime(2019, 4, 8, 12, 0, tzinfo=TALLINN))
    r = h.client.post(page, data={"csrf_token": token, **NEWCOMER, "organisation_id": kov})
    assert r.status_code == 303 and len(h.payloads("enrolment.member.substituted")) == 1
