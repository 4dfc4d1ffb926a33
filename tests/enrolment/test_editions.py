"""Editions: the 2019 edition ships as data; coordinators create and edit editions, and
every change publishes the full schedule with a higher revision."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.enrolment import demo
from services.enrolment.data import EDITION_2019
from services.enrolment.domain.edition import DEFAULT_CAPACITY_TEAMS
from services.enrolment.entrypoints.cli import COMMANDS
from services.enrolment.service_layer.editions import load_edition_file
from tests.enrolment.helpers import complete_application, edition_body, edition_form_data, field_block


def test_the_2019_edition_is_loaded_from_the_data_file_and_published(h):
    [event] = h.payloads("enrolment.edition.published")
    assert event["edition_id"] == "2019" and event["year"] == 2019 and event["revision"] == 1
    assert event["application_deadline"] == "2019-03-01T21:59:59+00:00"  # 23:59:59 in Tallinn
    assert [g["city"] for g in event["groups"]] == ["Pärnu", "Tartu", "Rakvere", "Tallinn"]
    parnu = event["groups"][0]
    assert parnu["group_id"] == "2019-parnu" and parnu["capacity_teams"] == 7
    assert [s["session_id"] for s in parnu["sessions"]] == ["2019-parnu-1", "2019-parnu-2", "2019-parnu-3"]
    # 10:00–17:00 in Tallinn, which is UTC+3 in April (summer time).
    assert parnu["sessions"][0]["starts_at"] == "2019-04-09T07:00:00+00:00"
    assert parnu["sessions"][0]["ends_at"] == "2019-04-09T14:00:00+00:00"
    # Loading the file again changes nothing and publishes nothing.
    assert load_edition_file(h.kit, EDITION_2019) == ("2019", False)
    assert len(h.payloads("enrolment.edition.published")) == 1


def test_demo_load_is_idempotent(stack):
    h = stack.harness("enrolment")
    try:
        demo.load(h.kit)
        demo.load(h.kit)
        assert len(h.payloads("enrolment.edition.published")) == 1
        h.login("coordinator")
        assert [e["year"] for e in h.client.get("/api/editions").get_json()] == [2019]
    finally:
        h.close()


def test_editing_the_edition_publishes_it_again_with_a_higher_revision(coordinator):
    h = coordinator
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    body["groups"][1]["sessions"][0]["venue"] = "Tartu, Raekoja plats 1"
    r = h.client.put("/api/editions/2019", json=body)
    assert r.status_code == 200 and r.get_json()["revision"] == 2
    events = h.payloads("enrolment.edition.published")
    assert [e["revision"] for e in events] == [1, 2]
    assert events[1]["groups"][1]["sessions"][0]["venue"] == "Tartu, Raekoja plats 1"
    assert events[1]["groups"][1]["group_id"] == "2019-tartu"  # the ids stay
    # The same body again is no change: no new revision.
    assert h.client.put("/api/editions/2019", json=body).get_json()["revision"] == 2
    assert len(h.payloads("enrolment.edition.published")) == 2


def test_editing_through_the_page(coordinator):
    h = coordinator
    page = h.client.get("/editions/2019/edit").get_data(as_text=True)
    assert 'value="2019-04-09"' in page and 'value="10:00"' in page and 'value="Pärnu"' in page
    data = edition_form_data(page)
    data["groups-0-capacity_teams"] = "8"
    data["groups-3-sessions-2-venue"] = "Tallinn, Lossi plats 1a"
    r = h.client.post("/editions/2019/edit", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    event = h.payloads("enrolment.edition.published")[-1]
    assert event["revision"] == 2 and event["groups"][0]["capacity_teams"] == 8
    assert event["groups"][3]["sessions"][2]["venue"] == "Tallinn, Lossi plats 1a"
    listing = h.client.get("/editions").get_data(as_text=True)
    assert "06.06.2019 10:00–17:00" in listing and "Lossi plats 1a" in listing

    # A bad date is shown next to its input, with everything else kept.
    data["groups-1-sessions-1-date"] = "31.02.2019"
    data["groups-0-capacity_teams"] = "9"
    r = h.client.post("/editions/2019/edit", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="31.02.2019"' in text and 'value="9"' in text
    assert "pp.kk.aaaa" in text
    assert h.payloads("enrolment.edition.published")[-1]["revision"] == 2


def test_a_coordinator_creates_an_edition_and_bad_schedules_are_refused(coordinator):
    h = coordinator
    body = {"year": 2020, "name": "Arenguprogramm 2020",
            "application_deadline": "2020-03-01T23:59:59+02:00",
            "groups": [{"city": "Viljandi", "capacity_teams": 6, "sessions": [
                {"day_number": d, "starts_at": f"2020-04-0{d}T10:00:00+03:00",
                 "ends_at": f"2020-04-0{d}T17:00:00+03:00", "venue": "Viljandi"} for d in (1, 2, 3)]}]}
    bad = {**body, "application_deadline": "2020-04-02T00:00:00+03:00"}  # after the first day
    r = h.client.post("/api/editions", json=bad)
    assert r.status_code == 422 and "application_deadline" in r.get_json()["errors"]
    assert len(h.payloads("enrolment.edition.published")) == 1
    r = h.client.post("/api/editions", json=body)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["edition_id"] == "2020" and created["revision"] == 1
    assert created["groups"][0]["group_id"] == "2020-viljandi"
    assert created["groups"][0]["sessions"][2]["session_id"] == "2020-viljandi-3"
    assert created["groups"][0]["sessions"][0]["starts_at"] == datetime(2020, 4, 1, 7, tzinfo=UTC).isoformat()
    assert h.payloads("enrolment.edition.published")[-1]["edition_id"] == "2020"
    assert h.client.post("/api/editions", json=body).status_code == 409  # exists already
    # The newest edition is the one people apply to.
    assert h.client.get("/api/edition").get_json()["year"] == 2020


@pytest.mark.parametrize("day, start, lang, message", [
    ("31.03.2019", "03:30", "et", "suveaja vahetus"),  # the spring gap: 03:00 jumps to 04:00
    ("27.10.2019", "03:30", "en", "daylight saving change"),  # the autumn hour that happens twice
])
def test_the_form_refuses_a_wall_clock_time_the_dst_change_skips_or_repeats(coordinator, day, start, lang, message):
    h = coordinator
    page = h.client.get(f"/editions/2019/edit?lang={lang}").get_data(as_text=True)
    data = edition_form_data(page)
    data.update({"groups-0-sessions-0-date": day, "groups-0-sessions-0-starts": start})
    r = h.client.post(f"/editions/2019/edit?lang={lang}", data=data)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert message in field_block(text, "groups-0-sessions-0-starts")
    assert message not in field_block(text, "groups-0-sessions-0-ends")
    assert len(h.payloads("enrolment.edition.published")) == 1  # nothing saved


@pytest.mark.parametrize("lang, city, order, deadline", [
    ("et", "on juba teises rühmas", "2. päev peab algama pärast 1. päeva lõppu (16.04.2019 17:00)",
     "Taotluste tähtaeg peab olema enne esimest koolituspäeva (09.04.2019 10:00)"),
    ("en", "is another group's city already", "Day 2 must start after day 1 ends (16.04.2019 17:00)",
     "The application deadline must be before the first session (09.04.2019 10:00)"),
])
def test_the_edition_form_says_why_a_schedule_is_refused_next_to_its_input(coordinator, lang, city, order,
                                                                             deadline):
    """A broken schedule (a city twice, days out of order, a deadline after the first day) was
    refused with a 422 and no word on the page: the reasons went to the list of groups, which
    has no input. Each is shown at its input, in the page's language, times in Tallinn."""
    h = coordinator
    data = edition_form_data(h.client.get(f"/editions/2019/edit?lang={lang}").get_data(as_text=True))
    data.update({"groups-1-city": "pärnu", "groups-2-sessions-1-date": "2019-04-15",
                 "deadline_date": "2019-04-10"})
    r = h.client.post(f"/editions/2019/edit?lang={lang}", data=data)
    text = r.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
    assert r.status_code == 422
    assert city in field_block(text, "groups-1-city")
    assert order in field_block(text, "groups-2-sessions-1-date")
    assert deadline in field_block(text, "deadline_date")
    assert "+00:00" not in text and 'value="pärnu"' in text and 'value="2019-04-15"' in text
    assert len(h.payloads("enrolment.edition.published")) == 1  # nothing saved


