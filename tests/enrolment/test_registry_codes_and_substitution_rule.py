"""Two more policies are the edition's (DOMAIN.md "(policy)"), set on the edition form, the editions
API and the data file, the brochure's by default: the first digits a registry code may start with
per organisation kind (7; 8 or 9; none given: not checked), and until when a team may substitute a
member (before its group's day 1, 2 or 3 begins, or not at all). And a group named in an edition
body by an id that is not one of the edition's groups is refused at that group, saving nothing."""
from __future__ import annotations

from datetime import datetime

import pytest

from shared import clock
from shared.clock import TALLINN
from tests.enrolment.helpers import (
    application_json,
    bad_checksum,
    complete_application,
    counts,
    edition_body,
    edition_form_data,
    field_block,
    form_data,
    registry_code,
    submit,
    submitted,
)
from tests.enrolment.test_apply_form import _open_form
from tests.enrolment.test_editions import _load_edition_command

NEWCOMER = {"first_name": "Liis", "last_name": "Lepp", "email": "liis@parnu.ee", "phone": "", "position": "nõunik"}


def _edition(h) -> dict:
    return h.client.get("/api/editions/2019").get_json()


def _set(h, **rule) -> dict:
    r = h.client.put("/api/editions/2019", json={**edition_body(_edition(h)), **rule})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _codes(h, kov: str, ngo: str, n: int = 1) -> dict:
    data = application_json(n)
    data["organisations"][0]["registry_code"] = kov
    data["organisations"][1]["registry_code"] = ngo
    return data


# --- the registry codes' first digits ------------------------------------------------------------

def test_by_default_the_brochures_digits_are_checked(coordinator):
    h = coordinator
    shown = _edition(h)
    assert shown["local_government_registry_code_digits"] == ["7"]
    assert shown["ngo_registry_code_digits"] == ["8", "9"]
    assert (shown["substitutions_allowed"], shown["substitution_until_day"]) == (True, 1)
    public = h.client.get("/api/edition").get_json()
    assert (public["local_government_registry_code_digits"], public["ngo_registry_code_digits"]) == (["7"], ["8", "9"])
    r = h.client.post("/api/applications", json=_codes(h, registry_code("8", 1), registry_code("7", 2)))
    assert r.status_code == 422
    assert r.get_json()["errors"]["organisations.0.registry_code"] == [
        "Kohaliku omavalitsuse registrikood algab numbriga 7."]
    assert r.get_json()["errors"]["organisations.1.registry_code"] == [
        "Vabaühenduse (MTÜ või SA) registrikood algab numbriga 8 või 9."]
    assert h.client.post("/api/applications", json=_codes(h, registry_code("7", 1), registry_code("9", 2))
                         ).status_code == 201
    page = h.client.get("/editions?lang=et").get_data(as_text=True)
    assert "registrikood algab: KOV 7, vabaühendus 8 või 9" in page
    assert "Liiget saab asendada enne rühma esimest koolituspäeva." in page


def test_a_changed_rule_admits_and_refuses_by_the_editions_digits(coordinator):
    h = coordinator
    r = submit(h, 1)  # made under the brochure's rule, with an NGO code starting with 8
    assert r.status_code == 201
    first = r.get_json()["application_id"]
    shown = _set(h, local_government_registry_code_digits=["1", "7"], ngo_registry_code_digits=[9])
    assert (shown["local_government_registry_code_digits"], shown["ngo_registry_code_digits"]) == (["1", "7"], ["9"])
    assert len(h.payloads("enrolment.edition.published")) == 1  # not part of the published schedule
    # Nothing already submitted is judged again.
    assert h.client.get(f"/api/applications/{first}").get_json()["status"] == "submitted"

    before = counts(h)
    bad = _codes(h, registry_code("8", 3), registry_code("8", 4), n=2)
    r = h.client.post("/api/applications", json=bad)
    assert r.status_code == 422
    assert r.get_json()["errors"]["organisations.0.registry_code"] == [
        "Kohaliku omavalitsuse registrikood algab numbriga 1 või 7."]
    assert r.get_json()["errors"]["organisations.1.registry_code"] == [
        "Vabaühenduse (MTÜ või SA) registrikood algab numbriga 9."]
    r = h.client.post("/api/applications?lang=en", json=bad)
    assert r.get_json()["errors"]["organisations.0.registry_code"] == [
        "A local government's registry code starts with 1 or 7."]
    assert r.get_json()["errors"]["organisations.1.registry_code"] == [
        "An NGO's registry code (non-profit association or foundation) starts with 9."]
    assert counts(h) == before
    r = h.client.post("/api/applications", json=_codes(h, registry_code("1", 3), registry_code("9", 4), n=2))
    assert r.status_code == 201, r.get_json()
    assert "registrikood algab: KOV 1 või 7, vabaühendus 9" in h.client.get("/editions?lang=et").get_data(as_text=True)


