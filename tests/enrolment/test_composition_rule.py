"""The team composition rule is the edition's (DOMAIN.md: a policy a coordinator configures):
its three minimums are set on the edition form, the API and the data file (the brochure's
4 / 2 / 2 by default), and every check of a team — the application (API and public form), a
substitution, a withdrawal's warnings, the team's standing — uses the edition's values."""
from __future__ import annotations

import copy

import pytest

from tests.enrolment.helpers import (
    application_json,
    complete_application,
    counts,
    edition_body,
    edition_form_data,
    field_block,
    form_data,
    submit,
    submitted,
)
from tests.enrolment.test_apply_form import _open_form
from tests.enrolment.test_editions import _load_edition_command


def _set_rule(h, **rule) -> dict:
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    r = h.client.put("/api/editions/2019", json={**body, **rule})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _fifth_member(data: dict, key: str = "kov", n: int = 1) -> dict:
    data = copy.deepcopy(data)
    data["members"].append({"first_name": "Tiina", "last_name": "Tamm", "email": f"tiina{n}@parnu.ee",
                            "phone": "", "position": "nõunik", "organisation_key": key})
    return data


def test_an_edition_of_five_members_refuses_a_team_of_four_through_the_api(coordinator):
    h = coordinator
    shown = _set_rule(h, min_team_members=5)
    assert (shown["min_team_members"], shown["min_local_government_members"], shown["min_ngo_members"]) == (5, 2, 2)
    # Only the rule changed: saved, but no new schedule revision.
    assert len(h.payloads("enrolment.edition.published")) == 1
    public = h.client.get("/api/edition").get_json()
    assert (public["min_team_members"], public["min_local_government_members"], public["min_ngo_members"]) == (5, 2, 2)

    before = counts(h)
    r = submit(h)
    assert r.status_code == 422
    assert r.get_json()["errors"]["members"] == ["Meeskonnas peab olema vähemalt 5 liiget (praegu 4)."]
    assert [p["code"] for p in r.get_json()["problems"]["members"]] == ["too_few_members"]
    english = h.client.post("/api/applications?lang=en", json=application_json())
    assert english.status_code == 422
    assert english.get_json()["errors"]["members"] == ["A team needs at least 5 members (now 4)."]
    assert counts(h) == before

    r = h.client.post("/api/applications", json=_fifth_member(application_json()))
    assert r.status_code == 201, r.get_json()
    assert len(submitted(h, r.get_json()["application_id"])["members"]) == 5


@pytest.mark.parametrize(("lang", "rule_text", "error"), [
    ("et", "Meeskonnas on vähemalt 5 liiget: vähemalt 3 kohalikust omavalitsusest ja 2 vabaühendusest.",
     "Meeskonnas peab olema vähemalt 5 liiget (praegu 4)."),
    ("en", "A team has at least 5 members: at least 3 from a local government and 2 from an NGO.",
     "A team needs at least 5 members (now 4)."),
])
def test_the_public_form_states_the_editions_rule_and_judges_by_it(coordinator, lang, rule_text, error):
    h = coordinator
    _set_rule(h, min_team_members=5, min_local_government_members=3)
    page, csrf, key = _open_form(h, f"/apply?lang={lang}")
    assert rule_text in page and "at least 4 members" not in page and "vähemalt 4 liiget" not in page
    r = h.client.post(f"/apply?lang={lang}", data=form_data(application_json(), csrf=csrf, key=key))
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    heading = "Meeskonnaliikmed" if lang == "et" else "Team members"
    members_section = text[text.index(heading):text.index('id="members-0-first_name"')]
    assert 'role="alert"' in members_section and error in members_section
    assert counts(h)["applications"] == 0

    r = h.client.post(f"/apply?lang={lang}", data=form_data(_fifth_member(application_json()), csrf=csrf, key=key))
    assert r.status_code == 303, r.get_data(as_text=True)
    assert len(h.payloads("enrolment.application.submitted")[0]["members"]) == 5


def _accepted_five(h) -> tuple[str, list[dict], str, str]:
    """An accepted team of five: three from the local government, two from the NGO."""
    application_id = complete_application(h, **{"members": _fifth_member(application_json())["members"]})
    assert h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Pärnu"}).status_code == 200
    sent = submitted(h, application_id)
    kov = next(o["organisation_id"] for o in sent["organisations"] if o["kind"] == "local_government")
    ngo = next(o["organisation_id"] for o in sent["organisations"] if o["kind"] == "ngo")
    return application_id, sent["members"], kov, ngo