def test_a_new_edition_without_groups_is_refused_with_a_message_on_the_page(coordinator):
    h = coordinator
    data = edition_form_data(h.client.get("/editions/new").get_data(as_text=True))
    data.update({"year": "2020", "name": "Arenguprogramm 2020", "deadline_date": "2020-03-02"})
    r = h.client.post("/editions/new", data=data)
    assert r.status_code == 422
    assert "Lennul peab olema vähemalt üks rühm." in r.get_data(as_text=True)
    assert [e["year"] for e in h.client.get("/api/editions").get_json()] == [2019]


def _edition_2020(capacity: int = 8) -> dict:
    return {"year": 2020, "name": "Arenguprogramm 2020", "application_deadline": "2020-03-02T23:59:59+02:00",
            "groups": [{"city": "Tartu", "capacity_teams": capacity, "sessions": [
                {"day_number": d, "starts_at": f"2020-04-{d + 8:02d}T10:00:00+03:00",
                 "ends_at": f"2020-04-{d + 8:02d}T17:00:00+03:00", "venue": "Tartu"} for d in (1, 2, 3)]}]}


def test_the_last_editions_applications_stay_listed_beside_the_new_ones(coordinator):
    """Once the 2020 edition existed, the applications page showed only 2020: the 2019 teams,
    their groups and counts could no longer be reached from it. An edition can be chosen."""
    h = coordinator
    team_2019 = complete_application(h, 1, preferred_cities=["Tartu"])
    assert h.client.post(f"/api/applications/{team_2019}/accept", json={"city": "Tartu"}).status_code == 200
    assert h.client.post("/api/editions", json=_edition_2020()).status_code == 201
    complete_application(h, 2, preferred_cities=["Tartu"])  # goes to 2020, the newest

    page = h.client.get("/applications").get_data(as_text=True)
    assert "Taotlused 2020" in page and "Meeskond 2" in page and "Meeskond 1" not in page
    assert '<option value="2019"' in page and '<option value="2020" selected' in page
    old = h.client.get("/applications?edition=2019&status=accepted").get_data(as_text=True)
    assert "Taotlused 2019" in old and "Meeskond 1" in old and "Meeskond 2" not in old
    assert '<option value="2019" selected' in old and "1 / 7" in old  # 2019's Tartu group
    assert "/groups/2019-tartu" in old
    # Anything else asked for is the current edition.
    assert "Taotlused 2020" in h.client.get("/applications?edition=1999").get_data(as_text=True)


