"""Issue 4, point 2: the attendance sheet (pages and JSON API), city scopes, refusals."""
from __future__ import annotations

import re

from .builders import at, attend, count, day_over, mark, put_sheet, session_id, setup_2019

PARNU_1 = session_id("Pärnu", 1)


def test_the_sheet_lists_the_group_and_the_make_ups(h):
    setup_2019(h)
    h.login("trainer:Tartu")
    h.set_now(at("11.04", 9, 0))
    sheet = h.client.get("/api/sessions/2019-tartu-1").get_json()
    assert [(line["participant_id"], line["present"]) for line in sheet["lines"]] == [
        ("tartu-1", None), ("tartu-2", None)]  # by last name: Mets, Põld
    h.login("coordinator")
    h.set_now(at("09.04", 11, 0))
    put_sheet(h, PARNU_1, {"parnu-1": False})
    h.set_now(at("10.04", 9, 0))
    assert h.client.post("/api/sessions/2019-tartu-1/make-ups", json={"participant_id": "parnu-1"}).status_code == 201
    lines = h.client.get("/api/sessions/2019-tartu-1").get_json()["lines"]
    assert [(line["participant_id"], line["make_up"], line["city"], line["organisation"]) for line in lines] == [
        ("tartu-1", False, "Tartu", "Tartu Linnavalitsus"), ("tartu-2", False, "Tartu", "Tartu Linnavalitsus"),
        ("parnu-1", True, "Pärnu", "Häädemeeste Vallavalitsus")]


def test_saving_the_same_sheet_twice_changes_nothing(h):
    setup_2019(h)
    h.login("coordinator")
    first = attend(h, "09.04", PARNU_1, {"parnu-1": True, "parnu-2": False})
    assert sorted(first["changed"]) == ["parnu-1", "parnu-2"]
    events = len(h.published())
    trail = h.client.get(f"/api/sessions/{PARNU_1}/audit").get_json()
    second = attend(h, "09.04", PARNU_1, {"parnu-1": True, "parnu-2": False})
    assert second["changed"] == []
    assert len(h.published()) == events
    assert h.client.get(f"/api/sessions/{PARNU_1}/audit").get_json() == trail
    assert mark(h, PARNU_1, "parnu-1", True).get_json()["changed"] == []
    assert len(h.published()) == events
    assert count(h, "attendance.attendance.recorded") == 2
    day_over(h, "09.04")
    assert count(h, "attendance.participant.absent") == 1


def test_each_changed_record_is_published_and_audited(h):
    setup_2019(h)
    h.login("coordinator", name="Kati Koordinaator", email="kati@example.ee")
    attend(h, "09.04", PARNU_1, {"parnu-1": True, "parnu-2": True})
    h.set_now(at("09.04", 12, 0))
    response = put_sheet(h, PARNU_1, {"parnu-1": True, "parnu-2": False})
    assert response.get_json()["changed"] == ["parnu-2"]
    recorded = h.payloads("attendance.attendance.recorded")
    assert len(recorded) == 3
    assert recorded[-1] == {"participant_id": "parnu-2", "session_id": PARNU_1, "city": "Pärnu", "day_number": 1,
                            "date": "2019-04-09", "present": False, "make_up": False, "group_id": "2019-parnu",
                            "source": "api", "corrected": True}
    trail = h.client.get(f"/api/sessions/{PARNU_1}/audit").get_json()
    assert [(a["participant_id"], a["old_present"], a["new_present"], a["actor"]) for a in trail] == [
        ("parnu-2", True, False, "kati@example.ee"), ("parnu-2", None, True, "kati@example.ee"),
        ("parnu-1", None, True, "kati@example.ee")]


def test_presence_at_a_session_that_has_not_started_is_refused(h):
    setup_2019(h)
    h.login("coordinator")
    h.set_now(at("09.04", 9, 59))
    response = put_sheet(h, PARNU_1, {"parnu-1": True})
    assert response.status_code == 422
    assert response.get_json()["reason"] == "session_not_started"
    assert "10:00" in response.get_json()["message"]
    assert mark(h, PARNU_1, "parnu-1", True).status_code == 422
    assert h.published() == []
    h.set_now(at("09.04", 10, 0))
    assert put_sheet(h, PARNU_1, {"parnu-1": True}).status_code == 200


