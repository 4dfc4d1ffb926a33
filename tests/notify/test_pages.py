"""Coordinator pages and the JSON API: the outbox, one e-mail, resend, template previews."""
from __future__ import annotations

import pytest

from services.notify.domain.rendering import TEMPLATES
from tests.notify import data
from tests.notify.data import at


@pytest.fixture
def outbox(notify, smtp):
    """One sent e-mail and one failed one."""
    at(2019, 3, 5, 12, 0)
    h = notify()
    h.deliver("enrolment.application.rejected", {"application_id": "app-x", "reason": "Liiga hilja.",
                                                 "team_name": "Meeskond <x>", "contact_email": "kontakt@x.ee"})
    h.deliver("enrolment.application.waitlisted", {"application_id": "app-y", "city": "Tartu", "position": 1,
                                                   "team_name": "Meeskond y", "contact_email": "kontakt@y.ee"})
    smtp.refuse_next("554 5.7.1 Rejected by policy")
    h.tick()
    return h


def test_pages_are_for_coordinators_only(outbox):
    h = outbox
    for path in ("/", "/templates", "/templates/completion"):
        response = h.client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = h.client.get("/api/emails")
    assert response.status_code == 401 and response.get_json()["code"] == 401
    h.login("trainer:Tartu")
    assert h.client.get("/").status_code == 403
    assert h.client.get("/api/emails").status_code == 403
    assert h.client.get("/api/emails?status=bogus").status_code == 403  # the guard comes first
    h.login("finance")
    assert h.client.get("/templates").status_code == 403


def test_the_outbox_lists_every_email_with_status_attempts_and_error(outbox):
    h = outbox
    h.login("coordinator")
    page = h.client.get("/").get_data(as_text=True)
    assert "kontakt@x.ee" in page and "kontakt@y.ee" in page
    assert "554 5.7.1 Rejected by policy" in page
    assert page.count('name="csrf_token"') >= 1 and "Saada uuesti" in page  # resend only for the failed one
    assert page.count("/resend") == 1
    assert "Meeskond &lt;x&gt;" in page and "Meeskond <x>" not in page

    failed_only = h.client.get("/?status=failed").get_data(as_text=True)
    assert "kontakt@x.ee" in failed_only and "kontakt@y.ee" not in failed_only
    assert h.client.get("/?status=bogus").status_code == 404


def test_an_email_page_shows_the_text_and_a_sandboxed_html_preview(outbox):
    h = outbox
    h.login("coordinator")
    email, = h.client.get("/api/emails?template=application_waitlisted").get_json()
    page = h.client.get(f"/emails/{email['id']}?lang=en").get_data(as_text=True)
    assert "Meeskond y" in page and "Tartu" in page
    assert '<iframe title="HTML" sandbox=""' in page and "srcdoc=" in page
    assert "&lt;!DOCTYPE html&gt;" in page  # the HTML part is escaped into the attribute
    assert h.client.get("/emails/nope").status_code == 404


def test_template_previews_render_every_template_in_estonian_and_english(outbox):
    h = outbox
    h.login("coordinator")
    index = h.client.get("/templates").get_data(as_text=True)
    for name in TEMPLATES:
        assert f"/templates/{name}" in index
        page = h.client.get(f"/templates/{name}")
        assert page.status_code == 200, name
        html = page.get_data(as_text=True)
        assert 'lang="et"' in html and 'lang="en"' in html
    page = h.client.get("/templates/session_reminder").get_data(as_text=True)
    assert "Meeldetuletus: II koolituspäev 30.04.2019 kell 10:00, Pärnu" in page
    assert "Reminder: workshop day 2 on 30 April 2019 at 10:00 in Pärnu" in page
    assert h.client.get("/templates/welcome").status_code == 404
    preview = h.client.get("/api/templates/invoice_issued/en").get_json()
    assert preview["subject"] == "Invoice 2019-0001: reimbursement of development programme training costs"
    assert "€512.00" in preview["text"]


def test_the_api_lists_filters_shows_and_resends(outbox, smtp):
    h = outbox
    h.login("coordinator")
    everything = h.client.get("/api/emails").get_json()
    assert {(e["recipient"], e["status"], e["attempts"]) for e in everything} == {
        ("kontakt@x.ee", "failed", 1), ("kontakt@y.ee", "sent", 1)}
    failed, = h.client.get("/api/emails?status=failed").get_json()
    assert failed["template"] == "application_rejected" and "554" in failed["last_error"]
    assert "text" not in failed

    detail = h.client.get(f"/api/emails/{failed['id']}").get_json()
    assert "Liiga hilja." in detail["text"] and detail["html"].startswith("<!DOCTYPE html>")

    bad = h.client.get("/api/emails?status=bogus&limit=0")
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["query"]) == {"status", "limit"}
    missing = h.client.get("/api/emails/nope")
    assert missing.status_code == 404 and missing.get_json()["message"] == "No such e-mail."
    assert h.client.post("/api/emails/nope/resend", json={}).status_code == 404

    sent, = h.client.get("/api/emails?status=sent").get_json()
    conflict = h.client.post(f"/api/emails/{sent['id']}/resend", json={})
    assert conflict.status_code == 409 and "only a failed" in conflict.get_json()["message"]

    resent = h.client.post(f"/api/emails/{failed['id']}/resend", json={})
    assert resent.status_code == 202
    assert resent.get_json()["status"] == "queued" and resent.get_json()["resends"] == 1
    h.tick()
    assert smtp.to("kontakt@x.ee")
    assert h.client.get(f"/api/emails/{failed['id']}").get_json()["status"] == "sent"
    assert len(h.client.get("/api/emails").get_json()) == 2

    openapi = h.client.get("/openapi.json").get_json()
    assert {"/api/emails", "/api/emails/{email_id}", "/api/emails/{email_id}/resend"} <= set(openapi["paths"])


def test_the_outbox_shows_waiting_emails_and_why(notify):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.tick()
    h.login("coordinator")
    page = h.client.get("/?status=waiting").get_data(as_text=True)
    assert "waiting for the schedule of edition" in page
