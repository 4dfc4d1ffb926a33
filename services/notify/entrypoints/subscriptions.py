"""Event type → handler; these are also the routing keys notify.events is bound to.

Handlers take ``(uow, event, config)``: the sender, signature, links and lead times come
from notify's settings, which ``bind`` supplies when the app is bootstrapped.
"""
from __future__ import annotations

import functools

from services.notify.config import NotifyConfig
from services.notify.service_layer import delivery, notifications, reminders

HANDLERS: dict = {
    "enrolment.edition.published": notifications.on_edition_published,
    "enrolment.application.submitted": notifications.on_application_submitted,
    "enrolment.member.confirmed": notifications.on_member_confirmed,
    "enrolment.application.accepted": notifications.on_application_accepted,
    "enrolment.application.waitlisted": notifications.on_application_waitlisted,
    "enrolment.application.rejected": notifications.on_application_rejected,
    "enrolment.member.substituted": notifications.on_member_substituted,
    "enrolment.member.withdrawn": notifications.on_member_withdrawn,
    # The coordinator's "send again": the request with a freshly signed link, once per click.
    "enrolment.member.confirmation_requested_again": notifications.on_confirmation_requested_again,
    "enrolment.application.withdrawn": notifications.on_application_withdrawn,
    # The counselling programme after the last workshop: the receipt, then the decision.
    "enrolment.counselling.applied": notifications.on_counselling_applied,
    "enrolment.counselling.decided": notifications.on_counselling_decided,
    # Who was present at a day: one who then left the team is still reminded of the ESF data.
    "attendance.attendance.recorded": notifications.on_attendance_recorded,
    "attendance.participant.absent": notifications.on_participant_absent,
    "attendance.participant.dropped_out": notifications.on_participant_dropped_out,
    "attendance.participant.reinstated": notifications.on_participant_reinstated,
    "attendance.participant.completed": notifications.on_participant_completed,
    # Guests booked into another group's session: its reminder goes to them too.
    "attendance.make_up.booked": notifications.on_make_up_booked,
    "attendance.make_up.cancelled": notifications.on_make_up_cancelled,
    # The edition's make-up rule, stated in the conditions, the absence and dropout notices, the reminders.
    "attendance.make_up_rule.changed": notifications.on_make_up_rule_changed,
    "billing.invoice.issued": notifications.on_invoice_issued,
    "billing.invoice.overdue": notifications.on_invoice_overdue,
    "billing.invoice.paid": notifications.on_invoice_paid,
    "billing.invoice.credited": notifications.on_invoice_credited,
    # Finance's "send the invoice again": the invoice e-mail with a freshly signed link, once per click.
    "billing.invoice.email_requested_again": notifications.on_invoice_email_requested_again,
    # The cap billing applied to a dropout's claim, quoted in the dropout notice.
    "billing.claim.proposed": notifications.on_claim_terms,
    "billing.claim.waived": notifications.on_claim_terms,
    "reporting.esf_data.completed": notifications.on_esf_data_completed,
    "reporting.esf_data.requested": notifications.on_esf_data_requested,
    "reporting.esf_data.requested_again": notifications.on_esf_data_requested_again,
}
# Periodic jobs run by the worker's tick (idempotent, catching up after downtime). The tick
# runs every few seconds (NOTIFY_TICK_SECONDS), so an e-mail leaves soon after its event;
# reminders first, so one created now goes out in the same tick.
TICKS: list = [reminders.send_due_reminders, delivery.deliver_due]


def bind(config: NotifyConfig) -> dict:
    """The handlers as the consumer calls them: ``handler(uow, event)``."""
    return {event_type: functools.update_wrapper(functools.partial(handler, config=config), handler)
            for event_type, handler in HANDLERS.items()}
