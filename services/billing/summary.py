"""Billing's figures for the dashboard (shared/summary.py): what waits for the coordinator and finance."""
from __future__ import annotations

from services.billing.domain.money import format_money_et
from shared.summary import Figure


def figures(kit, user) -> list[Figure]:
    from services.billing.service_layer import queries
    from services.billing.service_layer.common import config
    result: list[Figure] = []
    if user.has("coordinator"):
        to_decide = len(queries.list_claims(kit, "proposed"))
        attention = len(queries.claims_needing_attention(kit))
        result.append(Figure("billing.claims_to_decide", "Otsustamata nõudeid", "Claims to decide", to_decide,
                             "/billing/claims?status=proposed", "warn" if to_decide else "ok", "billing"))
        if attention:
            result.append(Figure("billing.claims_attention", "Nõudeid üle vaadata", "Claims to review", attention,
                                 "/billing/", "bad", "billing"))
    if user.has("finance") or user.has("coordinator"):
        summary = queries.invoice_summary(kit)
        to_invoice = len(queries.list_claims(kit, "approved"))
        # VAT Act § 37: undecided or approved claims whose invoice is late already.
        late, days = len(queries.list_claims(kit, queries.ISSUE_OVERDUE)), config(kit).issue_days
        overdue = summary["overdue"]
        result += [
            Figure("billing.claims_to_invoice", "Arve esitamata nõudeid", "Claims to invoice", to_invoice,
                   "/billing/claims?status=approved", "warn" if to_invoice else "ok", "billing"),
            Figure("billing.claims_past_issue_date", f"Nõudeid üle {days}-päevase väljastamistähtaja",
                   f"Claims past the {days}-day issue date", late,
                   f"/billing/claims?status={queries.ISSUE_OVERDUE}", "bad" if late else "ok", "billing"),
            Figure("billing.invoices_outstanding", "Tasumata arveid", "Outstanding invoices",
                   summary["outstanding"]["count"], "/billing/invoices?status=outstanding", "neutral", "billing"),
            Figure("billing.outstanding_amount", "Tasumata summa", "Amount outstanding",
                   format_money_et(summary["outstanding"]["outstanding"]), "/billing/invoices?status=outstanding",
                   "neutral", "billing"),
            Figure("billing.invoices_overdue", "Tähtaja ületanud arveid", "Overdue invoices", overdue["count"],
                   "/billing/invoices?status=overdue", "bad" if overdue["count"] else "ok", "billing"),
        ]
        # Money an employer is owed back (a credited invoice that had been paid, an overpayment).
        refunds = len(queries.refunds_due(kit))
        result.append(Figure("billing.refunds_due", "Tagastamata raha", "Refunds due", refunds,
                             "/billing/statements#refunds", "warn" if refunds else "ok", "billing"))
    return result
