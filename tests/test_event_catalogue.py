"""docs/EVENTS.md is generated from the registry and must not drift from the code."""
from decimal import Decimal
from pathlib import Path

import pytest

from shared.events import REGISTRY
from shared.events.catalogue import render
from shared.events.registry import InvalidPayload, validate_payload

ROOT = Path(__file__).resolve().parent.parent
# The minimum catalogue of ../shared/docs/EVENTS.md: none may be dropped or renamed.
CONTRACT = {
    "enrolment.edition.published", "enrolment.application.submitted", "enrolment.member.confirmed",
    "enrolment.application.accepted", "enrolment.application.waitlisted", "enrolment.application.rejected",
    "enrolment.member.substituted", "enrolment.member.withdrawn", "attendance.attendance.recorded",
    "attendance.participant.absent", "attendance.participant.dropped_out", "attendance.participant.completed",
    "billing.claim.proposed", "billing.claim.waived", "billing.invoice.issued", "billing.invoice.paid",
    "billing.invoice.credited", "reporting.esf_data.completed", "notify.email.sent", "notify.email.failed",
}


def test_docs_events_md_is_the_generated_catalogue():
    assert (ROOT / "docs/EVENTS.md").read_text() == render(), \
        "regenerate: python -m shared.events.catalogue > docs/EVENTS.md"


def test_every_contract_event_is_registered_and_validated():
    assert CONTRACT <= set(REGISTRY)
    for event_type in CONTRACT:
        assert REGISTRY[event_type].producer == event_type.split(".")[0]


def test_no_personal_codes_travel_on_the_bus():
    for spec in REGISTRY.values():
        for name in spec.schema().fields:
            assert name not in {"personal_code", "isikukood", "disability", "minority"}, spec.event_type


def test_the_editions_claim_policy_is_optional_and_money_when_given():
    old_style = {"edition_id": "2019", "year": 2019, "application_deadline": "2019-03-01T21:59:59+00:00",
                 "groups": [], "revision": 1}
    _, data = validate_payload("enrolment.edition.published", old_style)
    assert "claim_cap" not in data and "claim_daily_rate" not in data  # consumers fall back to their settings
    _, data = validate_payload("enrolment.edition.published",
                               {**old_style, "claim_cap": "900.00", "claim_daily_rate": "300.00"})
    assert (data["claim_cap"], data["claim_daily_rate"]) == (Decimal("900.00"), Decimal("300.00"))
    with pytest.raises(InvalidPayload):
        validate_payload("enrolment.edition.published", {**old_style, "claim_cap": "0.00"})