@pytest.mark.parametrize(("lang", "stated", "error"), [
    ("et", "Registrikood on 8-kohaline: kohalikul omavalitsusel algab see numbriga 7, vabaühendusel (MTÜ, SA) "
           "numbriga 1, 8 või 9.",
     "Vabaühenduse (MTÜ või SA) registrikood algab numbriga 1, 8 või 9."),
    ("en", "The registry code has 8 digits: a local government&#39;s starts with 7, an NGO&#39;s (association, "
           "foundation) with 1, 8 or 9.",
     "An NGO&#39;s registry code (non-profit association or foundation) starts with 1, 8 or 9."),
])
def test_the_public_form_names_the_editions_digits(coordinator, lang, stated, error):
    h = coordinator
    _set(h, ngo_registry_code_digits=["1", "8", "9"])
    page, csrf, key = _open_form(h, f"/apply?lang={lang}")
    assert stated in page
    data = _codes(h, registry_code("7", 5), registry_code("7", 6))
    r = h.client.post(f"/apply?lang={lang}", data=form_data(data, csrf=csrf, key=key))
    assert r.status_code == 422
    assert error in field_block(r.get_data(as_text=True), "organisations-1-registry_code")
    assert counts(h)["applications"] == 0
    data = _codes(h, registry_code("7", 5), registry_code("1", 6))
    r = h.client.post(f"/apply?lang={lang}", data=form_data(data, csrf=csrf, key=key))
    assert r.status_code == 303, r.get_data(as_text=True)


def test_no_digits_leaves_the_first_digit_unchecked_but_never_the_check_digit(coordinator):
    h = coordinator
    _set(h, ngo_registry_code_digits=[])
    assert _edition(h)["ngo_registry_code_digits"] == []
    r = h.client.post("/api/applications", json=_codes(h, registry_code("8", 1), bad_checksum(registry_code("7", 2))))
    assert r.status_code == 422
    errors = r.get_json()["problems"]
    assert [p["code"] for p in errors["organisations.0.registry_code"]] == ["registry_code_kind_mismatch"]
    assert [p["code"] for p in errors["organisations.1.registry_code"]] == ["registry_code_checksum"]
    r = h.client.post("/api/applications", json=_codes(h, registry_code("7", 1), registry_code("7", 2)))
    assert r.status_code == 201, r.get_json()
    assert "vabaühendus mis tahes" in h.client.get("/editions?lang=et").get_data(as_text=True)
    page, _, _ = _open_form(h, "/apply?lang=et")
    assert "Registrikood on 8-kohaline: kohalikul omavalitsusel algab see numbriga 7." in page


def test_the_counselling_programme_judges_by_the_editions_digits(coordinator):
    h = coordinator
    _set(h, local_government_registry_code_digits=["6", "7"])
    clock.set_now(datetime(2019, 6, 10, 12, 0, tzinfo=TALLINN))  # after the last session
    body = {"local_governments": [{"name": "Pärnu Linnavalitsus", "registry_code": registry_code("8", 7)}],
            "ngo_partners": [], "planned_services": "Eakate päevahoid.", "contact_name": "Mari Maasikas",
            "contact_email": "mari@parnu.ee", "language": "et"}
    r = h.client.post("/api/counselling/applications", json=body)
    assert r.status_code == 422
    assert r.get_json()["errors"]["local_governments.0.registry_code"] == [
        "Kohaliku omavalitsuse registrikood algab numbriga 6 või 7."]
    assert "algab numbriga 6 või 7" in h.client.get("/counselling?lang=et").get_data(as_text=True)


# --- the substitution cut-off ---------------------------------------------------------------------

def _accepted_team(h):
    application_id = complete_application(h)
    assert h.client.post(f"/api/applications/{application_id}/accept", json={"city": "Pärnu"}).status_code == 200
    sent = submitted(h, application_id)
    kov = next(o["organisation_id"] for o in sent["organisations"] if o["kind"] == "local_government")
    return application_id, sent["members"], kov


