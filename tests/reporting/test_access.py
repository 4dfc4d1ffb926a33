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
