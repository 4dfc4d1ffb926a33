"""Building blocks for billing's service tests: events in, HTTP calls, PDF text."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from io import BytesIO

from pypdf import PdfReader

from shared import clock

TALLINN = clock.TALLINN
EMPLOYER = {
    "organisation_id": "org-parnu",
    "name": "Pärnu Linnavalitsus",
    "registry_code": "75024260",
    "kind": "local_government",
    "billing_email": "arved@parnu.ee",
    "address": "Suur-Sepa 16, 80098 Pärnu",
}
NGO = {
    "organisation_id": "org-mtu",
    "name": "MTÜ Õnne Tee",
    "registry_code": "80000008",
    "kind": "ngo",
    "billing_email": "raamatupidamine@onnetee.ee",
    "address": "Rüütli 1, 51007 Tartu",
}
# Real-looking seller details: on PostgreSQL + RabbitMQ (production shape) billing refuses to
# issue invoices with the placeholder defaults.
SELLER = {"seller_name": "MTÜ Arenguprogrammi Korraldaja", "seller_registry_code": "80312345",
          "seller_vat_number": "EE102345678"}


def billing_harness(stack, **extra):
    """The billing service on ``stack`` with a configured seller (and any other BILLING_* setting)."""
    return stack.harness("billing", extra={**SELLER, **extra})


# Pärnu's day II was 30.04.2019: a participant who then missed day II past its make-up
# window drops out on 2 May (after Tartu's day II), with two days held.
DROPOUT_2019 = datetime(2019, 5, 2, 17, 0, tzinfo=TALLINN)


def dropout(participant: str = "p-1", application: str = "a-1", *, days_held: int = 2, days_attended: int = 1,
            employer: dict | None = None, at: datetime = DROPOUT_2019, reason: str = "absence") -> dict:
    return {
        "participant_id": participant, "application_id": application, "group_id": "g-parnu",
        "reason": reason, "days_attended": days_attended, "days_held": days_held,
        "employer": employer or EMPLOYER, "first_name": "Mari", "last_name": "Maasikas",
        "dropped_out_at": at,
    }


def deliver_at(h, event_type: str, payload: dict, occurred_at: datetime):
    """Deliver an event as if attendance had published it at ``occurred_at``."""
    envelope = dataclasses.replace(h.envelope(event_type, payload), occurred_at=occurred_at.astimezone(UTC))
    return h.deliver(envelope=envelope)


def propose(h, participant: str = "p-1", **kw) -> str:
    """Deliver a dropout (published when it happened) and return the id of the claim it proposed."""
    payload = dropout(participant, **kw)
    deliver_at(h, "attendance.participant.dropped_out", payload, payload["dropped_out_at"])
    proposed = h.payloads("billing.claim.proposed")
    assert proposed, "no claim proposed"
    return proposed[-1]["claim_id"]


def approved_claim(h, participant: str = "p-1", amount: str | None = None, **kw) -> str:
    claim_id = propose(h, participant, **kw)
    h.login("coordinator", "finance")
    body = {} if amount is None else {"amount": amount}
    response = h.client.post(f"/api/claims/{claim_id}/approve", json=body)
    assert response.status_code == 200, response.get_json()
    return claim_id


def issued_invoice(h, participant: str = "p-1", **kw) -> dict:
    claim_id = approved_claim(h, participant, **kw)
    response = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def set_day(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """Move the clock to a time of day in Tallinn."""
    moment = datetime(year, month, day, hour, tzinfo=TALLINN)
    clock.set_now(moment)
    return moment


def later(days: int) -> datetime:
    return clock.advance(timedelta(days=days))
