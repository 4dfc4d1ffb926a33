"""Issue 7, point 6: masked codes, logged reveals, special categories only in the person's own
detail and export, the person's own data export, and anonymisation after the retention period."""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import insert, inspect, select, text

from services.reporting.adapters.models import EsfRecord, Participant
from services.reporting.entrypoints.cli import COMMANDS
from services.reporting.service_layer import editions
from shared import clock
from shared.clock import TALLINN
from shared.events.registry import encode

from .builders import attend, form_path, hand_built_edition, member

ROOT = Path(__file__).resolve().parents[2]
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
            if table.startswith("alembic_"):
                continue
            chunks += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(chunks)


def dead_letter(h, participant_id: str, first_name: str, last_name: str) -> None:
    """A message about the participant that reporting could not handle (its body names them)."""
    body = encode(h.envelope("enrolment.application.accepted", {
        "application_id": f"app-{participant_id}", "group_id": "2019-tallinn", "city": "Tallinn",
        "members": [member(participant_id, first_name, last_name, "L1")]}))
    with h.kit.db.transaction() as db:
        db.execute(insert(h.kit.tables.dead_letters).values(
            message_id=participant_id, event_type="enrolment.application.accepted", body=body.decode(),
            error=f"boom about {first_name} {last_name}", reason="handler_failed", attempts=5,
            dead_at=clock.now(), status="dead"))


def dead_letter_ids(h) -> list[str]:
    with h.kit.db.transaction() as db:
        return sorted(db.scalars(select(h.kit.tables.dead_letters.c.message_id)))


def test_anonymisation_past_retention_keeps_the_indicators_and_removes_names_and_codes(h):
    hand_built_edition(h)
    dead_letter(h, "P1", "Mari", "Maasikas")
    dead_letter(h, "X1", "Kalle", "Kaugel")  # someone of no edition here: stays
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
    assert dead_letter_ids(h) == ["X1"] and "Kaugel" in stored

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


def run_command(h, tmp_path, moment: datetime, *args: str) -> subprocess.CompletedProcess:
    """``python -m services.reporting …`` in its own process, on the test's database and clock."""
    clock_file = tmp_path / "clock"
    clock.write_clock_file(str(clock_file), moment)
    env = {**os.environ, "DATABASE_URL_REPORTING": h.settings.database_url, "BUS_URL": h.settings.bus_url,
           "CLOCK_FILE": str(clock_file)}
    return subprocess.run([sys.executable, "-m", "services.reporting", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_in_process(h, moment: datetime, *args: str) -> Ran:
    """The same command run in this process on the test's kit and clock (a process of its own
    costs a second or two of start-up; the test's first call runs the real one)."""
    clock.set_now(moment)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = COMMANDS[args[0]](h.kit, list(args[1:]))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return Ran(code, out.getvalue(), err.getvalue())


def test_the_anonymise_due_command_takes_only_the_editions_past_retention(h, tmp_path):
    hand_built_edition(h)
    clock.set_now(datetime(2020, 3, 1, 12, tzinfo=TALLINN))
    h.deliver("enrolment.edition.published", {
        "edition_id": "edition-2020", "year": 2020, "name": "Arenguprogramm 2020", "revision": 1,
        "application_deadline": datetime(2020, 3, 1, 23, 59, 59, tzinfo=TALLINN),
        "groups": [{"group_id": "2020-tartu", "city": "Tartu", "capacity_teams": 7, "sessions": [
            {"session_id": "2020-tartu-1", "day_number": 1, "starts_at": datetime(2020, 4, 14, 10, tzinfo=TALLINN),
             "ends_at": datetime(2020, 4, 14, 17, tzinfo=TALLINN), "venue": "Tartu"}]}]})
    h.deliver("enrolment.application.accepted", {
        "application_id": "app-2020", "edition_id": "edition-2020", "group_id": "2020-tartu", "city": "Tartu",
        "members": [member("Q1", "Kalle", "Kaugel", "L1")]})
    h.login("coordinator")
    for edition_id, last_payment in (("edition-2019", "2020-02-14"), ("edition-2020", "2021-02-14")):
        assert h.client.put(f"/api/editions/{edition_id}/settings", json={
            "indicator_set": "esf_plus_2021_2027", "deadline_weeks": 0, "last_payment_date": last_payment,
            "retention_years": 1}).status_code == 200  # kept until 31.12.2021 and 31.12.2022

    dry = run_command(h, tmp_path, datetime(2022, 6, 1, 9, tzinfo=TALLINN), "anonymise-due", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "due edition-2019 (kept until 31.12.2021)" in dry.stdout and "edition-2020" not in dry.stdout
    assert h.client.get("/api/participants/P1").status_code == 200  # nothing changed

    done = run_in_process(h, datetime(2022, 6, 1, 9, tzinfo=TALLINN), "anonymise-due")
    assert done.returncode == 0, done.stderr
    assert "anonymised edition-2019" in done.stdout and "1 edition(s) anonymised" in done.stdout
    assert h.client.get("/api/editions/edition-2019").get_json()["anonymised_at"] is not None
    assert h.client.get("/api/editions/edition-2020").get_json()["anonymised_at"] is None
    assert h.client.get("/api/participants/P1").status_code == 404
    assert h.client.get("/api/participants/Q1").get_json()["last_name"] == "Kaugel"

    again = run_in_process(h, datetime(2022, 6, 1, 9, tzinfo=TALLINN), "anonymise-due")
    assert again.returncode == 0 and "0 edition(s) anonymised" in again.stdout
    wrong = run_in_process(h, datetime(2022, 6, 1, 9, tzinfo=TALLINN), "anonymise-due", "--force")
    assert wrong.returncode == 2 and "--force" in wrong.stderr


def test_a_last_payment_before_the_editions_year_is_refused_so_a_typo_cannot_make_data_due(h):
    """31.12.2009 + 5 years would make the 2019 edition due for anonymisation today."""
    hand_built_edition(h)
    h.login("coordinator")
    clock.set_now(datetime(2020, 3, 1, 12, tzinfo=TALLINN))
    body = {"indicator_set": "esf_plus_2021_2027", "deadline_weeks": 4, "last_payment_date": "2009-12-31",
            "retention_years": 5}
    refused = h.client.put("/api/editions/edition-2019/settings", json=body)
    assert refused.status_code == 422
    assert "2019" in refused.get_json()["errors"]["last_payment_date"][0]
    edition = h.client.get("/api/editions/edition-2019").get_json()
    assert (edition["last_payment_date"], edition["due_for_anonymisation"]) == (None, False)
    form = h.client.post("/editions/edition-2019/settings", data={
        "csrf_token": h.csrf_token("/editions/edition-2019"), "indicator_set": "esf_plus_2021_2027",
        "deadline_weeks": "4", "deadline_date": "", "last_payment_date": "31.12.2009", "retention_years": "5"})
    assert form.status_code == 422 and "enne lennu aastat 2019" in form.get_data(as_text=True)
    # The edition's own year is fine (a payment early in 2019 is possible).
    assert h.client.put("/api/editions/edition-2019/settings",
                        json={**body, "last_payment_date": "2019-01-02"}).status_code == 200
