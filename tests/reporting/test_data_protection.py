"""Issue 7, point 6: masked codes, logged reveals, special categories only in the person's own
detail and export, the person's own data export, and anonymisation after the retention period."""
from __future__ import annotations

import json
import logging
from datetime import date, datetime

from sqlalchemy import inspect, select, text

from services.reporting.adapters.models import EsfRecord, Participant
from services.reporting.service_layer import editions
from shared import clock
from shared.clock import TALLINN

from .builders import attend, form_path, hand_built_edition

P1_CODE = "60104180178"
ALL_CODES = ["60104180178", "50104170126", "48904170154", "36404180217", "46404170102", "38703120227",
             "46805280103", "49602290124"]


def test_lists_show_codes_masked_and_no_special_category_answers(h):
    hand_built_edition(h)
    h.login("coordinator")
    listed = h.client.get("/api/editions/edition-2019/participants").get_json()
    p1 = next(p for p in listed if p["participant_id"] == "P1")
    assert p1["personal_code_masked"] == "6*********8"
    assert not {"personal_code", "disability", "minority", "esf"} & set(p1)
    for path in ("/editions/edition-2019/participants", "/editions/edition-2019/completeness",
                 "/api/editions/edition-2019/completeness", "/api/editions/edition-2019/participants"):
        body = h.client.get(path).get_data(as_text=True)
        assert not [code for code in ALL_CODES if code in body], path
    # Lists name a missing answer at most (completeness), never the answer itself.
    html = h.client.get("/editions/edition-2019/participants").get_data(as_text=True)
    assert "Puue" not in html and "Jah" not in html and "Ei soovi vastata" not in html
    lines = h.client.get("/api/editions/edition-2019/completeness").get_json()["participants"]
    assert {key for line in lines for key in line} == {
        "participant_id", "first_name", "last_name", "group_id", "city", "entry_date", "deadline", "overdue",
        "form_missing", "attendance_missing"}
    # The person's own detail has their answers, the code still masked.
    detail = h.client.get("/api/participants/P1").get_json()
    assert detail["personal_code_masked"] == "6*********8" and P1_CODE not in json.dumps(detail)
    assert (detail["esf"]["disability"], detail["esf"]["rural_area"], detail["esf"]["age_at_entry"]) == ("yes", "yes", 17)
    page = h.client.get("/participants/P1").get_data(as_text=True)
    assert P1_CODE not in page and "6*********8" in page and "Puue" in page


def test_a_coordinator_reveals_one_code_with_a_reason_and_each_reveal_is_logged(h, caplog):
    hand_built_edition(h)
    h.login("coordinator", name="Kati Koordinaator", email="kati@example.ee")
    clock.set_now(datetime(2019, 7, 1, 10, 0, tzinfo=TALLINN))
    caplog.set_level(logging.INFO)
    no_reason = h.client.post("/participants/P1/reveal", data={"csrf_token": h.csrf_token("/participants/P1"),
                                                               "reason": ""})
    assert no_reason.status_code == 422 and P1_CODE not in no_reason.get_data(as_text=True)
    shown = h.client.post("/participants/P1/reveal", data={"csrf_token": h.csrf_token("/participants/P1"),
                                                           "reason": "Statistikaameti päring nr 12"})
    assert shown.status_code == 200 and P1_CODE in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    by_api = h.client.post("/api/participants/P4/reveal", json={"reason": "Andmete kontroll RTK-ga"})
    assert by_api.get_json() == {"participant_id": "P4", "personal_code": "48904170154"}
    assert h.client.post("/api/participants/P7/reveal", json={"reason": "Kas on?"}).status_code == 404  # none given
    log = h.client.get("/api/reveal-log").get_json()
    assert [(r["participant_id"], r["actor_email"], r["actor_name"], r["reason"], r["at"]) for r in log] == [
        ("P4", "kati@example.ee", "Kati Koordinaator", "Andmete kontroll RTK-ga", "2019-07-01T07:00:00+00:00"),
        ("P1", "kati@example.ee", "Kati Koordinaator", "Statistikaameti päring nr 12", "2019-07-01T07:00:00+00:00"),
    ]
    audit = h.client.get("/audit").get_data(as_text=True)
    assert "Statistikaameti päring nr 12" in audit and P1_CODE not in audit
    logged = "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "personal code revealed" in logged
    assert not [code for code in ALL_CODES if code in logged]


def test_no_personal_code_reaches_a_log_line_when_the_form_is_filled(h, caplog):
    caplog.set_level(logging.DEBUG)
    hand_built_edition(h)
    logged = "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "ESF data saved" in logged
    assert not [code for code in ALL_CODES if code in logged]


