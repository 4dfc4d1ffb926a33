"""Event type → handler; these are also the routing keys billing.events is bound to.

Handlers take ``(uow, event, config)``: the settings (``bind`` supplies them when the app is
bootstrapped) hold the seller, the series and the rate and cap used where an edition has none.
"""
from __future__ import annotations

import functools

from services.billing.config import BillingConfig
from services.billing.service_layer import claims, policies, reminders

HANDLERS: dict = {
    "attendance.participant.dropped_out": claims.on_dropped_out,
    "attendance.participant.reinstated": claims.on_reinstated,
    # Each edition's claim cap and daily rate, and which groups are the edition's.
    "enrolment.edition.published": policies.on_edition_published,
    # The employers' latest names and addresses, for the buyer on the invoice.
    "enrolment.application.submitted": claims.on_organisations,
    "enrolment.application.accepted": claims.on_organisations,
    "enrolment.member.substituted": claims.on_organisations,
}
# Periodic jobs run by the worker's tick (idempotent, catching up after downtime).
TICKS: list = [reminders.send_invoice_reminders]


def bind(config: BillingConfig) -> dict:
    """The handlers as the consumer calls them: ``handler(uow, event)``."""
    return {event_type: functools.update_wrapper(functools.partial(handler, config=config), handler)
            for event_type, handler in HANDLERS.items()}
