"""Issue 4, points 3 and 7: the sign-in sheet PDF and the overview pages."""
from __future__ import annotations

import io

from pypdf import PdfReader

from .builders import at, attend, mark, put_sheet, session_id, setup_2019


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_sign_in_sheet_pdf_names_everyone_expected(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    h.set_now(at("10.04", 9, 0))
    h.client.post("/api/sessions/2019-tallinn-1/make-ups", json={"participant_id": "parnu-1"})
    h.login("trainer:Tallinn")
    response = h.client.get("/sessions/2019-tallinn-1/signin.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    for expected in ("Osalejate allkirjaleht", "I koolituspäev", "Kuupäev: 17.04.2019", "Linn: Tallinn",
                     "Aeg: 10:00–17:00", "Toimumiskoht: Tallinn, Keskväljak 1", "Ülle Öövel", "Toomas Kuusk",
                     "MTÜ Äksi & Ko <filiaal>", "Õnne Šmõškina", "Häädemeeste Vallavalitsus", "järeletegija, grupp: Pärnu",
                     "Allkiri"):
        assert expected in text, expected
    english = pdf_text(h.client.get("/sessions/2019-tallinn-1/signin.pdf?lang=en").data)
    assert "Attendance sign-in sheet" in english and "make-up, group: Pärnu" in english
    h.logout()
    assert h.client.get("/sessions/2019-tallinn-1/signin.pdf").status_code == 302


def test_the_group_matrix_and_the_at_risk_list(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    attend(h, "17.04", session_id("Tallinn", 1), {"tallinn-1": False, "tallinn-2": True})
    attend(h, "16.04", session_id("Rakvere", 1), {"rakvere-1": True})
    assert mark(h, session_id("Rakvere", 1), "parnu-1", True).status_code == 200  # a walk-in make-up
    attend(h, "11.04", session_id("Tartu", 1), {"tartu-1": False, "tartu-2": True})
    h.set_now(at("20.04", 12, 0))
    h.tick()

    overview = h.client.get("/api/groups/2019-parnu/overview").get_json()
    assert [s["date"] for s in overview["sessions"]] == ["09.04.2019", "30.04.2019", "22.05.2019"]
    matrix = {p["participant_id"]: ([d["state"] for d in p["days"]], p["outcome"]) for p in overview["participants"]}
    assert matrix == {"parnu-1": (["made_up", "upcoming", "upcoming"], "in_progress"),
                      "parnu-2": (["attended", "upcoming", "upcoming"], "in_progress")}
    tallinn = h.client.get("/api/groups/2019-tallinn/overview").get_json()["participants"]
    assert {p["participant_id"]: (p["outcome"], p["reason"]) for p in tallinn} == {
        "tallinn-1": ("dropped_out", "absence"), "tallinn-2": ("in_progress", None)}
    [tartu_1] = [p for p in h.client.get("/api/groups/2019-tartu/overview").get_json()["participants"]
                 if p["participant_id"] == "tartu-1"]
    assert tartu_1["days"][0]["state"] == "missed" and tartu_1["outcome"] == "dropped_out"

    h.set_now(at("30.04", 17, 30))
    put_sheet(h, session_id("Pärnu", 2), {"parnu-1": True, "parnu-2": False})
    at_risk = h.client.get("/api/at-risk").get_json()
    assert [(r["participant_id"], r["outcome"]) for r in at_risk] == [("parnu-2", "at_risk")]
    chances = at_risk[0]["days"][1]
    assert chances["state"] == "absent_open"
    assert [(s["city"], s["date"]) for s in chances["open_make_ups"]] == [
        ("Tartu", "02.05.2019"), ("Rakvere", "07.05.2019"), ("Tallinn", "09.05.2019")]
    assert chances["last_chance_ends_at"] == "2019-05-09T14:00:00+00:00"

    page = h.client.get("/groups/2019-parnu").get_data(as_text=True)
    assert "järele tehtud" in page and "Rakvere 16.04.2019" in page
    assert "puudus, veel avatud" in page and "riskis" in page
    assert "Tartu 02.05.2019, Rakvere 07.05.2019, Tallinn 09.05.2019" in page
    assert "09.05.2019 17:00" in page  # the last chance, in Tallinn time
    risk_page = h.client.get("/at-risk?lang=en").get_data(as_text=True)
    assert "Jaan Tamm" in risk_page and "can be made up at" in risk_page
    assert "langes välja" in h.client.get("/groups/2019-tallinn?lang=et").get_data(as_text=True)


def test_completed_is_shown_in_the_matrix(h):
    setup_2019(h, cities=["Tartu"])
    h.login("trainer:Tartu")
    for day, n in (("11.04", 1), ("02.05", 2), ("23.05", 3)):
        attend(h, day, session_id("Tartu", n), {"tartu-1": True, "tartu-2": n != 3})
    rows = {p["participant_id"]: p["outcome"] for p in h.client.get("/api/groups/2019-tartu/overview").get_json()["participants"]}
    assert rows == {"tartu-1": "completed", "tartu-2": "at_risk"}
    assert "lõpetas" in h.client.get("/groups/2019-tartu").get_data(as_text=True)


def test_dashboard_figures_are_scoped_to_the_users_cities(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": True})
    figures = {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}
    assert figures["attendance.sessions_today"] == 1 and figures["attendance.at_risk"] == 1
    h.login("trainer:Tartu")
    figures = {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}
    assert figures["attendance.sessions_today"] == 0 and figures["attendance.at_risk"] == 0


def test_a_make_up_guest_who_withdrew_leaves_the_sheet_and_the_pdf_unless_recorded_there(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "09.04", session_id("Pärnu", 1), {"parnu-1": False, "parnu-2": False})
    h.set_now(at("10.04", 9, 0))
    for sid, pid in (("2019-tallinn-1", "parnu-1"), ("2019-tartu-1", "parnu-2")):
        assert h.client.post(f"/api/sessions/{sid}/make-ups", json={"participant_id": pid}).status_code == 201
    attend(h, "11.04", session_id("Tartu", 1), {"parnu-2": False})  # parnu-2 did not come to Tartu
    h.set_now(at("12.04", 9, 0))
    h.deliver("enrolment.application.withdrawn", {"application_id": "app-parnu", "reason": "team dissolved",
                                                  "participant_ids": ["parnu-1", "parnu-2"]})

    tallinn = h.client.get("/api/sessions/2019-tallinn-1").get_json()
    assert [line["participant_id"] for line in tallinn["lines"]] == ["tallinn-2", "tallinn-1"]  # Kuusk, Öövel
    text = pdf_text(h.client.get("/sessions/2019-tallinn-1/signin.pdf").data)
    assert "Ülle Öövel" in text and "Õnne Šmõškina" not in text and "järeletegija, grupp" not in text
    assert "nimekirjas: 2, neist järeletegijaid: 0" in text
    assert "Šmõškina" not in h.client.get("/sessions/2019-tallinn-1").get_data(as_text=True)
    h.set_now(at("17.04", 10, 30))
    assert put_sheet(h, "2019-tallinn-1", {"parnu-1": True}).status_code == 422
    assert mark(h, "2019-tallinn-1", "parnu-1", False).get_json()["reason"] == "not_on_sheet"
    assert mark(h, "2019-tallinn-1", "parnu-1", True).get_json()["reason"] == "not_active"

    # Recorded as a guest before leaving: the line stays, so the record can still be corrected.
    tartu = h.client.get("/api/sessions/2019-tartu-1").get_json()
    assert [(line["participant_id"], line["present"]) for line in tartu["lines"]][-1] == ("parnu-2", False)
    assert mark(h, "2019-tartu-1", "parnu-2", True).get_json()["changed"] == ["parnu-2"]


def test_names_are_in_estonian_alphabetical_order_on_every_list(h):
    """š z ž come after s and before t, õ ä ö ü after w (shared/collation.py); code point order put
    Tamm before Šmidt and Zirk before Õun. The sheet (page, API, sign-in PDF), the check-in screen,
    the group overview and the at-risk list all read so, as does the make-up choice."""
    from .builders import accepted, edition, member, organisation
    h.deliver("enrolment.edition.published", edition())
    names = [("t-oun", "Õie", "Õun"), ("t-tamm", "Tiit", "Tamm"), ("t-zirk", "Zoja", "Zirk"),
             ("t-smidt", "Šarl", "Šmidt"), ("t-wiik", "Ants", "Wiik"), ("t-ars", "Ülo", "Ärss")]
    h.deliver("enrolment.application.accepted", accepted("app-t", "Tartu", [
        member(pid, first, last, "org-t") for pid, first, last in names], [organisation("org-t", "Tartu Vald")]))
    expected = ["Šarl Šmidt", "Zoja Zirk", "Tiit Tamm", "Ants Wiik", "Õie Õun", "Ülo Ärss"]
    h.login("coordinator")
    sid = session_id("Tartu", 1)
    lines = h.client.get(f"/api/sessions/{sid}").get_json()["lines"]
    assert [f"{line['first_name']} {line['last_name']}" for line in lines] == expected

    def order(text: str) -> list[str]:
        return sorted(expected, key=text.index)
    assert order(h.client.get(f"/sessions/{sid}").get_data(as_text=True)) == expected
    assert order(h.client.get(f"/sessions/{sid}/checkin").get_data(as_text=True)) == expected
    assert order(pdf_text(h.client.get(f"/sessions/{sid}/signin.pdf").data)) == expected
    attend(h, "11.04", sid, {pid: False for pid, _, _ in names})
    h.set_now(at("11.04", 17, 30))
    overview = h.client.get("/api/groups/2019-tartu/overview").get_json()["participants"]
    assert [f"{p['first_name']} {p['last_name']}" for p in overview] == expected
    assert order(h.client.get("/groups/2019-tartu").get_data(as_text=True)) == expected
    at_risk = h.client.get("/api/at-risk").get_json()
    assert [f"{p['first_name']} {p['last_name']}" for p in at_risk] == expected
    make_up = h.client.get(f"/sessions/{session_id('Rakvere', 1)}").get_data(as_text=True)
    assert order(make_up.split('name="participant_id"', 1)[1]) == expected


def edition_2020() -> dict:
    """The next year's edition: the same groups and days 52 weeks later, its own ids."""
    from datetime import timedelta

    from .builders import edition
    payload = edition()
    for g in payload["groups"]:
        g["group_id"] = g["group_id"].replace("2019", "2020")
        for s in g["sessions"]:
            s["session_id"] = s["session_id"].replace("2019", "2020")
            s["starts_at"], s["ends_at"] = s["starts_at"] + timedelta(weeks=52), s["ends_at"] + timedelta(weeks=52)
    payload.update(edition_id="edition-2020", year=2020, name="Arenguprogramm 2020",
                   application_deadline=payload["application_deadline"] + timedelta(weeks=52))
    return payload


def test_the_dashboard_names_each_groups_edition_and_shows_an_earlier_one_only_while_it_runs(h):
    """Once 2020's edition exists beside 2019's, every city has two groups: each figure says its
    year (no two alike), the newest first; 2019's groups stay while 2019 runs, then only 2020's
    are shown and 2019's overviews are still reachable."""
    from datetime import datetime

    from shared.clock import TALLINN
    setup_2019(h, cities=["Tartu"])
    h.deliver("enrolment.edition.published", edition_2020())
    h.login("coordinator")

    def groups() -> list[tuple[str, str, str]]:
        return [(f["label_et"], f["label_en"], f["link"]) for f in h.client.get("/api/summary").get_json()["figures"]
                if f["key"].startswith("attendance.group.")]
    h.set_now(at("11.04", 9))
    running = groups()
    assert len({et for et, _, _ in running}) == len({en for _, en, _ in running}) == len(running) == 8
    assert running[:4] == [(f"2020 {city}: lõpetanud / katkestanud / riskis", f"2020 {city}: completed / dropped out / at risk",
                            f"/attendance/groups/2020-{slug}") for city, slug in (
        ("Pärnu", "parnu"), ("Rakvere", "rakvere"), ("Tallinn", "tallinn"), ("Tartu", "tartu"))]
    assert ("2019 Tartu: lõpetanud / katkestanud / riskis", "2019 Tartu: completed / dropped out / at risk",
            "/attendance/groups/2019-tartu") in running[4:]

    for day, n in (("11.04", 1), ("02.05", 2), ("23.05", 3)):
        attend(h, day, session_id("Tartu", n), {"tartu-1": True, "tartu-2": True})
    h.set_now(datetime(2020, 1, 15, 12, tzinfo=TALLINN))  # 2019 is over, everyone finished
    assert [et.split(":")[0] for et, _, _ in groups()] == ["2020 Pärnu", "2020 Rakvere", "2020 Tallinn", "2020 Tartu"]
    assert "lõpetas" in h.client.get("/groups/2019-tartu").get_data(as_text=True)
    assert '/groups/2019-tartu"' in h.client.get("/").get_data(as_text=True)  # the session list