def test_bad_input_is_422_json_and_changes_nothing(h):
    setup_2019(h)
    h.login("coordinator")
    h.set_now(at("09.04", 10, 30))
    bad_bodies = [
        {"marks": [{"participant_id": "parnu-1", "present": "maybe"}]},
        {"marks": [{"participant_id": "parnu-1"}]},
        {"marks": "all present"},
        {},
    ]
    for body in bad_bodies:
        response = h.client.put(f"/api/sessions/{PARNU_1}/attendance", json=body)
        assert response.status_code == 422, body
        assert response.get_json()["errors"]
    # One unknown line refuses the whole sheet: the good line is not saved either.
    response = put_sheet(h, PARNU_1, {"parnu-1": True, "tartu-1": True})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]["marks"]) == ["tartu-1"]
    duplicate = h.client.put(f"/api/sessions/{PARNU_1}/attendance", json={"marks": [
        {"participant_id": "parnu-1", "present": True}, {"participant_id": "parnu-1", "present": False}]})
    assert duplicate.status_code == 422
    assert h.client.post(f"/api/sessions/{PARNU_1}/attendance", json={"present": True}).status_code == 422
    assert h.client.post("/api/sessions/2019-parnu-1/make-ups", json={}).status_code == 422
    assert mark(h, PARNU_1, "nobody", True).status_code == 404
    assert put_sheet(h, "no-such-session", {"parnu-1": True}).status_code == 404
    assert h.published() == []
    assert h.client.get(f"/api/sessions/{PARNU_1}/audit").get_json() == []


def test_without_a_session_the_api_answers_401_json(h):
    setup_2019(h)
    for method, path in [("get", "/api/sessions"), ("get", f"/api/sessions/{PARNU_1}"),
                         ("put", f"/api/sessions/{PARNU_1}/attendance"), ("post", f"/api/sessions/{PARNU_1}/attendance"),
                         ("post", f"/api/sessions/{PARNU_1}/make-ups"), ("get", "/api/at-risk")]:
        response = getattr(h.client, method)(path, json={"marks": []})
        assert response.status_code == 401, path
        assert response.get_json()["code"] == 401
    assert h.client.get("/").status_code == 302  # pages send you to sign in


def test_a_tartu_trainer_cannot_read_or_mark_a_parnu_session(h):
    setup_2019(h)
    h.login("trainer:Tartu")
    h.set_now(at("09.04", 10, 30))
    assert h.client.get(f"/api/sessions/{PARNU_1}").status_code == 403
    assert put_sheet(h, PARNU_1, {"parnu-1": True}).status_code == 403
    assert mark(h, PARNU_1, "parnu-1", True).status_code == 403
    assert h.client.post(f"/api/sessions/{PARNU_1}/make-ups", json={"participant_id": "tartu-1"}).status_code == 403
    assert h.client.get(f"/api/sessions/{PARNU_1}/audit").status_code == 403
    assert h.client.get("/api/groups/2019-parnu/overview").status_code == 403
    assert h.client.get("/api/participants/parnu-1").status_code == 403
    for page in (f"/sessions/{PARNU_1}", f"/sessions/{PARNU_1}/signin.pdf", f"/sessions/{PARNU_1}/checkin",
                 "/groups/2019-parnu"):
        assert h.client.get(page).status_code == 403, page
    assert [s["city"] for s in h.client.get("/api/sessions").get_json()] == ["Tartu"] * 3
    index = h.client.get("/").get_data(as_text=True)
    assert "2019-tartu-1" in index and "2019-parnu-1" not in index
    assert h.published() == []
    h.login("finance")
    assert h.client.get(f"/api/sessions/{PARNU_1}").status_code == 403


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_save_with_the_unmarked_present_keeps_the_absences_given(h):
    setup_2019(h)
    h.login("trainer:Pärnu")
    h.set_now(at("09.04", 10, 30))
    page = h.client.get(f"/sessions/{PARNU_1}").get_data(as_text=True)
    assert 'name="unmarked" value="present"' in page  # a plain submit button: no JavaScript needed
    saved = h.client.post(f"/sessions/{PARNU_1}", data={"csrf_token": _csrf(page), "mark-parnu-1": "absent",
                                                       "unmarked": "present"}, follow_redirects=True)
    assert "Muudetud märkeid: 2" in saved.get_data(as_text=True)
    lines = h.client.get(f"/api/sessions/{PARNU_1}").get_json()["lines"]
    assert {line["participant_id"]: line["present"] for line in lines} == {"parnu-1": False, "parnu-2": True}


