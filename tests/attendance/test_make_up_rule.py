"""The make-up rule is the edition's (DOMAIN.md: a policy a coordinator must be able to set):
the brochure's by default, no make-ups at all, or the looser "any later session of the same
day". Outcomes, bookings and self check-in follow it; changing it re-settles everyone once."""
from __future__ import annotations

import re
from datetime import timedelta

from shared import links
from tests.security.walk import valid_token

from .builders import EDITION, at, attend, count, day_over, edition, outcomes, session_id, setup_2019
from .test_checkin import code_at

RULE = f"/api/editions/{EDITION}/make-up-rule"
PAGE = f"/editions/{EDITION}/make-up-rule"
PARNU_1, TARTU_1, TALLINN_1 = session_id("Pärnu", 1), session_id("Tartu", 1), session_id("Tallinn", 1)
OFF = {"make_ups_allowed": False, "window": "before_own_next_day"}
BROCHURE = {"make_ups_allowed": True, "window": "before_own_next_day"}
LOOSER = {"make_ups_allowed": True, "window": "any_later_same_day"}


def set_rule(h, body: dict, expect: int = 200) -> dict:
    response = h.client.put(RULE, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def book(h, sid: str, pid: str, lang: str = ""):
    return h.client.post(f"/api/sessions/{sid}/make-ups{lang}", json={"participant_id": pid})


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_every_edition_starts_on_the_brochures_rule(h):
    setup_2019(h)
    h.login("trainer:Tartu")  # reading the rule needs no whole-edition grant
    rule = h.client.get(RULE).get_json()
    assert (rule["make_ups_allowed"], rule["window"], rule["brochure_rule"]) == (True, "before_own_next_day", True)
    assert rule["history"] == [] and rule["changed_by"] is None
    assert "enne oma grupi järgmist päeva" in rule["description"]


def test_with_make_ups_off_an_absence_drops_out_when_the_own_session_ends_and_bookings_are_refused(h):
    setup_2019(h)
    h.login("coordinator", email="koordinaator@example.ee", name="Kati Koordinaator")
    h.set_now(at("01.04", 9, 0))
    changed = set_rule(h, OFF)
    assert (changed["changed"], changed["make_ups_allowed"], changed["brochure_rule"]) == (True, False, False)
    # Pärnu's day II (30.04) is still ahead, and Tartu, Rakvere and Tallinn hold day I later:
    # under the brochure's rule the last chance would end on 17.04; with no make-ups it ends today.
    attend(h, "09.04", PARNU_1, {"parnu-1": False, "parnu-2": True})
    h.set_now(at("09.04", 16, 59))
    h.tick()
    assert h.payloads("attendance.participant.dropped_out") == []
    standing = h.client.get("/api/participants/parnu-1").get_json()
    assert standing["days"][0]["open_make_ups"] == [] and standing["outcome"] == "at_risk"
    day_over(h, "09.04")
    [dropped] = h.payloads("attendance.participant.dropped_out")
    assert (dropped["participant_id"], dropped["reason"], dropped["days_held"]) == ("parnu-1", "absence", 1)
    assert dropped["dropped_out_at"] == "2019-04-09T14:00:00+00:00"
    assert outcomes(h, "parnu-1") == [("dropped_out", "parnu-1")]  # no absence notice offering nothing

    # A booking is refused, naming the rule: API (et, en) and the sheet page's make-up form.
    h.set_now(at("10.04", 9, 0))
    refused = book(h, TARTU_1, "parnu-1")
    assert refused.status_code == 422 and refused.get_json()["reason"] == "make_ups_not_allowed"
    assert "Selle lennu reegel: järeletegemine ei ole lubatud" in refused.get_json()["message"]
    english = book(h, TARTU_1, "parnu-1", "?lang=en").get_json()
    assert "This edition's rule: no make-ups" in english["message"]
    assert english["errors"]["participant_id"] == [english["message"]]
    page = h.client.get(f"/sessions/{TARTU_1}?lang=et").get_data(as_text=True)  # English is remembered
    form = h.client.post(f"/sessions/{TARTU_1}/make-ups", data={"csrf_token": _csrf(page), "participant_id": "parnu-1"})
    assert form.status_code == 422 and "järeletegemine ei ole lubatud" in form.get_data(as_text=True)
    assert h.payloads("attendance.make_up.booked") == []

    # The change is audited: who, when, old → new.
    [entry] = h.client.get(RULE).get_json()["history"]
    assert entry == {"old": BROCHURE, "new": OFF, "actor": "koordinaator@example.ee",
                     "actor_name": "Kati Koordinaator", "at": "2019-04-01T06:00:00+00:00"}


def test_a_guest_booked_before_make_ups_were_switched_off_cannot_check_in(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", PARNU_1, {"parnu-1": False, "parnu-2": True})
    assert book(h, TARTU_1, "parnu-1").status_code == 201
    set_rule(h, OFF)
    h.logout()
    h.set_now(at("11.04", 11, 0, 10))
    h.client.get(f"/p/{links.make_token(h.settings.secret_key, 'checkin', 'parnu-1')}")
    scanned = h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 11, 0))}")
    assert scanned.status_code == 409
    assert "järeletegemine ei ole lubatud" in scanned.get_data(as_text=True)
    assert [p for p in h.payloads("attendance.attendance.recorded") if p["session_id"] == TARTU_1] == []