NEWCOMER = {"first_name": "Liis", "last_name": "Lepp", "email": "liis@parnu.ee", "phone": "", "position": "nõunik"}


def test_a_substitution_is_judged_by_the_editions_rule(coordinator):
    h = coordinator
    application_id, members, kov, ngo = _accepted_five(h)
    _set_rule(h, min_team_members=5, min_local_government_members=3)
    leaving = members[0]["participant_id"]  # from the local government
    url = f"/api/applications/{application_id}/members/{leaving}/substitute"
    # 3 from the local government exactly: an NGO newcomer breaks the edition's rule (not the brochure's).
    r = h.client.post(url, json={**NEWCOMER, "organisation_id": ngo})
    assert r.status_code == 422
    assert r.get_json()["errors"]["organisation_id"] == [
        "Meeskonnas peab olema vähemalt 3 liiget kohalikust omavalitsusest (praegu 2)."]
    english = h.client.post(f"{url}?lang=en", json={**NEWCOMER, "organisation_id": ngo})
    assert english.get_json()["errors"]["organisation_id"] == [
        "A team needs at least 3 members from a local government (now 2)."]
    assert h.payloads("enrolment.member.substituted") == []

    # The page states the edition's rule and shows the refusal at the employer.
    page = f"/applications/{application_id}/members/{leaving}/substitute"
    assert "at least 5 members, 3 from a local government and 2 from an NGO" in h.client.get(
        f"{page}?lang=en").get_data(as_text=True)
    text = h.client.get(f"{page}?lang=et").get_data(as_text=True)
    assert "vähemalt 5 liiget, neist 3 kohalikust omavalitsusest ja 2 vabaühendusest" in text
    r = h.client.post(page, data={"csrf_token": h.csrf_token(page), **NEWCOMER, "organisation_id": ngo})
    assert r.status_code == 422
    assert "vähemalt 3 liiget kohalikust omavalitsusest (praegu 2)" in field_block(r.get_data(as_text=True),
                                                                                  "organisation_id")

    r = h.client.post(url, json={**NEWCOMER, "organisation_id": kov})
    assert r.status_code == 200, r.get_json()


def test_a_withdrawal_and_the_teams_standing_follow_the_editions_rule_as_it_is_now(coordinator):
    h = coordinator
    application_id, members, _, _ = _accepted_five(h)
    _set_rule(h, min_team_members=5)
    # One of three local-government members leaves: 4 members break the edition's 5 (not the brochure's 4).
    r = h.client.post(f"/api/applications/{application_id}/members/{members[1]['participant_id']}/withdraw",
                      json={"reason": "lahkus töölt"})
    assert r.status_code == 200
    assert [w["code"] for w in r.get_json()["warnings"]] == ["too_few_members"]
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert detail["composition_ok"] is False and detail["status"] == "accepted"
    assert detail["min_team_members"] == 5
    assert [p["et"] for p in detail["composition_problems"]] == ["Meeskonnas peab olema vähemalt 5 liiget (praegu 4)."]
    page = h.client.get(f"/applications/{application_id}?lang=en").get_data(as_text=True)
    assert "A team needs at least 5 members (now 4)." in page
    assert "koosseis ei vasta nõuetele" in h.client.get("/applications?lang=et").get_data(as_text=True)

    # The coordinator lowers the rule again: the team is judged by it at once, nothing was rejected.
    _set_rule(h, min_team_members=4)
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert detail["composition_ok"] is True and detail["composition_problems"] == []
    listed = h.client.get("/api/applications").get_json()
    assert [a["composition_ok"] for a in listed] == [True]


@pytest.mark.parametrize(("rule", "field", "et", "en"), [
    ({"min_team_members": 0}, "min_team_members", "vähemalt 1 liige", "at least 1 member"),
    ({"min_ngo_members": 0}, "min_ngo_members", "Vähemalt 1", "At least 1"),
    ({"min_local_government_members": 41, "min_team_members": 45}, "min_local_government_members",
     "Kuni 40.", "At most 40."),
    ({"min_team_members": 4, "min_local_government_members": 3}, "min_team_members",
     "(3 + 2 = 5)", "(3 + 2 = 5)"),
])
def test_the_api_refuses_bad_minimums_with_field_errors(coordinator, rule, field, et, en):
    h = coordinator
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    r = h.client.put("/api/editions/2019", json={**body, **rule})
    assert r.status_code == 422, r.get_json()
    assert et in r.get_json()["errors"][field][0]
    r = h.client.put("/api/editions/2019?lang=en", json={**body, **rule})
    assert r.status_code == 422 and en in r.get_json()["errors"][field][0]
    assert h.client.get("/api/editions/2019").get_json()["min_team_members"] == 4
    r = h.client.put("/api/editions/2019", json={**body, "min_team_members": "neli"})
    assert r.status_code == 422 and "min_team_members" in r.get_json()["errors"]


