"""Staff side is the coordinator's only: other roles get 403, no session 401 (API) or the sign-in page."""
from __future__ import annotations

import pytest

from .builders import accept, member, organisation, publish_edition

PAGES = ["/", "/editions/edition-2019", "/editions/edition-2019/indicators", "/editions/edition-2019/completeness",
         "/editions/edition-2019/participants", "/participants/P1", "/audit",
         "/editions/edition-2019/export/participants.csv", "/editions/edition-2019/anonymise"]
API_GETS = ["/api/editions", "/api/editions/edition-2019", "/api/editions/edition-2019/indicators",
            "/api/groups/2019-tallinn/indicators", "/api/editions/edition-2019/completeness",
            "/api/editions/edition-2019/participants", "/api/participants/P1",
            "/api/participants/P1/data-export", "/api/editions/edition-2019/exports/participants.xlsx",
            "/api/export-log", "/api/reveal-log"]
API_POSTS = [("POST", "/api/editions/edition-2019/lock", {}), ("POST", "/api/editions/edition-2019/unlock", {}),
             ("POST", "/api/editions/edition-2019/anonymise", {"confirm": True}),
             ("POST", "/api/participants/P1/reveal", {"reason": "Statistikaameti päring"}),
             ("PUT", "/api/editions/edition-2019/settings", {"indicator_set": "esf_2014_2020"})]


@pytest.fixture
def edition(h):
    publish_edition(h)
    accept(h, "app-1", "Tallinn", [member("P1", "Mari", "Maasikas", "L1")], [organisation("L1")])
    return h


@pytest.mark.parametrize("role", ["trainer", "trainer:Tallinn", "finance"])
def test_other_roles_are_refused_everywhere(edition, role):
    h = edition
    h.login(role)
    for path in PAGES:
        assert h.client.get(path).status_code == 403, path
    for path in API_GETS:
        response = h.client.get(path)
        assert (response.status_code, response.get_json()["code"]) == (403, 403), path
    for method, path, body in API_POSTS:
        assert h.client.open(path, method=method, json=body).status_code == 403, path
    assert h.client.get("/api/export-log").is_json


def test_without_a_session_the_api_says_401_and_pages_redirect_to_sign_in(edition):
    h = edition
    for path in API_GETS:
        response = h.client.get(path)
        assert response.status_code == 401 and response.get_json()["status"] == "unauthorized", path
    for method, path, body in API_POSTS:
        assert h.client.open(path, method=method, json=body).status_code == 401, path
    for path in PAGES:
        response = h.client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next="), path