def test_the_looser_window_accepts_a_make_up_after_the_own_next_day_and_outcomes_follow_it(h):
    setup_2019(h)
    h.login("coordinator")
    # Revision 2 moves Tallinn's day I from 17.04 to 03.05: after Tartu's day II (02.05).
    h.deliver("enrolment.edition.published", edition(revision=2, moved={TALLINN_1: timedelta(days=16)}))
    attend(h, "11.04", TARTU_1, {"tartu-1": False, "tartu-2": True})
    h.set_now(at("11.04", 12, 0))
    assert book(h, TALLINN_1, "tartu-1").get_json()["reason"] == "after_own_next_day"  # the brochure's rule
    set_rule(h, LOOSER)
    day_over(h, "11.04")
    [absent] = h.payloads("attendance.participant.absent")
    assert [(s["city"], s["date"]) for s in absent["make_up_sessions"]] == [
        ("Rakvere", "2019-04-16"), ("Tallinn", "2019-05-03")]
    h.set_now(at("12.04", 9, 0))
    booked = book(h, TALLINN_1, "tartu-1")
    assert booked.status_code == 201, booked.get_json()
    h.set_now(at("16.04", 17, 0))  # Rakvere's day I over: under the brochure's rule, the last chance
    h.tick()
    assert h.payloads("attendance.participant.dropped_out") == []
    attend(h, "02.05", session_id("Tartu", 2), {"tartu-1": True, "tartu-2": True})
    attend(h, "03.05", TALLINN_1, {"tartu-1": True})
    attend(h, "23.05", session_id("Tartu", 3), {"tartu-1": True, "tartu-2": True})
    assert outcomes(h, "tartu-1") == [("absent", "tartu-1"), ("completed", "tartu-1")]

    # Back to the brochure's rule: Tallinn's 03.05 no longer makes up Tartu's day I.
    h.set_now(at("24.05", 9, 0))
    changed = set_rule(h, BROCHURE)
    assert (changed["changed"], changed["dropped_out"], changed["brochure_rule"]) == (True, 1, True)
    assert outcomes(h, "tartu-1")[-2:] == [("completion_revoked", "tartu-1"), ("dropped_out", "tartu-1")]
    [revoked] = h.payloads("attendance.participant.completion_revoked")
    assert (revoked["day_number"], revoked["reason"]) == (1, "policy_change")
    assert outcomes(h, "tartu-2") == [("completed", "tartu-2")]