def test_substitutions_until_day_two_begins(coordinator):
    h = coordinator
    application_id, members, kov = _accepted_team(h)
    _set(h, substitution_until_day=2)
    assert len(h.payloads("enrolment.edition.published")) == 1
    url = f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute"
    # Pärnu: day I 09.04.2019, day II 30.04.2019. After day I, before day II: still allowed.
    clock.set_now(datetime(2019, 4, 29, 23, 59, tzinfo=TALLINN))
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert (detail["substitution_until_day"], detail["substitution_open"]) == (2, True)
    page = h.client.get(f"/applications/{application_id}/members/{members[1]['participant_id']}/substitute?lang=et")
    assert "Liiget saab asendada enne rühma teist koolituspäeva (30.04.2019)." in page.get_data(as_text=True)
    r = h.client.post(url, json={**NEWCOMER, "organisation_id": kov})
    assert r.status_code == 200, r.get_json()

    # Day II has begun: refused, the reason naming the edition's cut-off.
    clock.set_now(datetime(2019, 4, 30, 0, 0, tzinfo=TALLINN))
    url = f"/api/applications/{application_id}/members/{members[1]['participant_id']}/substitute"
    r = h.client.post(url, json={**NEWCOMER, "email": "liis2@parnu.ee", "organisation_id": kov})
    assert r.status_code == 409 and r.get_json()["reason"] == "substitution_closed"
    assert r.get_json()["message"] == "Liiget saab asendada ainult enne rühma teist koolituspäeva (30.04.2019)."
    r = h.client.post(f"{url}?lang=en", json={**NEWCOMER, "email": "liis2@parnu.ee", "organisation_id": kov})
    assert r.get_json()["message"] == "A member can only be substituted before the group's second session day " \
                                      "(30.04.2019)."
    page = f"/applications/{application_id}/members/{members[1]['participant_id']}/substitute"
    r = h.client.post(f"{page}?lang=en", data={"csrf_token": h.csrf_token(page), **NEWCOMER,
                                               "email": "liis2@parnu.ee", "organisation_id": kov})
    assert r.status_code == 409
    assert "before the group&#39;s second session day (30.04.2019)" in r.get_data(as_text=True)
    assert len(h.payloads("enrolment.member.substituted")) == 1


def test_the_brochures_cut_off_stays_the_default(coordinator):
    h = coordinator
    application_id, members, kov = _accepted_team(h)
    clock.set_now(datetime(2019, 4, 10, 9, 0, tzinfo=TALLINN))  # after Pärnu's day I
    r = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                      json={**NEWCOMER, "organisation_id": kov})
    assert r.status_code == 409
    assert r.get_json()["message"] == "Liiget saab asendada ainult enne rühma esimest koolituspäeva (09.04.2019)."
    text = h.client.get(f"/applications/{application_id}?lang=en").get_data(as_text=True)
    assert "A member can be substituted before the group&#39;s first session day (09.04.2019)." in text


def test_no_substitutions_at_all_when_the_edition_allows_none(coordinator):
    h = coordinator
    application_id, members, kov = _accepted_team(h)
    waiting = complete_application(h, 2)  # not placed in a group: refused all the same
    shown = _set(h, substitutions_allowed=False)
    assert shown["substitutions_allowed"] is False
    assert "Selles lennus liikmeid ei asendata." in h.client.get("/editions?lang=et").get_data(as_text=True)
    for app_id, member in ((application_id, members[0]), (waiting, submitted(h, waiting)["members"][0])):
        r = h.client.post(f"/api/applications/{app_id}/members/{member['participant_id']}/substitute",
                          json={**NEWCOMER, "organisation_id": kov})
        assert r.status_code == 409 and r.get_json()["reason"] == "substitution_closed"
        assert r.get_json()["message"] == "Selles lennus liikmeid ei asendata."
    page = f"/applications/{application_id}/members/{members[0]['participant_id']}/substitute"
    assert "Members are not substituted in this edition." in h.client.get(f"{page}?lang=en").get_data(as_text=True)
    assert h.payloads("enrolment.member.substituted") == []
    # Allowed again: the next substitution follows the rule as it is then.
    _set(h, substitutions_allowed=True)
    r = h.client.post(f"/api/applications/{application_id}/members/{members[0]['participant_id']}/substitute",
                      json={**NEWCOMER, "organisation_id": kov})
    assert r.status_code == 200, r.get_json()


