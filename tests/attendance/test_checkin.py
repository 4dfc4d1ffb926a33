"""Issue 4, point 6: self check-in with the room's QR code and the personal link."""
from __future__ import annotations

import re

import segno

from services.attendance.domain.checkin import checkin_code
from services.attendance.service_layer.common import checkin_secret
from shared import links

from .builders import at, count, mark, session_id, setup_2019

TARTU_1 = session_id("Tartu", 1)  # 11.04.2019 10:00–17:00


def code_at(h, sid: str, moment) -> str:
    return checkin_code(checkin_secret(h.settings.secret_key), sid, moment)


def open_personal_link(h, participant_id: str):
    token = links.make_token(h.settings.secret_key, "checkin", participant_id)
    return h.client.get(f"/p/{token}")


def test_the_trainers_screen_shows_a_qr_code_that_changes_every_minute(h):
    setup_2019(h)
    h.login("trainer:Tartu")
    h.set_now(at("11.04", 10, 15, 5))
    page = h.client.get(f"/sessions/{TARTU_1}/checkin").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="20">' in page
    assert "<svg" in page and "<script" not in page
    code = code_at(h, TARTU_1, at("11.04", 10, 15))
    assert code in page  # printed for typing in
    # The QR code holds the check-in URL (the same modules segno draws for that URL).
    expected = segno.make(f"{h.settings.base_url}/attendance/checkin/{TARTU_1}/{code}", error="m")
    assert re.search(r' d="([^"]+)"', expected.svg_inline(scale=8)).group(1) in page
    h.set_now(at("11.04", 10, 16, 0))
    later = h.client.get(f"/sessions/{TARTU_1}/checkin").get_data(as_text=True)
    assert code not in later and code_at(h, TARTU_1, at("11.04", 10, 16)) in later
    h.set_now(at("11.04", 17, 0))
    closed = h.client.get(f"/sessions/{TARTU_1}/checkin").get_data(as_text=True)
    assert "<svg" not in closed and "ainult koolituspäeva ajal" in closed


def test_a_check_in_with_the_current_code_marks_present_and_shows_on_the_trainers_sheet(h):
    setup_2019(h)
    h.set_now(at("11.04", 10, 20))
    personal = open_personal_link(h, "tartu-1")
    assert personal.status_code == 200 and "Mari" in personal.get_data(as_text=True)
    assert "po_checkin" in personal.headers["Set-Cookie"] and "HttpOnly" in personal.headers["Set-Cookie"]

    h.set_now(at("11.04", 10, 31, 40))
    scanned = h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 10, 31))}")
    assert scanned.status_code == 200, scanned.get_data(as_text=True)
    assert "olete kohal" in scanned.get_data(as_text=True)
    [recorded] = h.payloads("attendance.attendance.recorded")
    assert recorded["participant_id"] == "tartu-1" and recorded["present"] is True
    assert recorded["source"] == "self_check_in"
    # The previous minute's code is still good (a scan just before it changed); twice is once.
    h.set_now(at("11.04", 10, 32, 30))
    assert h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 10, 31))}").status_code == 200
    assert count(h, "attendance.attendance.recorded") == 1

    h.login("trainer:Tartu")
    screen = h.client.get(f"/sessions/{TARTU_1}/checkin").get_data(as_text=True)
    assert re.search(r"Mari Mets.*?kohal.*?iseregistreerimine", screen, re.S)
    trail = h.client.get(f"/api/sessions/{TARTU_1}/audit").get_json()
    assert [(a["participant_id"], a["source"], a["actor"], a["actor_name"]) for a in trail] == [
        ("tartu-1", "self_check_in", "participant:tartu-1", "Mari Mets")]
    assert "iseregistreerimine" in h.client.get(f"/sessions/{TARTU_1}").get_data(as_text=True)


