"""Issue 5, point 2: one unbroken sequence per series — no gaps, no duplicates, also under concurrency."""
from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from gateway.accounts import parse_grants
from services.billing.domain.reference import is_valid_reference
from services.billing.service_layer import invoices as invoice_use_cases
from shared import auth
from shared.testing.harness import session_cookie
from tests.billing.helpers import approved_claim, billing_harness, set_day

CLAIMS = 20


def finance_client(h):
    client = h.app.test_client()
    user = auth.StaffUser("u-finance", "Finance", "finance@example.ee", parse_grants(["finance"]))
    client.set_cookie(auth.SESSION_COOKIE, session_cookie(h.app, user), path="/")
    return client


def test_invoices_issued_at_the_same_moment_get_numbers_1_to_n_without_gaps_or_duplicates(rabbitmq_stack,
                                                                                          monkeypatch):
    """On PostgreSQL: ten threads issue invoices for 20 claims, each claim asked for twice."""
    set_day(2019, 5, 10)
    h = billing_harness(rabbitmq_stack)
    try:
        assert h.kit.db.dialect == "postgresql"
        claim_ids = [approved_claim(h, f"p-{n}", application=f"a-{n}", days_held=1 + n % 3) for n in range(CLAIMS)]
        original = invoice_use_cases.next_number

        def slow_next_number(session, counter):
            value = original(session, counter)
            time.sleep(0.01)  # hold the number a while inside the transaction: races get their chance
            return value

        monkeypatch.setattr(invoice_use_cases, "next_number", slow_next_number)
        jobs = claim_ids * 2
        random.Random(5).shuffle(jobs)
        start = threading.Barrier(10)
        local = threading.local()

        def issue(claim_id):
            if not hasattr(local, "client"):
                local.client = finance_client(h)
                start.wait()
            response = local.client.post("/api/invoices", json={"claim_id": claim_id})
            return response.status_code, response.get_json()

        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(issue, jobs))

        created = [body for status, body in results if status == 201]
        assert sorted(status for status, _ in results) == [201] * CLAIMS + [409] * CLAIMS
        assert sorted(body["seq"] for body in created) == list(range(1, CLAIMS + 1))
        assert sorted(body["number"] for body in created) == [f"PO-{n:05d}" for n in range(1, CLAIMS + 1)]
        assert len({body["claim_id"] for body in created}) == CLAIMS
        references = [body["reference_number"] for body in created]
        assert len(set(references)) == CLAIMS and all(is_valid_reference(r) for r in references)
        events = h.payloads("billing.invoice.issued")
        assert sorted(e["invoice_number"] for e in events) == sorted(body["number"] for body in created)
    finally:
        h.close()


def test_an_issue_that_fails_gives_its_number_back(billing, monkeypatch):
    h = billing
    first = approved_claim(h, "p-1")
    second = approved_claim(h, "p-2", application="a-2")
    assert h.client.post("/api/invoices", json={"claim_id": first}).get_json()["number"] == "PO-00001"

    def broken(*_args, **_kwargs):
        raise RuntimeError("the process died after taking a number")

    monkeypatch.setattr(invoice_use_cases, "pdf_url", broken)
    h.app.config["PROPAGATE_EXCEPTIONS"] = False
    assert h.client.post("/api/invoices", json={"claim_id": second}).status_code == 500
    monkeypatch.undo()
    assert h.client.get(f"/api/claims/{second}").get_json()["status"] == "approved"
    assert h.client.post("/api/invoices", json={"claim_id": second}).get_json()["number"] == "PO-00002"
    assert len(h.payloads("billing.invoice.issued")) == 2


def test_credit_notes_have_their_own_series(billing):
    h = billing
    set_day(2019, 5, 10)
    numbers = []
    for n in range(3):
        claim_id = approved_claim(h, f"p-{n}", application=f"a-{n}")
        numbers.append(h.client.post("/api/invoices", json={"claim_id": claim_id}).get_json())
    notes = [h.client.post(f"/api/invoices/{i['invoice_id']}/credit-note", json={"reason": "test"}).get_json()
             ["credit_note"]["number"] for i in numbers[1:]]
    assert [i["number"] for i in numbers] == ["PO-00001", "PO-00002", "PO-00003"]
    assert notes == ["KR-00001", "KR-00002"]
