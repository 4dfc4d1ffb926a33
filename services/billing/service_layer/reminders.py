"""The periodic reminder job: invoices due soon or overdue, one event per invoice and stage.

It looks at the calendar day now, not "the last minute", so a tick after downtime catches
up. A stage overtaken meanwhile (a "due soon" found after the due date) is recorded but not
published: the employer gets the reminder that fits today, once.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import func, select

from services.billing.adapters.models import Invoice, InvoiceReminder
from services.billing.config import BillingConfig
from services.billing.service_layer.common import buyer_payload, config, today
from services.billing.service_layer.invoices import pdf_url
from shared import clock
from shared.kit import ServiceKit

log = logging.getLogger(__name__)


def send_invoice_reminders(kit: ServiceKit) -> int:
    """Publish billing.invoice.overdue for every stage reached and not yet recorded."""
    cfg = config(kit)
    day = today()
    first_stage = cfg.reminder_stages[0]
    recorded = (select(func.count()).select_from(InvoiceReminder)
                .where(InvoiceReminder.invoice_id == Invoice.invoice_id).scalar_subquery())
    with kit.db.engine.connect() as conn:
        candidates = list(conn.execute(
            select(Invoice.invoice_id).where(
                Invoice.status == "issued",
                Invoice.due_date <= day - timedelta(days=first_stage.offset_days),
                recorded < len(cfg.reminder_stages))
            .order_by(Invoice.due_date)).scalars())
    published = 0
    for invoice_id in candidates:
        try:
            published += _remind(kit, cfg, invoice_id, day)
        except Exception:  # noqa: BLE001 - one bad invoice must not hold back the others
            log.exception("reminder failed", extra={"invoice_id": invoice_id})
    return published


def _remind(kit: ServiceKit, cfg: BillingConfig, invoice_id: str, day: date) -> int:
    with kit.unit_of_work() as uow:
        session = uow.session
        # The row lock makes concurrent ticks (two workers) queue; the primary key on
        # (invoice, stage) would stop a duplicate anyway.
        invoice = session.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
        if invoice is None or invoice.status != "issued":
            return 0
        reached = [stage for stage in cfg.reminder_stages
                   if invoice.due_date + timedelta(days=stage.offset_days) <= day]
        done = set(session.scalars(select(InvoiceReminder.stage).where(InvoiceReminder.invoice_id == invoice_id)))
        missing = [stage for stage in reached if stage.name not in done]
        if not missing:
            return 0
        latest = reached[-1]
        for stage in missing:
            session.add(InvoiceReminder(invoice_id=invoice_id, stage=stage.name, reached_on=day,
                                        published=stage is latest, recorded_at=clock.now()))
        if latest not in missing:
            return 0
        uow.publish("billing.invoice.overdue", {
            "invoice_id": invoice.invoice_id, "invoice_number": invoice.number, "stage": latest.name,
            "due_date": invoice.due_date, "amount_gross": invoice.amount_gross, "currency": invoice.currency,
            "employer": buyer_payload(invoice), "reference_number": invoice.reference_number,
            "amount_due": invoice.amount_gross - invoice.amount_paid,
            "pdf_url": pdf_url(kit, invoice.invoice_id),
            "vat_rate": invoice.vat_rate, "vat_amount": invoice.vat_amount})
        return 1