def test_the_public_form_states_each_groups_own_capacity(coordinator):
    h = coordinator
    assert h.client.post("/api/editions", json=_edition_2020(capacity=8)).status_code == 201
    page = h.client.get("/apply").get_data(as_text=True)
    assert "Tartu (kuni 8 meeskonda): 09.04.2020, 10.04.2020, 11.04.2020" in page and "kuni 7" not in page
    assert "Tartu (at most 8 teams)" in h.client.get("/apply?lang=en").get_data(as_text=True)


def test_a_group_added_on_the_form_has_the_usual_hours_like_the_first(coordinator):
    """"Add a group" gave rows with empty start and end times (the first row had 10:00–17:00),
    so each of a new city's three days had to be typed in."""
    h = coordinator
    data = edition_form_data(h.client.get("/editions/new").get_data(as_text=True))
    assert data["groups-0-sessions-2-starts"] == "10:00" and data["groups-0-sessions-2-ends"] == "17:00"
    data.update({"groups-0-city": "Pärnu", "add_group": "1"})
    data.pop("submit")
    page = h.client.post("/editions/new", data=data).get_data(as_text=True)
    added = edition_form_data(page)
    assert added["groups-0-city"] == "Pärnu" and added["groups-1-city"] == ""
    assert [added[f"groups-1-sessions-{i}-{f}"] for i in range(3) for f in ("starts", "ends")] == \
        ["10:00", "17:00"] * 3
    blank = edition_form_data(h.client.get("/editions/2019/edit").get_data(as_text=True))
    assert blank["groups-4-city"] == "" and blank["groups-4-sessions-0-starts"] == "10:00"