def test_the_edition_form_sets_the_minimums_and_refuses_bad_ones_at_their_inputs(coordinator):
    h = coordinator
    page = h.client.get("/editions/2019/edit").get_data(as_text=True)
    data = edition_form_data(page)
    assert (data["min_team_members"], data["min_local_government_members"], data["min_ngo_members"]) == (
        "4", "2", "2")
    new = h.client.get("/editions/new").get_data(as_text=True)
    assert 'value="4"' in field_block(new, "min_team_members") and 'value="2"' in field_block(new, "min_ngo_members")

    r = h.client.post("/editions/2019/edit", data={**data, "min_team_members": "viis", "min_ngo_members": "0"})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Sisestage täisarv." in field_block(text, "min_team_members")
    assert 'value="viis"' in field_block(text, "min_team_members")  # what was typed stays
    assert "Vähemalt 1" in field_block(text, "min_ngo_members")
    r = h.client.post("/editions/2019/edit?lang=en", data={**data, "min_team_members": "4",
                                                           "min_local_government_members": "3"})
    assert r.status_code == 422
    assert "The members' minimum must be at least the local government's and the NGO's together (3 + 2 = 5)" in \
        field_block(r.get_data(as_text=True), "min_team_members").replace("&#39;", "'")
    assert h.client.get("/api/editions/2019").get_json()["min_team_members"] == 4

    r = h.client.post("/editions/2019/edit", data={**data, "min_team_members": "6", "min_local_government_members": "3",
                                                   "min_ngo_members": "3"})
    assert r.status_code == 303, r.get_data(as_text=True)
    shown = h.client.get("/api/editions/2019").get_json()
    assert (shown["min_team_members"], shown["min_local_government_members"], shown["min_ngo_members"]) == (6, 3, 3)
    assert len(h.payloads("enrolment.edition.published")) == 1  # not part of the published schedule
    listing = h.client.get("/editions?lang=en").get_data(as_text=True)
    assert "teams of at least 6 (local government 3, NGO 3)" in listing
    assert 'value="6"' in field_block(h.client.get("/editions/2019/edit").get_data(as_text=True), "min_team_members")
    r = h.client.post("/api/applications?lang=et", json=application_json())
    assert r.get_json()["errors"]["members"][0] == "Meeskonnas peab olema vähemalt 6 liiget (praegu 4)."


def test_the_data_file_sets_the_minimums(coordinator, tmp_path):
    from services.enrolment.data import EDITION_2019

    h = coordinator
    text = EDITION_2019.read_text(encoding="utf-8").replace("2019", "2020")
    assert "min_team_members: 4" in text
    data = tmp_path / "edition_2020.yaml"
    data.write_text(text.replace("min_team_members: 4", "min_team_members: 5")
                    .replace("min_ngo_members: 2", "min_ngo_members: 3"), encoding="utf-8")
    done = _load_edition_command(h, str(data))
    assert done.returncode == 0, done.stderr
    shown = h.client.get("/api/editions/2020").get_json()
    assert (shown["min_team_members"], shown["min_local_government_members"], shown["min_ngo_members"]) == (5, 2, 3)
    assert (h.client.get("/api/editions/2019").get_json()["min_team_members"]) == 4

    data.write_text(text.replace("min_team_members: 4", "min_team_members: 3")
                    .replace("min_ngo_members: 2", "min_ngo_members: x"), encoding="utf-8")
    bad = _load_edition_command(h, str(data))
    assert bad.returncode == 1 and "min_ngo_members: expected a whole number" in bad.stderr
    data.write_text(text.replace("min_team_members: 4", "min_team_members: 3"), encoding="utf-8")
    bad = _load_edition_command(h, str(data))
    assert bad.returncode == 1 and "(2 + 2 = 4)" in bad.stderr
    assert h.client.get("/api/editions/2020").get_json()["min_team_members"] == 5
