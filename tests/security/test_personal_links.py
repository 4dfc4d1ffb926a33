"""Personal links (shared/links.py) for every purpose: a good link works; a tampered, forged,
expired, foreign or garbage one gets a clear 4xx page — never a 5xx — and changes nothing;
and a replayed link (the same confirmation, check-in, ESF answers or download twice) changes
nothing the second time.

Each purpose in ``links.PURPOSE_SERVICE`` gets a real subject in its own service, built the
way the service tests build it (events in, or the public API).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from shared import clock, links

MAX_AGE_DAYS = 60  # Settings.personal_link_max_age


@dataclass
class Subject:
    h: object          # the service's harness
    subject: str       # what the link names (a participant or an invoice)
    form: dict | None  # what the page posts (None: the link is GET only)
    csrf: str = ""     # this browser's form token, from the good link's page

    def token(self, purpose: str, **kw) -> str:
        return links.make_token(kw.get("secret", self.h.settings.secret_key), purpose, kw.get("subject", self.subject))


def _enrolment(stack) -> Subject:
    from services.enrolment.data import EDITION_2019
    from services.enrolment.service_layer.editions import load_edition_file
    from tests.enrolment.helpers import BEFORE_DEADLINE, submit, submitted
    clock.set_now(BEFORE_DEADLINE)
    h = stack.harness("enrolment")
    load_edition_file(h.kit, EDITION_2019)
    application_id = submit(h).get_json()["application_id"]
    member = submitted(h, application_id)["members"][0]
    return Subject(h, member["participant_id"], form={})


def _attendance(stack) -> Subject:
    from tests.attendance.builders import at, setup_2019
    h = stack.harness("attendance")
    setup_2019(h)
    h.set_now(at("11.04", 10, 20))  # Tartu, day I, in progress
    return Subject(h, "tartu-1", form=None)


def _reporting(stack) -> Subject:
    from tests.reporting.builders import BEFORE_START, accept, answers, member, organisation, publish_edition
    h = stack.harness("reporting")
    publish_edition(h)
    accept(h, "app-1", "Tallinn", [member("P1", "Mari", "Maasikas", "L1")], [organisation("L1")])
    clock.set_now(BEFORE_START)
    return Subject(h, "P1", form=answers())


def _billing(stack) -> Subject:
    from tests.billing.helpers import issued_invoice, set_day
    set_day(2019, 5, 10)
    h = stack.harness("billing")
    invoice = issued_invoice(h)
    h.logout()  # the employer has no staff session
    return Subject(h, invoice["invoice_id"], form=None)


SETUP = {"enrolment": _enrolment, "attendance": _attendance, "reporting": _reporting, "billing": _billing}
PURPOSES = sorted(links.PURPOSE_SERVICE)


@pytest.fixture(params=PURPOSES)
def purpose(request):
    return request.param


@pytest.fixture
def linked(purpose, embedded_stack):
    subject = SETUP[links.PURPOSE_SERVICE[purpose]](embedded_stack)
    if subject.form is not None or purpose == "checkin":
        subject.csrf = csrf_for(subject.h, f"/p/{subject.token(purpose)}")
    yield subject
    subject.h.close()


def csrf_for(h, path: str) -> str:
    html = h.client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no form on {path}"
    return match.group(1)


def old_token(linked: Subject, purpose: str, days: int) -> str:
    """A link made ``days`` ago (links are stamped with, and aged on, the system clock)."""
    now = clock.now()
    clock.set_now(now - timedelta(days=days))
    try:
        return linked.token(purpose)
    finally:
        clock.set_now(now)


def bad_tokens(linked: Subject, purpose: str) -> dict[str, str]:
    good = linked.token(purpose)
    payload, stamp, signature = good.split(".")
    other_purpose = next(p for p in PURPOSES if p != purpose)
    flipped = signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")
    return {
        "signature altered": f"{payload}.{stamp}.{flipped}",
        # Someone else's id with this link's signature: the signature covers the payload.
        "subject swapped": f"{linked.token(purpose, subject='someone-else').split('.')[0]}.{stamp}.{signature}",
        "cut short": good[: len(good) // 2],
        "another purpose's link": linked.token(other_purpose),
        "signed with another key": linked.token(purpose, secret="not-the-real-secret-key-at-all"),
        "garbage": "x" * 600,
        "non-ascii": "ä%C3%B5.ö",
        "no such subject": linked.token(purpose, subject="nobody-at-all"),
    }


def visit(linked: Subject, token: str, method: str = "GET", lang: str = "en"):
    path = f"/p/{token}?lang={lang}"
    h = linked.h
    if method == "POST":
        return h.client.post(path, data={**(linked.form or {}), "csrf_token": linked.csrf})
    return h.client.get(path)


def methods(linked: Subject) -> tuple[str, ...]:
    return ("GET", "POST") if linked.form is not None else ("GET",)


def test_a_good_link_opens_its_page_which_no_cache_keeps(linked, purpose):
    response = visit(linked, linked.token(purpose))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "no-store" in response.headers["Cache-Control"]
    # The token is in the URL: it must not leak to another site as a Referer.
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_a_link_just_inside_its_lifetime_still_opens(linked, purpose):
    """The control for the expiry test: age alone, past the configured maximum, refuses a link."""
    assert linked.h.settings.personal_link_max_age == MAX_AGE_DAYS * 24 * 3600
    response = visit(linked, old_token(linked, purpose, MAX_AGE_DAYS - 1))
    assert response.status_code == 200


def test_an_expired_link_gets_a_clear_410_page_and_changes_nothing(linked, purpose):
    expired = old_token(linked, purpose, MAX_AGE_DAYS + 1)
    before = linked.h.published()
    for method in methods(linked):
        response = visit(linked, expired, method)
        text = response.get_data(as_text=True)
        assert response.status_code == 410, f"{method}: {response.status_code}"
        assert "link has expired" in text.lower(), f"{method}: {text[:300]}"
    assert linked.h.published() == before


def test_a_tampered_or_foreign_link_gets_a_clear_4xx_page_and_changes_nothing(linked, purpose):
    before = linked.h.published()
    for kind, token in bad_tokens(linked, purpose).items():
        for method in methods(linked):
            response = visit(linked, token, method)
            text = response.get_data(as_text=True)
            assert 400 <= response.status_code < 500, f"{kind}, {method}: {response.status_code}"
            assert response.mimetype == "text/html", f"{kind}, {method}: a page, not a download"
            if kind != "no such subject":
                assert "link is not valid" in text.lower(), f"{kind}, {method}: {text[:300]}"
    assert linked.h.published() == before


def test_the_same_link_used_again_changes_nothing_the_second_time(linked, purpose):
    h, token = linked.h, linked.token(purpose)
    if purpose == "confirm":
        first = visit(linked, token, "POST")
        assert first.status_code == 200
        events = h.published()
        again = visit(linked, token, "POST")
        assert again.status_code == 200 and "confirmed" in again.get_data(as_text=True).lower()
        assert h.client.post(f"/api/confirmations/{token}", json={}).status_code == 200
        assert h.published() == events
        assert len(h.payloads("enrolment.member.confirmed")) == 1
    elif purpose == "esf":
        assert visit(linked, token, "POST").status_code == 303
        events, record = h.published(), _esf_answers(h, linked.subject)
        assert visit(linked, token, "POST").status_code == 303
        assert h.published() == events and _esf_answers(h, linked.subject) == record
        assert len(h.payloads("reporting.esf_data.completed")) == 1
    elif purpose == "checkin":
        from services.attendance.domain.checkin import checkin_code
        from services.attendance.service_layer.common import checkin_secret
        assert visit(linked, token).status_code == 200  # the phone now knows the participant
        code = checkin_code(checkin_secret(h.settings.secret_key), "2019-tartu-1", clock.now())
        checked_in = h.client.post("/checkin", data={"code": code, "csrf_token": linked.csrf})
        assert checked_in.status_code == 200, checked_in.get_data(as_text=True)[:500]
        events = h.published()
        assert visit(linked, token).status_code == 200
        again = h.client.post("/checkin", data={"code": code, "csrf_token": linked.csrf})
        assert again.status_code == 200
        assert h.published() == events
        assert len(h.payloads("attendance.attendance.recorded")) == 1
    else:  # invoice: a download, the same document every time
        events = h.published()
        first, again = visit(linked, token), visit(linked, token)
        assert first.status_code == again.status_code == 200 and first.mimetype == "application/pdf"
        assert first.data == again.data
        assert "no-store" in first.headers["Cache-Control"]
        assert h.published() == events


def _esf_answers(h, participant_id: str) -> dict:
    from sqlalchemy import select

    from services.reporting.adapters.models import EsfRecord
    with h.kit.db.transaction() as db:
        record = db.scalar(select(EsfRecord).where(EsfRecord.participant_id == participant_id))
        return {c.name: getattr(record, c.name) for c in EsfRecord.__table__.columns
                if c.name not in ("submissions", "updated_at", "submitted_at")}