def test_an_old_code_is_refused(h):
    setup_2019(h)
    h.set_now(at("11.04", 10, 0))
    open_personal_link(h, "tartu-1")
    old = code_at(h, TARTU_1, at("11.04", 10, 40))
    h.set_now(at("11.04", 10, 42, 0))  # the code of 10:40 was good until 10:42
    refused = h.client.get(f"/checkin/{TARTU_1}/{old}")
    assert refused.status_code == 422
    assert 'data-reason="invalid_code"' in refused.get_data(as_text=True)
    assert "aegunud" in refused.get_data(as_text=True)
    assert h.client.get(f"/checkin/{TARTU_1}/not-a-code").status_code == 422
    assert h.published() == []


def test_a_code_outside_the_sessions_hours_is_refused(h):
    setup_2019(h)
    h.set_now(at("11.04", 9, 0))
    open_personal_link(h, "tartu-1")
    h.set_now(at("11.04", 9, 59, 30))
    early = h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 9, 59, 30))}")
    assert early.status_code == 422 and 'data-reason="session_not_started"' in early.get_data(as_text=True)
    h.set_now(at("11.04", 17, 0, 30))
    late = h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 17, 0))}")
    assert late.status_code == 422 and 'data-reason="session_ended"' in late.get_data(as_text=True)
    assert "17:00" in late.get_data(as_text=True)
    assert h.published() == []


def test_someone_not_on_the_sessions_list_is_refused(h):
    setup_2019(h)
    h.set_now(at("11.04", 10, 30))
    code = code_at(h, TARTU_1, at("11.04", 10, 30))
    no_cookie = h.client.get(f"/checkin/{TARTU_1}/{code}")
    assert no_cookie.status_code == 403 and "isiklik registreerimislink" in no_cookie.get_data(as_text=True)
    open_personal_link(h, "tallinn-1")  # another group's participant, no make-up booked
    other = h.client.get(f"/checkin/{TARTU_1}/{code}")
    assert other.status_code == 403 and 'data-reason="not_on_sheet"' in other.get_data(as_text=True)
    h.client.set_cookie("po_checkin", "forged-value", path="/")
    assert h.client.get(f"/checkin/{TARTU_1}/{code}").status_code == 403
    tampered = links.make_token("another-secret", "checkin", "tartu-1")
    assert h.client.get(f"/p/{tampered}").status_code == 404
    wrong_purpose = links.make_token(h.settings.secret_key, "esf", "tartu-1")
    assert h.client.get(f"/p/{wrong_purpose}").status_code == 404
    assert h.published() == []


def test_a_booked_make_up_can_check_in_and_the_code_can_be_typed(h):
    setup_2019(h)
    h.login("coordinator")
    h.set_now(at("09.04", 10, 30))
    mark(h, session_id("Pärnu", 1), "parnu-1", False)
    h.client.post(f"/api/sessions/{TARTU_1}/make-ups", json={"participant_id": "parnu-1"})
    h.logout()
    h.set_now(at("11.04", 11, 0, 10))
    page = open_personal_link(h, "parnu-1").get_data(as_text=True)
    assert "11.04.2019" in page  # their make-up is listed with their own days
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    wrong = h.client.post("/checkin", data={"csrf_token": token, "code": "AAAAAAAAAAAA"})
    assert wrong.status_code == 422
    typed = h.client.post("/checkin", data={"csrf_token": token, "code": code_at(h, TARTU_1, at("11.04", 11, 0))})
    assert typed.status_code == 200 and "olete kohal" in typed.get_data(as_text=True)
    [recorded] = [p for p in h.payloads("attendance.attendance.recorded") if p["session_id"] == TARTU_1]
    assert recorded["make_up"] is True and recorded["participant_id"] == "parnu-1"


