"""Coordinator pages and API: refused without a session and to other roles."""
from __future__ import annotations

import pytest

from tests.enrolment.helpers import submit

PAGES = ["/applications", "/applications/{id}", "/editions", "/editions/new", "/editions/2019/edit",
         "/groups/2019-parnu", "/applications/{id}/members/x/substitute"]
API = ["/api/applications", "/api/applications/{id}", "/api/cities", "/api/editions", "/api/editions/2019",
       "/api/groups/2019-parnu"]
API_WRITES = ["/api/applications/{id}/accept", "/api/applications/{id}/waitlist", "/api/applications/{id}/reject",
              "/api/applications/{id}/withdraw", "/api/groups/2019-parnu/promote", "/api/editions",
              "/api/applications/{id}/members/x/withdraw", "/api/applications/{id}/members/x/substitute"]


@pytest.fixture
def application_id(h):
    return submit(h).get_json()["application_id"]


def test_without_a_session_pages_redirect_to_sign_in_and_the_api_answers_401(h, application_id):
    for path in PAGES:
        r = h.client.get(path.format(id=application_id))
        assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login?next="), path
    for path in API:
        r = h.client.get(path.format(id=application_id))
        assert r.status_code == 401 and r.is_json, path
    for path in API_WRITES:
        r = h.client.post(path.format(id=application_id), json={"city": "Pärnu", "reason": "x"})
        assert r.status_code == 401, path
    assert h.payloads("enrolment.application.accepted") == []


def test_a_trainer_is_refused_the_coordinator_pages_and_api(h, application_id):
    h.login("trainer:Pärnu")
    for path in PAGES:
        assert h.client.get(path.format(id=application_id)).status_code == 403, path
    for path in API:
        assert h.client.get(path.format(id=application_id)).status_code == 403, path
    for path in API_WRITES:
        r = h.client.post(path.format(id=application_id), json={"city": "Pärnu", "reason": "x"})
        assert r.status_code == 403, path
    # The staff start page shows a trainer the schedule, nothing more.
    page = h.client.get("/")
    assert page.status_code == 200 and "17.04.2019" in page.get_data(as_text=True)
    assert "Rühmad linnade kaupa" not in page.get_data(as_text=True)


def test_the_public_routes_need_no_session(h, application_id):
    assert h.client.get("/apply").status_code == 200
    assert h.client.get("/api/edition").status_code == 200
    assert submit(h, 2).status_code == 201