# --- bad values -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "field", "et", "en"), [
    ({"ngo_registry_code_digits": ["8", "10"]}, "ngo_registry_code_digits",
     "Lubatud on ainult numbrid 0–9 (mitte: 10).", "Only the digits 0–9 are allowed (not: 10)."),
    ({"local_government_registry_code_digits": ["x"]}, "local_government_registry_code_digits",
     "(mitte: x)", "(not: x)"),
    ({"local_government_registry_code_digits": "7"}, "local_government_registry_code_digits",
     "Sisestage numbrid 0–9", "Enter digits 0–9"),
    ({"ngo_registry_code_digits": [True]}, "ngo_registry_code_digits", "(mitte: True)", "(not: True)"),
    ({"substitution_until_day": 4}, "substitution_until_day", "sisestage 1, 2 või 3", "enter 1, 2 or 3"),
    ({"substitution_until_day": 0}, "substitution_until_day", "sisestage 1, 2 või 3", "enter 1, 2 or 3"),
    ({"substitution_until_day": "2"}, "substitution_until_day", "sisestage 1, 2 või 3", "enter 1, 2 or 3"),
    ({"substitutions_allowed": "maybe"}, "substitutions_allowed", "Valige: jah või ei.", "Choose: yes or no."),
])
def test_the_api_refuses_bad_values_with_field_errors(coordinator, rule, field, et, en):
    h = coordinator
    before = _edition(h)
    body = edition_body(before)
    r = h.client.put("/api/editions/2019", json={**body, **rule})
    assert r.status_code == 422, r.get_json()
    assert et in r.get_json()["errors"][field][0]
    r = h.client.put("/api/editions/2019?lang=en", json={**body, **rule})
    assert r.status_code == 422 and en in r.get_json()["errors"][field][0]
    assert _edition(h) == before


def test_the_edition_form_sets_the_rules_and_refuses_bad_ones_at_their_inputs(coordinator):
    h = coordinator
    page = h.client.get("/editions/2019/edit").get_data(as_text=True)
    data = edition_form_data(page)
    assert (data["local_government_registry_code_digits"], data["ngo_registry_code_digits"]) == ("7", "8, 9")
    assert '<option selected value="1">' in field_block(page, "substitution_cutoff")
    new = h.client.get("/editions/new").get_data(as_text=True)
    assert 'value="8, 9"' in field_block(new, "ngo_registry_code_digits")

    r = h.client.post("/editions/2019/edit", data={**data, "ngo_registry_code_digits": "8, x",
                                                   "substitution_cutoff": "5"})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Lubatud on ainult numbrid 0–9 (mitte: x)." in field_block(text, "ngo_registry_code_digits")
    assert 'value="8, x"' in field_block(text, "ngo_registry_code_digits")  # what was typed stays
    assert "Valige, kuni millise koolituspäevani" in field_block(text, "substitution_cutoff")
    r = h.client.post("/editions/2019/edit?lang=en", data={**data, "local_government_registry_code_digits": "7, 12"})
    assert r.status_code == 422
    assert "Only the digits 0–9 are allowed (not: 12)." in field_block(r.get_data(as_text=True),
                                                                        "local_government_registry_code_digits")
    assert _edition(h)["ngo_registry_code_digits"] == ["8", "9"]

    r = h.client.post("/editions/2019/edit", data={**data, "local_government_registry_code_digits": "",
                                                   "ngo_registry_code_digits": "9 8 1", "substitution_cutoff": "3"})
    assert r.status_code == 303, r.get_data(as_text=True)
    shown = _edition(h)
    assert (shown["local_government_registry_code_digits"], shown["ngo_registry_code_digits"]) == ([], ["1", "8", "9"])
    assert (shown["substitutions_allowed"], shown["substitution_until_day"]) == (True, 3)
    assert len(h.payloads("enrolment.edition.published")) == 1
    page = h.client.get("/editions/2019/edit").get_data(as_text=True)
    assert 'value="1, 8, 9"' in field_block(page, "ngo_registry_code_digits")
    assert '<option selected value="3">' in field_block(page, "substitution_cutoff")
    r = h.client.post("/editions/2019/edit", data={**edition_form_data(page), "substitution_cutoff": "none"})
    assert r.status_code == 303
    assert _edition(h)["substitutions_allowed"] is False


# --- a group id that is not the edition's -------------------------------------------------------------

