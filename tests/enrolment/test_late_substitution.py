"""A substitution after the group's day I has begun (the edition's cut-off allows day 2 or 3) is not
refused, but the coordinator is warned first: which of the group's days the newcomer will have missed,
and for each whether a make-up session is still possible under the edition's make-up rule (if a seat
is free), or that none is left so the newcomer would drop out at once — on the substitution page, the
application page, GET /api/applications/<id> (late_joining) and the substitution's answer. The
newcomer confirms the same edition terms as every member. The staff application page and the public
thanks page list the members local governments first, then NGOs, by organisation and name in
Estonian order (as notify's application-received e-mail).

Pärnu 2019: day I 09.04, day II 30.04; day I elsewhere: Tartu 11.04, Rakvere 16.04, Tallinn 17.04."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from shared import clock
from shared.clock import TALLINN
from tests.enrolment.helpers import (
    application_json,
    edition_body,
    form_data,
    path_of,
    registry_code,
    submitted,
    token_of,
)
from tests.enrolment.test_apply_form import _open_form
from tests.enrolment.test_registry_codes_and_substitution_rule import NEWCOMER, _accepted_team, _set

AFTER_DAY_ONE = datetime(2019, 4, 10, 12, 0, tzinfo=TALLINN)
NOTHING_LEFT = datetime(2019, 4, 29, 23, 0, tzinfo=TALLINN)

MAKE_UP_ET = "I päev (09.04.2019): järele saab teha – Tartu 11.04.2019, Rakvere 16.04.2019, Tallinn 17.04.2019, " \
             "kui seal on vaba koht."
MAKE_UP_EN = "Day I (09.04.2019): can be made up at Tartu 11.04.2019, Rakvere 16.04.2019, Tallinn 17.04.2019, " \
             "if a seat is free."
NONE_LEFT_ET = "I päev (09.04.2019): järeletegemise võimalust enam ei ole."
NONE_LEFT_EN = "Day I (09.04.2019): no make-up session is left."
DROPS_ET = "Seega langeb uus liige kohe liitumisel programmist välja, tööandjale kuluta"
DROPS_EN = "So the newcomer would drop out of the programme at once on joining, at no cost to their employer"
INTRO_EN = "The Pärnu group&#39;s day I has already begun (09.04.2019)."


def _team(h, until_day: int = 2):
    application_id, members, kov = _accepted_team(h)
    _set(h, substitution_until_day=until_day)
    return application_id, members, kov


def _page(h, application_id, participant_id, lang):
    r = h.client.get(f"/applications/{application_id}/members/{participant_id}/substitute?lang={lang}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _substitute(h, application_id, participant_id, kov, **changes):
    return h.client.post(f"/api/applications/{application_id}/members/{participant_id}/substitute",
                         json={**NEWCOMER, "organisation_id": kov, **changes})


def test_before_day_one_nothing_is_said(coordinator):
    h = coordinator
    application_id, members, kov = _team(h)
    clock.set_now(datetime(2019, 4, 8, 23, 59, tzinfo=TALLINN))
    assert h.client.get(f"/api/applications/{application_id}").get_json()["late_joining"] is None
    assert 'id="late-joining"' not in _page(h, application_id, members[0]["participant_id"], "et")
    r = _substitute(h, application_id, members[0]["participant_id"], kov)
    assert r.status_code == 200 and r.get_json()["late_joining"] is None


def test_after_day_one_the_page_and_the_api_warn_of_the_missed_day_and_its_make_ups(coordinator):
    h = coordinator
    application_id, members, kov = _team(h)
    clock.set_now(AFTER_DAY_ONE)
    leaving = members[0]["participant_id"]
    et, en = _page(h, application_id, leaving, "et"), _page(h, application_id, leaving, "en")
    assert "Rühma Pärnu I koolituspäev on juba alanud (09.04.2019)." in et and MAKE_UP_ET in et
    assert INTRO_EN in en and MAKE_UP_EN in en
    assert DROPS_ET not in et and DROPS_EN not in en
    assert "<script" not in et
    detail_page = h.client.get(f"/applications/{application_id}?lang=en").get_data(as_text=True)
    assert MAKE_UP_EN in detail_page

    late = h.client.get(f"/api/applications/{application_id}").get_json()["late_joining"]
    assert late["drops_out_at_once"] is False and late["city"] == "Pärnu"
    assert (late["make_ups_allowed"], late["make_up_window"]) == (True, "before_own_next_day")
    [day] = late["missed_days"]
    assert (day["day_number"], day["session_id"], day["make_up_possible"]) == (1, "2019-parnu-1", True)
    assert [s["city"] for s in day["make_up_sessions"]] == ["Tartu", "Rakvere", "Tallinn"]
    assert MAKE_UP_ET in late["et"] and MAKE_UP_EN in late["en"]

    # Not a refusal: the substitution goes ahead, and its answer says the same.
    r = _substitute(h, application_id, leaving, kov)
    assert r.status_code == 200, r.get_json()
    answer = r.get_json()["late_joining"]
    assert answer["joined_at"] == AFTER_DAY_ONE.astimezone(UTC).isoformat()
    assert [d["day_number"] for d in answer["missed_days"]] == [1] and answer["drops_out_at_once"] is False
    assert len(h.payloads("enrolment.member.substituted")) == 1


def test_with_no_make_up_left_the_newcomer_would_drop_out_at_once(coordinator):
    h = coordinator
    application_id, members, kov = _team(h)
    clock.set_now(NOTHING_LEFT)
    leaving = members[0]["participant_id"]
    et, en = _page(h, application_id, leaving, "et"), _page(h, application_id, leaving, "en")
    assert NONE_LEFT_ET in et and DROPS_ET in et
    assert NONE_LEFT_EN in en and DROPS_EN in en
    # The page's form substitutes all the same, and the application page shows what was judged then.
    page = f"/applications/{application_id}/members/{leaving}/substitute"
    r = h.client.post(f"{page}?lang=en", data={"csrf_token": h.csrf_token(page), **NEWCOMER, "organisation_id": kov})
    assert r.status_code == 303
    shown = h.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "The member was substituted." in shown and NONE_LEFT_EN in shown and DROPS_EN in shown
    [event] = h.payloads("enrolment.member.substituted")
    assert event["left_participant_id"] == leaving


def test_the_editions_make_up_rule_from_attendance_is_the_one_judged(coordinator):
    h = coordinator
    application_id, members, kov = _team(h, until_day=3)
    h.deliver("attendance.make_up_rule.changed", {"edition_id": "2019", "make_ups_allowed": False,
                                                  "window": "before_own_next_day", "revision": 1,
                                                  "changed_at": datetime(2019, 2, 14, 9, tzinfo=UTC)})
    clock.set_now(AFTER_DAY_ONE)
    et = _page(h, application_id, members[0]["participant_id"], "et")
    assert "selles lennus vahele jäänud päeva korvata ei saa" in et
    assert "I päev (09.04.2019): järele teha ei saa." in et and DROPS_ET in et
    late = h.client.get(f"/api/applications/{application_id}").get_json()["late_joining"]
    assert late["make_ups_allowed"] is False and late["drops_out_at_once"] is True
    assert late["missed_days"][0]["make_up_sessions"] == []

    # After day II (cut-off day 3), the wider window: day I has no later session left, day II has three.
    h.deliver("attendance.make_up_rule.changed", {"edition_id": "2019", "make_ups_allowed": True,
                                                  "window": "any_later_same_day", "revision": 2,
                                                  "changed_at": datetime(2019, 2, 15, 9, tzinfo=UTC)})
    clock.set_now(datetime(2019, 5, 1, 9, 0, tzinfo=TALLINN))
    r = _substitute(h, application_id, members[0]["participant_id"], kov)
    assert r.status_code == 200, r.get_json()
    late = r.get_json()["late_joining"]
    assert [(d["day_number"], d["make_up_possible"], [s["city"] for s in d["make_up_sessions"]])
            for d in late["missed_days"]] == [(1, False, []), (2, True, ["Tartu", "Rakvere", "Tallinn"])]
    assert late["drops_out_at_once"] is True and late["make_up_window"] == "any_later_same_day"


def test_a_closed_substitution_warns_of_nothing(coordinator):
    h = coordinator
    application_id, members, _ = _team(h, until_day=1)
    clock.set_now(AFTER_DAY_ONE)
    detail = h.client.get(f"/api/applications/{application_id}").get_json()
    assert detail["substitution_open"] is False and detail["late_joining"] is None
    assert 'id="late-joining"' not in h.client.get(f"/applications/{application_id}").get_data(as_text=True)


def test_the_openapi_documents_the_warning(coordinator):
    schemas = coordinator.client.get("/openapi.json").get_json()["components"]["schemas"]
    assert "late_joining" in schemas["ApplicationDetailOut"]["properties"]
    assert "late_joining" in schemas["SubstitutionOut"]["properties"]
    assert {"missed_days", "drops_out_at_once", "make_ups_allowed", "et", "en"} <= set(
        schemas["LateJoiningOut"]["properties"])
    assert "if a seat is free" in schemas["MissedDayOut"]["properties"]["make_up_possible"]["description"]
    spec = coordinator.client.get("/openapi.json").get_json()
    answer = spec["paths"]["/api/applications/{application_id}/members/{participant_id}/substitute"]["post"]
    assert answer["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("SubstitutionOut")


def test_the_newcomer_confirms_the_editions_terms(coordinator):
    h = coordinator
    # Fixed once a member has confirmed: set before the team confirms.
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    assert h.client.put("/api/editions/2019", json={**body, "vat_applies": False}).status_code == 200
    application_id, members, kov = _team(h)
    h.deliver("attendance.make_up_rule.changed", {"edition_id": "2019", "make_ups_allowed": True,
                                                  "window": "any_later_same_day", "revision": 1,
                                                  "changed_at": datetime(2019, 2, 14, 9, tzinfo=UTC)})
    clock.set_now(AFTER_DAY_ONE)
    assert _substitute(h, application_id, members[0]["participant_id"], kov).status_code == 200
    [event] = h.payloads("enrolment.member.substituted")
    staying = submitted(h, application_id)["members"][1]
    # The same terms as the team's other members (who confirmed them before).
    expected = h.client.get(f"/api/confirmations/{token_of(staying['confirm_url'])}").get_json()["conditions_digest"]
    for language, later, cap in (("et", "ükskõik millisel hilisemal selle päeva koolitusel", "768,00\xa0€"),
                                 ("en", "at any later session of that day", "€768.00")):
        r = h.client.get(f"{path_of(event['confirm_url'])}?lang={language}")
        assert r.status_code == 200
        text = unescape(r.get_data(as_text=True))
        assert later in text and cap in text and "VAT" not in text and "käibemaks" not in text
        assert re.search(r'name="conditions_digest" value="([0-9a-f]{64})"', text).group(1) == expected
    r = h.client.post(f"/api/confirmations/{token_of(event['confirm_url'])}", json={"conditions_digest": expected})
    assert r.status_code == 200, r.get_json()
    assert h.payloads("enrolment.member.confirmed")[-1]["participant_id"] == event["member"]["participant_id"]


# -- the order members are listed in --------------------------------------------------------------

MIXED = {"organisations": [
    {"key": "mtu", "name": "MTÜ Abikäsi", "registry_code": "80000001", "kind": "ngo", "address": "Rüütli 1, Pärnu",
     "billing_email": "arved@abikasi.ee"},
    {"key": "tori", "name": "Tori Vallavalitsus", "registry_code": "75000001", "kind": "local_government",
     "address": "Tori", "billing_email": "arved@tori.ee"},
    {"key": "kov", "name": "Pärnu Linnavalitsus", "registry_code": "75000002", "kind": "local_government",
     "address": "Suur-Sepa 16, Pärnu", "billing_email": "arved@parnu.ee"}],
    "members": [
    {"first_name": "Ülle", "last_name": "Zirk", "email": "ulle@abikasi.ee", "phone": "", "position": "",
     "organisation_key": "mtu"},
    {"first_name": "Jaan", "last_name": "Tamm", "email": "jaan@tori.ee", "phone": "", "position": "",
     "organisation_key": "tori"},
    {"first_name": "Õie", "last_name": "Šmidt", "email": "oie@abikasi.ee", "phone": "", "position": "",
     "organisation_key": "mtu"},
    {"first_name": "Mari", "last_name": "Maasikas", "email": "mari@parnu.ee", "phone": "", "position": "",
     "organisation_key": "kov"}]}
ORDER = ["Mari Maasikas", "Jaan Tamm", "Õie Šmidt", "Ülle Zirk"]  # Š before Z in Estonian


def _mixed(h) -> dict:
    data = application_json()
    data["organisations"] = [{**o, "registry_code": registry_code("8" if o["kind"] == "ngo" else "7", n)}
                             for n, o in enumerate(MIXED["organisations"], start=1)]
    data["members"] = MIXED["members"]
    return data


def _positions(text: str) -> list[int]:
    return [text.index(name) for name in ORDER]


def test_the_pages_list_local_governments_first_then_ngos_by_organisation_and_name(coordinator):
    h = coordinator
    _, csrf, key = _open_form(h)
    r = h.client.post("/apply", data=form_data(_mixed(h), csrf=csrf, key=key))
    assert r.status_code == 303, r.get_data(as_text=True)
    for language, lg, ngo in (("et", "Kohalikest omavalitsustest:", "Vabaühendustest:"),
                              ("en", "From local governments:", "From NGOs:")):
        thanks = h.client.get(f"{r.headers['Location']}?lang={language}").get_data(as_text=True)
        positions = _positions(thanks)
        assert positions == sorted(positions), thanks
        assert thanks.index(lg) < positions[0] < positions[1] < thanks.index(ngo) < positions[2]
        assert "Mari Maasikas, Pärnu Linnavalitsus (mari@parnu.ee)" in thanks
    [event] = h.payloads("enrolment.application.submitted")
    page = h.client.get(f"/applications/{event['application_id']}?lang=et").get_data(as_text=True)
    members = page[page.index("<h2>Liikmed</h2>"):page.index("<h2>Organisatsioonid</h2>")]
    positions = _positions(members)
    assert positions == sorted(positions)
    # The API keeps the form's order (clients may match members to what they sent).
    detail = h.client.get(f"/api/applications/{event['application_id']}").get_json()
    assert [f"{m['first_name']} {m['last_name']}" for m in detail["members"]] == [
        "Ülle Zirk", "Jaan Tamm", "Õie Šmidt", "Mari Maasikas"]
