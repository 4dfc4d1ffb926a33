"""Small helpers the use cases share."""
from __future__ import annotations

from datetime import date

from services.billing.adapters.models import Employer, Invoice
from services.billing.config import BillingConfig
from shared import clock
from shared.kit import ServiceKit

# The states as the Estonian pages name them, for the Estonian text of a refusal.
CLAIM_STATUS_ET = {"proposed": "ootab otsust", "approved": "kinnitatud", "waived": "loobutud",
                   "withdrawn": "tagasi võetud", "invoiced": "arve esitatud"}
INVOICE_STATUS_ET = {"issued": "tasumata", "paid": "tasutud", "credited": "krediteeritud"}


def config(kit: ServiceKit) -> BillingConfig:
    return BillingConfig.from_settings(kit.settings)


def today() -> date:
    """The calendar day in Tallinn: due dates and issue dates are Estonian days."""
    return clock.local(clock.now()).date()


def employer_payload(employer: Employer) -> dict:
    return {"organisation_id": employer.organisation_id, "name": employer.name,
            "registry_code": employer.registry_code, "kind": employer.kind,
            "billing_email": employer.billing_email, "address": employer.address or ""}


def buyer_payload(invoice: Invoice) -> dict:
    """The employer as printed on the invoice (not as the projection says today)."""
    return {"organisation_id": invoice.employer_id, "name": invoice.buyer_name,
            "registry_code": invoice.buyer_registry_code, "kind": invoice.buyer_kind,
            "billing_email": invoice.buyer_email, "address": invoice.buyer_address or ""}