def test_manual_marking_stays_the_authority(h):
    setup_2019(h)
    h.set_now(at("11.04", 10, 5))
    open_personal_link(h, "tartu-1")
    h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 10, 5))}")
    h.login("trainer:Tartu")
    h.set_now(at("11.04", 10, 10))
    # The trainer sees the phone was handed to someone else: corrected to absent.
    assert mark(h, TARTU_1, "tartu-1", False).get_json()["changed"] == ["tartu-1"]
    h.logout()
    h.set_now(at("11.04", 10, 12))
    again = h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 10, 12))}")
    assert again.status_code == 409 and "koolitaja" in again.get_data(as_text=True).lower()
    h.login("trainer:Tartu")
    trail = h.client.get(f"/api/sessions/{TARTU_1}/audit").get_json()
    assert [(a["source"], a["old_present"], a["new_present"]) for a in trail] == [
        ("api", True, False), ("self_check_in", None, True)]
    assert mark(h, TARTU_1, "tartu-1", True).get_json()["changed"] == ["tartu-1"]  # and back, either way


def test_a_self_check_in_shows_on_the_open_sheet_page_and_in_the_json_the_page_polls(h):
    setup_2019(h)
    h.set_now(at("11.04", 10, 20))
    open_personal_link(h, "tartu-1")
    h.set_now(at("11.04", 10, 31, 40))
    assert h.client.get(f"/checkin/{TARTU_1}/{code_at(h, TARTU_1, at('11.04', 10, 31))}").status_code == 200

    h.login("trainer:Tartu")
    h.set_now(at("11.04", 10, 45))
    page = h.client.get(f"/sessions/{TARTU_1}").get_data(as_text=True)
    assert re.search(r'data-now="tartu-1">kohal \(iseregistreerimine kell 10:31\)</td>', page)
    assert re.search(r'data-now="tartu-2">märkimata</td>', page)
    # During the session the page polls its sheet's JSON and rewrites only that column.
    poll = re.search(r'data-poll="([^"]+)" data-every="20000" data-until="(\d+)"', page)
    assert poll and poll.group(1) == f"/api/sessions/{TARTU_1}" and "<script>" in page
    assert page.count("<script>") == 1 and "<script" not in page.split("</title>")[0]  # once, in the body
    assert int(poll.group(2)) == (6 * 60 + 15) * 60 * 1000  # until 17:00
    sheet = h.client.get(poll.group(1)).get_json()
    [line] = [x for x in sheet["lines"] if x["participant_id"] == "tartu-1"]
    assert (line["present"], line["source"], line["recorded_at"]) == (True, "self_check_in", "2019-04-11T07:31:40+00:00")
    assert [x["recorded_at"] for x in sheet["lines"] if x["participant_id"] == "tartu-2"] == [None]
    english = h.client.get(f"/sessions/{TARTU_1}?lang=en").get_data(as_text=True)
    assert "present (self check-in at 10:31)" in english and "&#34;checked_in&#34;" not in english
    assert '"checked_in": "self check-in at"' in english

    # After the session the page no longer polls; the check-in is still shown with its time.
    h.set_now(at("11.04", 17, 0))
    closed = h.client.get(f"/sessions/{TARTU_1}?lang=et").get_data(as_text=True)
    assert "<script" not in closed and "data-poll" not in closed
    assert "kohal (iseregistreerimine kell 10:31)" in closed


def test_the_trainers_screen_names_each_participants_organisation(h):
    """Two people of the same name are told apart on the check-in screen as on the sheet: by
    their organisation (a make-up guest also by their own group's city)."""
    from .builders import accepted, edition, member, organisation
    h.deliver("enrolment.edition.published", edition())
    h.deliver("enrolment.application.accepted", accepted("app-twins", "Tartu", [
        member("mari-a", "Mari", "Mets", "org-vald"), member("mari-b", "Mari", "Mets", "org-mtu")], [
        organisation("org-vald", "Luunja Vallavalitsus"), organisation("org-mtu", "MTÜ Emajõgi", "80012345", "ngo")]))
    h.login("trainer:Tartu")
    h.set_now(at("11.04", 10, 15))
    screen = h.client.get(f"/sessions/{TARTU_1}/checkin").get_data(as_text=True)
    rows = re.findall(r"<tr><td>Mari Mets</td>\s*<td>([^<]*)</td>", screen)
    assert sorted(rows) == ["Luunja Vallavalitsus", "MTÜ Emajõgi"]
    assert "Organisatsioon" in screen