def test_api_errors_are_json_404_415_422(edition):
    h = edition
    h.login("coordinator")
    missing = h.client.get("/api/participants/nobody")
    assert missing.status_code == 404 and missing.get_json()["reason"] == "not_found"
    assert h.client.get("/api/editions/nope/indicators").status_code == 404
    assert h.client.get("/api/groups/nope/indicators").status_code == 404
    # A state change must come as JSON: a plain form post (another site's form) is refused.
    assert h.client.post("/api/editions/edition-2019/lock", data={"x": "1"}).status_code == 415
    invalid = h.client.put("/api/editions/edition-2019/settings", json={"indicator_set": "x", "retention_years": -1})
    assert invalid.status_code == 422
    assert set(invalid.get_json()["errors"]["json"]) == {"indicator_set", "retention_years"}
    no_reason = h.client.post("/api/participants/P1/reveal", json={"reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]["json"]
    not_confirmed = h.client.post("/api/editions/edition-2019/anonymise", json={"confirm": False})
    assert not_confirmed.status_code == 422


def test_pages_post_forms_need_the_csrf_token(edition):
    h = edition
    h.login("coordinator")
    assert h.client.post("/editions/edition-2019/lock").status_code == 400
    assert h.client.get("/api/editions/edition-2019").get_json()["locked"] is False
    assert h.client.post("/participants/P1/reveal", data={"reason": "because I can"}).status_code == 400
    assert h.client.get("/api/reveal-log").get_json() == []


def test_a_tartu_coordinator_sees_checks_exports_and_reveals_only_tartu(h):
    """City scope (issue 8): lists hold only Tartu's group, another city's participant or
    group is 403, whole-edition figures, files and actions need a coordinator of every city."""
    from datetime import datetime

    from shared import clock
    from shared.clock import TALLINN

    from .builders import hand_built_edition
    hand_built_edition(h)  # Tallinn P1–P10, Tartu T1 (code 49602290124)
    clock.set_now(datetime(2019, 7, 1, 10, 0, tzinfo=TALLINN))
    h.login("coordinator:Tartu", name="Tiia Tartust", email="tiia@example.ee")

    listed = h.client.get("/api/editions/edition-2019/participants").get_json()
    assert [p["participant_id"] for p in listed] == ["T1"]
    complete = h.client.get("/api/editions/edition-2019/completeness").get_json()
    assert [p["participant_id"] for p in complete["participants"]] == ["T1"]
    assert complete["counts"]["participants"] == 1
    page = h.client.get("/editions/edition-2019/participants").get_data(as_text=True)
    assert "Tõnisson" in page and "Maasikas" not in page
    assert "2019-tartu" in page and "2019-tallinn" not in page  # the group links: only its own
    assert h.client.get("/api/participants/T1").status_code == 200

    # Another city's participant or group: 403, and nothing revealed, exported or logged.
    for path in ("/api/participants/P1", "/api/participants/P1/data-export", "/participants/P1",
                 "/api/groups/2019-tallinn/indicators", "/api/editions/edition-2019/participants?group_id=2019-tallinn",
                 "/api/editions/edition-2019/completeness?group_id=2019-tallinn",
                 "/api/editions/edition-2019/indicators?group_id=2019-tallinn",
                 "/api/editions/edition-2019/exports/participants.csv?group_id=2019-tallinn"):
        response = h.client.get(path)
        assert response.status_code == 403, path
    other = h.client.post("/api/participants/P1/reveal", json={"reason": "Statistikaameti päring"})
    assert (other.status_code, other.get_json()["reason"]) == (403, "other_city")
    form = h.client.post("/participants/P1/reveal", data={"csrf_token": h.csrf_token("/participants/T1"),
                                                          "reason": "Statistikaameti päring"})
    assert form.status_code == 403 and "60104180178" not in form.get_data(as_text=True)
    own = h.client.post("/api/participants/T1/reveal", json={"reason": "Statistikaameti päring"})
    assert own.get_json() == {"participant_id": "T1", "personal_code": "49602290124"}

    # The whole edition's indicators and files: only per own group.
    whole = h.client.get("/api/editions/edition-2019/indicators")
    assert (whole.status_code, whole.get_json()["reason"]) == (403, "whole_edition")
    assert h.client.get("/api/editions/edition-2019/exports/participants.csv").status_code == 403
    tartu = h.client.get("/api/editions/edition-2019/indicators?group_id=2019-tartu").get_json()
    assert tartu["group_id"] == "2019-tartu" and tartu["participants_entered"] == 1
    assert h.client.get("/api/groups/2019-tartu/indicators").status_code == 200
    exported = h.client.get("/api/editions/edition-2019/exports/participants.csv?group_id=2019-tartu")
    text = exported.get_data().decode("utf-8-sig")
    assert exported.status_code == 200 and "Tõnisson" in text and "Maasikas" not in text
    assert h.client.get("/editions/edition-2019/indicators").headers["Location"].endswith(
        "/editions/edition-2019/indicators?group=2019-tartu")

    # Edition-wide actions and the logs of everyone's exports and reveals.
    for method, path, body in API_POSTS:
        if "/participants/" not in path:
            assert h.client.open(path, method=method, json=body).status_code == 403, path
    for path in ("/api/export-log", "/api/reveal-log", "/audit", "/editions/edition-2019"):
        assert h.client.get(path).status_code == 403, path

    h.login("coordinator")
    reveals = h.client.get("/api/reveal-log").get_json()
    assert [(r["participant_id"], r["actor_email"]) for r in reveals] == [("T1", "tiia@example.ee")]
    exports_logged = h.client.get("/api/export-log").get_json()
    assert [(e["group_id"], e["actor_email"]) for e in exports_logged] == [("2019-tartu", "tiia@example.ee")]
    assert h.client.get("/api/editions/edition-2019").get_json()["locked"] is False