def test_switching_make_ups_back_on_reinstates_exactly_once(h):
    setup_2019(h)
    h.login("coordinator")
    set_rule(h, OFF)
    attend(h, "09.04", PARNU_1, {"parnu-1": False, "parnu-2": True})
    day_over(h, "09.04")
    assert outcomes(h, "parnu-1") == [("dropped_out", "parnu-1")]

    h.set_now(at("10.04", 9, 0))
    changed = set_rule(h, BROCHURE)
    assert (changed["changed"], changed["reinstated"], changed["dropped_out"]) == (True, 1, 0)
    [reinstated] = h.payloads("attendance.participant.reinstated")
    assert reinstated == {"participant_id": "parnu-1", "application_id": "app-parnu", "reason": "policy_change",
                          "group_id": "2019-parnu"}
    # The day can be made up again: the absence is told now, with the sessions left.
    [absent] = h.payloads("attendance.participant.absent")
    assert [s["city"] for s in absent["make_up_sessions"]] == ["Tartu", "Rakvere", "Tallinn"]
    again = set_rule(h, BROCHURE)  # the same rule again: nothing happens
    assert (again["changed"], again["reinstated"]) == (False, 0)
    h.tick()
    assert count(h, "attendance.participant.reinstated") == 1
    assert count(h, "attendance.participant.dropped_out") == 1
    assert len(h.client.get(RULE).get_json()["history"]) == 2
    assert book(h, TARTU_1, "parnu-1").status_code == 201
    assert outcomes(h, "parnu-2") == []


def test_only_a_coordinator_of_the_whole_edition_changes_the_rule(h):
    setup_2019(h)
    events = len(h.published())
    for grant in ("trainer", "trainer:Pärnu", "coordinator:Tartu", "finance"):
        h.login(grant)
        refused = h.client.put(RULE, json=OFF)
        assert refused.status_code == 403 and refused.is_json, grant
    h.login("trainer")
    page = h.client.get(PAGE)
    assert page.status_code == 200 and 'name="window"' not in page.get_data(as_text=True)
    for grant in ("trainer", "coordinator:Tartu"):
        h.login(grant)
        form = {"csrf_token": valid_token(h.app, h.client), "make_ups_allowed": "no", "window": "before_own_next_day"}
        assert h.client.post(PAGE, data=form).status_code == 403, grant
    assert len(h.published()) == events
    h.login("coordinator")
    assert h.client.get(RULE).get_json()["history"] == []


def test_bad_input_gives_field_errors_and_422_json(h):
    setup_2019(h)
    h.login("coordinator")
    bad = h.client.put(RULE, json={"make_ups_allowed": "maybe", "window": "whenever"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]["json"]) == {"make_ups_allowed", "window"}
    missing = h.client.put(RULE, json={})
    assert missing.status_code == 422 and set(missing.get_json()["errors"]["json"]) == {"make_ups_allowed", "window"}
    unknown = h.client.put("/api/editions/no-such-edition/make-up-rule", json=OFF)
    assert unknown.status_code == 404 and unknown.is_json

    html = h.client.get(PAGE).get_data(as_text=True)
    typed = {"csrf_token": _csrf(html), "make_ups_allowed": "perhaps", "window": "whenever"}
    estonian = h.client.post(PAGE, data=typed)
    assert estonian.status_code == 422
    assert "Valige, kas järeletegemine on lubatud." in estonian.get_data(as_text=True)
    assert "Valige, millal puudutud päeva saab järele teha." in estonian.get_data(as_text=True)
    english = h.client.post(f"{PAGE}?lang=en", data=typed).get_data(as_text=True)
    assert "Choose whether make-ups are allowed." in english and "Choose when a missed day can be made up." in english
    assert h.client.get(RULE).get_json()["history"] == []

    # A good post redirects to the page (POST-redirect-GET), which states the rule and its history.
    saved = h.client.post(f"{PAGE}?lang=et", data={**typed, "make_ups_allowed": "yes", "window": "any_later_same_day"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(PAGE)
    shown = h.client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "igal hilisemal sama päeva koolitusel" in shown and "Reegel salvestatud" in shown
    assert h.client.get(RULE).get_json()["window"] == "any_later_same_day"
