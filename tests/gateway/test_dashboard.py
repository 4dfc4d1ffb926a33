"""The dashboard at / composes every service's summary for the signed-in user."""
from __future__ import annotations

from werkzeug.test import Client

from gateway import dashboard
from gateway.embedded import build
from shared import auth
from tests.gateway.helpers import staff_cookie


def test_a_coordinator_sees_every_service_with_links(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    app, kits, db = build(demo=False)
    client = Client(app)
    client.set_cookie(auth.SESSION_COOKIE, staff_cookie(app.app, db, "coordinator"), path="/")
    html = client.get("/").get_data(as_text=True)
    for service in ("enrolment", "attendance", "billing", "notify", "reporting"):
        assert f'href="/{service}/dead-letters"' in html, service
    assert 'href="/billing/claims?status=issue_overdue"' in html  # VAT Act § 37 late claims, rendered generically
    assert "Teenus ei vasta" not in html
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Dashboard" in english and "Dead letters" in english


def test_a_service_that_does_not_answer_is_shown_as_unavailable():
    class Failing:
        def fetch(self, service, cookie):
            if service == "billing":
                raise ConnectionError("down")
            return {"figures": []}
    result = {s.service: s for s in dashboard.collect(Failing(), "")}
    assert not result["billing"].available and result["enrolment"].available


def test_signed_out_visitors_get_the_public_page(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    app, _, _ = build(demo=False)
    html = Client(app).get("/").get_data(as_text=True)
    assert "/enrolment/apply" in html and "Töötlemata" not in html
    assert "/enrolment/counselling" in html and "Nõustamisprogramm" in html  # the form says when it opens


def test_each_groups_fill_against_capacity_is_on_the_dashboard(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    app, _, db = build(demo=True)  # the 2019 edition: four groups of 7
    client = Client(app)
    client.set_cookie(auth.SESSION_COOKIE, staff_cookie(app.app, db, "coordinator"), path="/")
    html = client.get("/?lang=en").get_data(as_text=True)
    for city in ("Pärnu", "Tartu", "Rakvere", "Tallinn"):
        assert f"{city}: teams (waiting)" in html
    assert html.count("0/7 (0)") == 4


def test_a_city_coordinators_dashboard_shows_their_citys_enrolment_and_esf_figures(tmp_path, monkeypatch):
    """coordinator:Tartu: enrolment's and reporting's figures are there, Tartu's only, with
    links into Tartu's lists (the counts themselves: tests/enrolment/test_access.py and
    tests/reporting/test_completeness.py); the whole edition's figures are not."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    app, _, db = build(demo=True)  # the 2019 edition: Pärnu, Tartu, Rakvere, Tallinn
    client = Client(app)
    client.set_cookie(auth.SESSION_COOKIE, staff_cookie(app.app, db, "coordinator:Tartu", email="tiia@example.ee",
                                                        name="Tiia"), path="/")
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "Tartu: teams (waiting)" in html and "Tartu: applications to decide" in html
    for city in ("Pärnu", "Rakvere", "Tallinn"):
        assert f"{city}: teams (waiting)" not in html, city
    assert 'href="/enrolment/applications?status=submitted&amp;city=Tartu"' in html
    assert 'href="/enrolment/groups/2019-tartu"' in html
    assert "ESF data missing" in html and "ESF data overdue" in html
    assert "Editions due for anonymisation" not in html and "Dead letters" not in html
    assert "The service is not answering" not in html