def test_a_new_group_row_starts_with_the_usual_capacity_which_can_be_changed(coordinator):
    """Each group's 'Teams at most' had to be typed in: a new row now has the brochure's 7."""
    h = coordinator
    data = edition_form_data(h.client.get("/editions/new").get_data(as_text=True))
    assert data["groups-0-capacity_teams"] == str(DEFAULT_CAPACITY_TEAMS) == "7"
    data.update({"year": "2020", "name": "Arenguprogramm 2020", "deadline_date": "2020-03-02",
                 "groups-0-city": "Tartu", "add_group": "1"})
    data.pop("submit")
    added = edition_form_data(h.client.post("/editions/new", data=data).get_data(as_text=True))
    assert added["groups-1-capacity_teams"] == "7" and added["groups-1-city"] == ""
    added.update({"groups-1-city": "Viljandi", "groups-1-capacity_teams": "5"})  # still the coordinator's
    for g, first in ((0, 9), (1, 14)):
        for i in range(3):
            added[f"groups-{g}-sessions-{i}-date"] = f"2020-04-{first + i:02d}"
    r = h.client.post("/editions/new", data=added)
    assert r.status_code == 303, r.get_data(as_text=True)
    groups = h.client.get("/api/editions/2020").get_json()["groups"]
    assert [(g["city"], g["capacity_teams"]) for g in groups] == [("Tartu", 7), ("Viljandi", 5)]
    # Editing: the saved groups show their own sizes, the blank row for a new city the usual one.
    edit = edition_form_data(h.client.get("/editions/2020/edit").get_data(as_text=True))
    assert (edit["groups-1-capacity_teams"], edit["groups-2-city"], edit["groups-2-capacity_teams"]) == \
        ("5", "", "7")
    assert h.client.post("/editions/2020/edit", data=edit).status_code == 303  # the blank row is no group
    assert len(h.client.get("/api/editions/2020").get_json()["groups"]) == 2


def _load_edition_process(h, *args: str) -> subprocess.CompletedProcess:
    """``python -m services.enrolment load-edition …`` in its own process, on the test's database."""
    env = {**os.environ, "DATABASE_URL_ENROLMENT": h.settings.database_url, "BUS_URL": h.settings.bus_url}
    return subprocess.run([sys.executable, "-m", "services.enrolment", "load-edition", *args], env=env,
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120)


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _load_edition_command(h, *args: str) -> Ran:
    """The load-edition command run in this process on the test's kit (a process of its own
    costs a second or two of start-up a call; the first test below runs the real one once)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = COMMANDS["load-edition"](h.kit, list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return Ran(code, out.getvalue(), err.getvalue())


def test_next_years_edition_is_loaded_from_its_data_file_by_a_command(coordinator, tmp_path):
    """The edition's data file is how README says an edition is given, yet nothing read a file
    but the 2019 demo's: a coordinator had no way to load next year's."""
    h = coordinator
    text = EDITION_2019.read_text(encoding="utf-8").replace("2019", "2020").replace("capacity_teams: 7",
                                                                                      "capacity_teams: 8")
    data = tmp_path / "edition_2020.yaml"
    data.write_text(text, encoding="utf-8")
    done = _load_edition_process(h, str(data))
    assert done.returncode == 0, done.stderr
    assert "edition 2020: published as revision 1" in done.stdout
    event = h.payloads("enrolment.edition.published")[-1]
    assert event["edition_id"] == "2020" and event["groups"][1]["group_id"] == "2020-tartu"
    assert event["groups"][1]["capacity_teams"] == 8
    assert event["groups"][1]["sessions"][0]["starts_at"] == "2020-04-11T07:00:00+00:00"  # 10:00 in Tallinn
    again = _load_edition_command(h, str(data))
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert len(h.payloads("enrolment.edition.published")) == 2  # 2019's and 2020's, once

    data.write_text(text.replace('application_deadline: "2020-03-01 23:59:59"',
                                 'application_deadline: "2020-05-01 23:59:59"'), encoding="utf-8")
    bad = _load_edition_command(h, str(data))
    assert bad.returncode == 1 and "must be before the first session" in bad.stderr
    missing = _load_edition_command(h, str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    assert len(h.payloads("enrolment.edition.published")) == 2


@pytest.mark.parametrize("lang, texts", [
    ("et", {"date": "Kuupäev kujul pp.kk.aaaa.", "number": "Sisestage täisarv.",
            "city": "on juba teises rühmas", "deadline": "Taotluste tähtaeg peab olema enne esimest koolituspäeva",
            "counselling": "Nõustamisprogrammi tähtaeg peab olema pärast lennu viimast koolituspäeva (06.06.2019 17:00)",
            "capacity": "Tallinn: rühma on juba vastu võetud 2",
            "days": "täpselt 3 koolituspäeva"}),
    ("en", {"date": "A date like dd.mm.yyyy.", "number": "Enter a whole number.",
            "city": "is another group's city already",
            "deadline": "The application deadline must be before the first session",
            "counselling": "The counselling deadline must be after the edition's last session (06.06.2019 17:00)",
            "capacity": "Tallinn: 2 teams are already accepted",
            "days": "exactly 3 session days"}),
])
def test_the_edition_form_shows_every_error_in_one_go(coordinator, lang, texts):
    """The edition form judged in rounds: inputs it could not read first; the schedule's rules
    (a city twice, the deadline after the first day), the counselling policy and what the saved
    teams allow only once those were corrected. Everything that can be judged is shown at once, each
    at its input, in the page's language; what hangs on an unread input waits for it."""
    h = coordinator
    for n in (1, 2):
        team = complete_application(h, n, preferred_cities=["Tallinn"])
        assert h.client.post(f"/api/applications/{team}/accept", json={"city": "Tallinn"}).status_code == 200
    data = edition_form_data(h.client.get(f"/editions/2019/edit?lang={lang}").get_data(as_text=True))
    data.update({"groups-0-sessions-1-date": "31.02.2019",   # not a date (Pärnu's day II)
                 "counselling_min_selected": "kaheksa",       # not a number
                 "groups-1-city": "pärnu",                     # Pärnu twice
                 "deadline_date": "2019-04-10",                # after Pärnu's first day
                 "counselling_deadline_date": "2019-06-01",    # before the last session
                 "groups-3-capacity_teams": "1"})              # Tallinn has 2 teams accepted
    r = h.client.post(f"/editions/2019/edit?lang={lang}", data=data)
    html = r.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
    assert r.status_code == 422
    assert texts["date"] in field_block(html, "groups-0-sessions-1-date")
    assert texts["number"] in field_block(html, "counselling_min_selected")
    assert texts["city"] in field_block(html, "groups-1-city")
    assert texts["deadline"] in field_block(html, "deadline_date")
    assert texts["counselling"] in field_block(html, "counselling_deadline_date")
    assert texts["capacity"] in field_block(html, "groups-3-capacity_teams")
    # Not what only the unread day would tell (Pärnu judged without its day II would lack a day).
    assert texts["days"] not in html
    assert 'value="31.02.2019"' in html and 'value="pärnu"' in html and 'value="kaheksa"' in html
    assert len(h.payloads("enrolment.edition.published")) == 1  # nothing saved

    # Corrected as the page said, the edition saves in the next go.
    data.update({"groups-0-sessions-1-date": "30.04.2019", "counselling_min_selected": "8",
                 "groups-1-city": "Tartu", "deadline_date": "2019-03-01", "counselling_deadline_date": "",
                 "groups-3-capacity_teams": "2"})
    r = h.client.post(f"/editions/2019/edit?lang={lang}", data=data)
    assert r.status_code == 303, r.get_data(as_text=True)
    assert h.payloads("enrolment.edition.published")[-1]["groups"][3]["capacity_teams"] == 2