@pytest.mark.parametrize("group_id", ["2019-narva", "", "2020-parnu"])
def test_a_group_id_not_of_the_edition_is_refused_and_nothing_is_saved(coordinator, group_id):
    h = coordinator
    before, events = _edition(h), len(h.published())
    body = edition_body(before)
    body["groups"][0].update(group_id=group_id, capacity_teams=9)
    r = h.client.put("/api/editions/2019", json=body)
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    assert list(errors) == ["groups.0.group_id"]  # that group, and nothing it would have hidden
    assert "selles lennus ei ole" in errors["groups.0.group_id"][0]
    english = h.client.put("/api/editions/2019?lang=en", json=body).get_json()["errors"]
    assert "in this edition" in english["groups.0.group_id"][0]
    assert _edition(h) == before and len(h.published()) == events


def test_the_form_shows_an_unknown_group_at_its_row(coordinator):
    h = coordinator
    data = edition_form_data(h.client.get("/editions/2019/edit").get_data(as_text=True))
    assert data["groups-1-group_id"] == "2019-tartu"
    r = h.client.post("/editions/2019/edit?lang=en", data={**data, "groups-1-group_id": "2019-narva",
                                                          "groups-1-capacity_teams": "9"})
    assert r.status_code == 422
    assert "There is no group “2019-narva” in this edition" in field_block(r.get_data(as_text=True),
                                                                           "groups-1-city")
    assert [g["capacity_teams"] for g in _edition(h)["groups"]] == [7, 7, 7, 7]


# --- the data file ------------------------------------------------------------------------------------

def test_the_data_file_sets_the_rules(coordinator, tmp_path):
    from services.enrolment.data import EDITION_2019

    h = coordinator
    text = EDITION_2019.read_text(encoding="utf-8").replace("2019", "2020")
    for line in ("local_government_registry_code_digits: [7]", "ngo_registry_code_digits: [8, 9]",
                 "substitutions_allowed: true", "substitution_until_day: 1"):
        assert line in text
    data = tmp_path / "edition_2020.yaml"
    changed = (text.replace("local_government_registry_code_digits: [7]", "local_government_registry_code_digits: [1, 7]")
               .replace("ngo_registry_code_digits: [8, 9]", "ngo_registry_code_digits: []")
               .replace("substitution_until_day: 1", "substitution_until_day: 3"))
    data.write_text(changed, encoding="utf-8")
    done = _load_edition_command(h, str(data))
    assert done.returncode == 0, done.stderr
    shown = h.client.get("/api/editions/2020").get_json()
    assert (shown["local_government_registry_code_digits"], shown["ngo_registry_code_digits"]) == (["1", "7"], [])
    assert (shown["substitutions_allowed"], shown["substitution_until_day"]) == (True, 3)
    # The same file again changes nothing; the form shows what the file set and saves it back unchanged.
    again = _load_edition_command(h, str(data))
    assert again.returncode == 0 and "nothing changed" in again.stdout
    page = h.client.get("/editions/2020/edit").get_data(as_text=True)
    assert 'value="1, 7"' in field_block(page, "local_government_registry_code_digits")
    assert 'value=""' in field_block(page, "ngo_registry_code_digits")
    r = h.client.post("/editions/2020/edit", data=edition_form_data(page))
    assert r.status_code == 303
    assert h.client.get("/api/editions/2020").get_json() | {"updated_at": None} == shown | {"updated_at": None}
    assert _edition(h)["local_government_registry_code_digits"] == ["7"]  # 2019 untouched

    data.write_text(changed.replace("substitutions_allowed: true", "substitutions_allowed: false"), encoding="utf-8")
    assert _load_edition_command(h, str(data)).returncode == 0
    assert h.client.get("/api/editions/2020").get_json()["substitutions_allowed"] is False

    for bad, message in ((("ngo_registry_code_digits: []", "ngo_registry_code_digits: [8, 10]"),
                          "ngo_registry_code_digits: expected a list of digits 0-9"),
                         (("substitution_until_day: 3", "substitution_until_day: 4"),
                          "substitution_until_day: Substitutions can run until the group's day 1, 2 or 3 begins"),
                         (("substitutions_allowed: true", "substitutions_allowed: sometimes"),
                          "substitutions_allowed: expected true or false")):
        data.write_text(changed.replace(*bad), encoding="utf-8")
        failed = _load_edition_command(h, str(data))
        assert failed.returncode == 1 and message in failed.stderr, failed.stderr
    assert h.client.get("/api/editions/2020").get_json()["substitution_until_day"] == 3