def test_the_sheet_page_saves_marks_and_shows_refusals_next_to_the_field(h):
    setup_2019(h)
    h.login("trainer:Pärnu,Tartu")
    h.set_now(at("09.04", 10, 30))
    page = h.client.get(f"/sessions/{PARNU_1}").get_data(as_text=True)
    assert "Õnne Šmõškina" in page and "Häädemeeste Vallavalitsus" in page
    token = _csrf(page)
    saved = h.client.post(f"/sessions/{PARNU_1}", data={"csrf_token": token, "mark-parnu-1": "absent",
                                                       "mark-parnu-2": "present"}, follow_redirects=True)
    assert saved.status_code == 200 and "Muudetud märkeid: 2" in saved.get_data(as_text=True)
    assert count(h, "attendance.attendance.recorded", source="sheet") == 2
    again = h.client.post(f"/sessions/{PARNU_1}", data={"csrf_token": token, "mark-parnu-1": "absent",
                                                       "mark-parnu-2": "present"}, follow_redirects=True)
    assert "Muudetud märkeid: 0" in again.get_data(as_text=True)
    assert count(h, "attendance.attendance.recorded") == 2
    assert h.client.post(f"/sessions/{PARNU_1}", data={"mark-parnu-1": "present"}).status_code == 400  # no CSRF

    # A make-up the rule refuses: the reason is shown next to the field.
    candidates = h.client.get(f"/sessions/{PARNU_1}").get_data(as_text=True)
    assert "Mari Mets (Tartu)" not in candidates  # only those whose window holds this session are offered
    refused = h.client.post(f"/sessions/{PARNU_1}/make-ups", data={"csrf_token": token, "participant_id": "tartu-1"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'class="field-error"' in html
    assert "Pärnu 09.04.2019 toimub enne teie grupi I päeva lõppu (11.04.2019)" in html
    h.set_now(at("11.04", 9, 0))
    tartu = h.client.get("/sessions/2019-tartu-1").get_data(as_text=True)
    assert "Õnne Šmõškina (Pärnu)" in tartu
    booked = h.client.post("/sessions/2019-tartu-1/make-ups", data={"csrf_token": token, "participant_id": "parnu-1"},
                           follow_redirects=True)
    assert "Järeletegija lisatud lehele" in booked.get_data(as_text=True)
    assert "järeletegija" in h.client.get("/sessions/2019-tartu-1").get_data(as_text=True)


def test_the_sheet_page_refuses_marks_before_the_session_and_keeps_what_was_typed(h):
    setup_2019(h)
    h.login("coordinator")
    h.set_now(at("09.04", 8, 0))
    page = h.client.get(f"/sessions/{PARNU_1}").get_data(as_text=True)
    response = h.client.post(f"/sessions/{PARNU_1}", data={"csrf_token": _csrf(page), "mark-parnu-1": "present"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "algab kell 10:00" in html
    assert re.search(r'name="mark-parnu-1" value="present"\s+checked', html)
    assert h.published() == []


def _form_as_shown(html: str) -> dict:
    """What a browser without JavaScript posts for the sheet form untouched: its hidden fields
    and the radios checked when the page was loaded."""
    form = html[html.index('id="sheet-marks"'):html.index('name="unmarked"')]
    data = {"csrf_token": _csrf(html)}
    data.update(dict(re.findall(r'<input type="hidden" name="(shown-[^"]+)" value="([^"]*)"', form)))
    data.update(dict(re.findall(r'name="(mark-[^"]+)" value="(present|absent)"\s+checked', form)))
    return data


def test_a_sheet_page_loaded_earlier_does_not_undo_a_correction_made_meanwhile(h):
    """The trainer's page shows parnu-1 absent and parnu-2 unmarked; meanwhile the coordinator
    corrects parnu-1 to present and parnu-2 is recorded absent. The trainer then saves the old
    page, changing nothing but adding 'the unmarked are present': neither record is undone."""
    setup_2019(h)
    h.login("trainer:Pärnu")
    h.set_now(at("09.04", 10, 30))
    put_sheet(h, PARNU_1, {"parnu-1": False})
    stale = h.client.get(f"/sessions/{PARNU_1}").get_data(as_text=True)
    h.set_now(at("09.04", 11, 0))
    put_sheet(h, PARNU_1, {"parnu-1": True, "parnu-2": False})  # someone else's corrections
    events = len(h.published())
    saved = h.client.post(f"/sessions/{PARNU_1}", data={**_form_as_shown(stale), "unmarked": "present"},
                          follow_redirects=True)
    assert "Muudetud märkeid: 0" in saved.get_data(as_text=True)
    lines = h.client.get(f"/api/sessions/{PARNU_1}").get_json()["lines"]
    assert {line["participant_id"]: line["present"] for line in lines} == {"parnu-1": True, "parnu-2": False}
    assert len(h.published()) == events
    # What the trainer does change on that page is saved.
    changed = {**_form_as_shown(stale), "mark-parnu-2": "present"}
    h.client.post(f"/sessions/{PARNU_1}", data=changed)
    lines = h.client.get(f"/api/sessions/{PARNU_1}").get_json()["lines"]
    assert {line["participant_id"]: line["present"] for line in lines} == {"parnu-1": True, "parnu-2": True}


def test_save_with_the_unmarked_present_leaves_a_dropout_unrecorded_and_the_sheet_names_them(h):
    """Tallinn's day I has no make-up: tallinn-1, absent, has dropped out by evening. On day II
    they are still on the sheet (one who comes anyway is recorded), marked as dropped out, and
    "everyone else was here" does not record them present."""
    setup_2019(h)
    h.login("trainer:Tallinn")
    h.set_now(at("17.04", 10, 30))
    assert put_sheet(h, "2019-tallinn-1", {"tallinn-1": False, "tallinn-2": True}).status_code == 200
    day_over(h, "17.04")
    assert count(h, "attendance.participant.dropped_out", participant_id="tallinn-1") == 1

    h.set_now(at("09.05", 10, 30))
    page = h.client.get("/sessions/2019-tallinn-2").get_data(as_text=True)
    row = page[page.index("Organisatsioon"):]
    assert row.count("katkestanud") == 1
    saved = h.client.post("/sessions/2019-tallinn-2", data={**_form_as_shown(page), "unmarked": "present"},
                          follow_redirects=True)
    assert "Muudetud märkeid: 1" in saved.get_data(as_text=True)
    lines = h.client.get("/api/sessions/2019-tallinn-2").get_json()["lines"]
    assert {line["participant_id"]: line["present"] for line in lines} == {"tallinn-1": None, "tallinn-2": True}
    # Marked present on purpose, they are recorded like anyone else.
    page = h.client.get("/sessions/2019-tallinn-2").get_data(as_text=True)
    again = h.client.post("/sessions/2019-tallinn-2", data={**_form_as_shown(page), "mark-tallinn-1": "present"},
                          follow_redirects=True)
    assert "Muudetud märkeid: 1" in again.get_data(as_text=True)
    english = h.client.get("/sessions/2019-tallinn-2?lang=en").get_data(as_text=True)
    assert "dropped out" in english