def test_the_api_refuses_a_schedule_with_every_problem_at_once(coordinator):
    """A schedule's rules and what the saved teams allow were two rounds in the API too."""
    h = coordinator
    for n in (1, 2):
        team = complete_application(h, n, preferred_cities=["Tallinn"])
        assert h.client.post(f"/api/applications/{team}/accept", json={"city": "Tallinn"}).status_code == 200
    body = edition_body(h.client.get("/api/editions/2019").get_json())
    body["groups"][1]["city"] = "Pärnu"
    body["groups"][3]["capacity_teams"] = 1
    body["claim_daily_rate"] = "1000.00"
    r = h.client.put("/api/editions/2019?lang=en", json=body)
    # The members have confirmed the claim policy: a conflict (409), with every other problem beside it.
    assert r.status_code == 409 and r.get_json()["reason"] == "claim_policy_confirmed"
    problems = r.get_json()["problems"]
    assert {path: [p["code"] for p in found] for path, found in problems.items()} == {
        "groups.1.city": ["edition_invalid"], "groups.3.capacity_teams": ["capacity_below_accepted"],
        "claim_daily_rate": ["daily_rate_above_cap", "claim_policy_confirmed"]}
    body.pop("claim_daily_rate")
    r = h.client.put("/api/editions/2019?lang=en", json=body)
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"groups.1.city", "groups.3.capacity_teams"}
    assert len(h.payloads("enrolment.edition.published")) == 1