def test_the_persons_own_data_export_holds_their_data_and_is_logged(h):
    hand_built_edition(h)
    h.login("coordinator")
    response = h.client.post("/participants/P3/data-export", data={"csrf_token": h.csrf_token("/participants/P3")})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=esf-minu-andmed-P3-")
    data = json.loads(response.data)
    assert (data["first_name"], data["last_name"], data["email"]) == ("Kai", "Kask", "p3@example.ee")
    assert data["esf_data"]["birth_date"] == "1989-04-18" and data["esf_data"]["sex"] == "non_binary"
    assert (data["esf_data"]["disability"], data["esf_data"]["homeless"]) == ("declined", "yes")
    assert data["attendance"] == [{"session_id": "2019-tallinn-1", "date": "2019-04-17", "day_number": 1,
                                   "present": True, "make_up": False}]
    assert data["entry_date"] == "2019-04-17" and data["age_at_entry"] == 29
    own = h.client.get("/api/participants/P1/data-export")
    assert json.loads(own.data)["esf_data"]["personal_code"] == P1_CODE
    assert [e["participant_id"] for e in h.client.get("/api/export-log").get_json()] == ["P1", "P3"]


def _text_in_database(h) -> str:
    """Every value of every table, as one text, to search for what must be gone."""
    chunks = []
    with h.kit.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table.startswith("alembic_") or table in ("outbox", "inbox", "dead_letters"):
                continue
            chunks += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(chunks)


def test_anonymisation_past_retention_keeps_the_indicators_and_removes_names_and_codes(h):
    hand_built_edition(h)
    h.login("coordinator")
    clock.set_now(datetime(2020, 3, 1, 12, tzinfo=TALLINN))
    before_edition = h.client.get("/api/editions/edition-2019/indicators").get_json()["rows"]
    before_group = h.client.get("/api/groups/2019-tallinn/indicators").get_json()["rows"]

    refused = h.client.post("/api/editions/edition-2019/anonymise", json={"confirm": True})
    assert refused.status_code == 409 and refused.get_json()["reason"] == "no_last_payment"
    settings = h.client.put("/api/editions/edition-2019/settings", json={
        "indicator_set": "esf_plus_2021_2027", "deadline_weeks": 4, "last_payment_date": "2020-02-14",
        "retention_years": 5}).get_json()
    assert (settings["retention_until"], settings["due_for_anonymisation"]) == ("2025-12-31", False)
    clock.set_now(datetime(2025, 12, 31, 23, 0, tzinfo=TALLINN))
    still = h.client.post("/api/editions/edition-2019/anonymise", json={"confirm": True})
    assert still.status_code == 409 and still.get_json()["reason"] == "retention_running"

    clock.set_now(datetime(2026, 1, 1, 9, 0, tzinfo=TALLINN))
    page = h.client.get("/editions/edition-2019/anonymise").get_data(as_text=True)
    assert "Saan aru, et seda ei saa tagasi võtta." in page
    unconfirmed = h.client.post("/editions/edition-2019/anonymise",
                                data={"csrf_token": h.csrf_token("/editions/edition-2019/anonymise")})
    assert unconfirmed.status_code == 422 and h.client.get("/api/participants/P1").status_code == 200
    done = h.client.post("/editions/edition-2019/anonymise", data={
        "csrf_token": h.csrf_token("/editions/edition-2019/anonymise"), "confirm": "y"})
    assert done.status_code == 303

    assert h.client.get("/api/editions/edition-2019/indicators").get_json()["rows"] == before_edition
    after_group = h.client.get("/api/groups/2019-tallinn/indicators").get_json()
    assert after_group["rows"] == before_group and after_group["anonymised"] is True
    assert h.client.get("/api/editions/edition-2019/participants").status_code == 409
    assert h.client.get("/api/participants/P1").status_code == 404
    assert h.client.get("/editions/edition-2019/export/indicators.xlsx").status_code == 200
    stored = _text_in_database(h)
    for gone in ("Maasikas", "Mari", "p1@example.ee", "Harju maakond", "Kose vald", "1989-04-18", *ALL_CODES):
        assert gone not in stored, gone
    with h.kit.db.transaction() as db:
        assert db.scalars(select(EsfRecord)).all() == [] and db.scalars(select(Participant)).all() == []

    # A late or replayed event about someone anonymised does not bring them back.
    attend(h, "P1", "Tallinn", 2)
    with h.kit.db.transaction() as db:
        assert db.get(Participant, "P1") is None
    assert h.client.get(form_path(h, "P1")).status_code == 410
    again = h.client.post("/api/editions/edition-2019/anonymise", json={"confirm": True})
    assert again.status_code == 409 and again.get_json()["reason"] == "already_anonymised"


def test_anonymise_due_takes_every_edition_past_its_retention_date(h):
    hand_built_edition(h)
    h.login("coordinator")
    h.client.put("/api/editions/edition-2019/settings", json={
        "indicator_set": "esf_plus_2021_2027", "deadline_weeks": 4, "last_payment_date": "2020-02-14",
        "retention_years": 1})
    assert editions.anonymise_due(h.kit, on=date(2021, 12, 31)) == []
    assert editions.anonymise_due(h.kit, on=date(2022, 1, 1)) == ["edition-2019"]
    assert editions.anonymise_due(h.kit, on=date(2022, 1, 2)) == []
    assert h.client.get("/api/editions/edition-2019").get_json()["anonymised_at"] is not None
