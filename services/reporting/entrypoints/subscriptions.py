"""Event type → handler; these are also the routing keys reporting.events is bound to."""
from __future__ import annotations

from services.reporting.service_layer import projection

HANDLERS: dict = {
    "enrolment.edition.published": projection.on_edition_published,
    "enrolment.application.accepted": projection.on_application_accepted,
    "enrolment.member.substituted": projection.on_member_substituted,
    "enrolment.member.withdrawn": projection.on_member_withdrawn,
    "attendance.attendance.recorded": projection.on_attendance_recorded,
    "attendance.participant.completed": projection.on_completed,
    "attendance.participant.dropped_out": projection.on_dropped_out,
    # Not in the brief's list, but a correction that undoes a dropout must undo its exit too.
    "attendance.participant.reinstated": projection.on_reinstated,
    # A correction that undoes a completion: the participant no longer counts as completed.
    "attendance.participant.completion_revoked": projection.on_completion_revoked,
}
# Periodic jobs run by the worker's tick (idempotent, catching up after downtime). Anonymisation
# is deliberately not one: it is irreversible, so a coordinator starts it (editions.anonymise_due).
TICKS: list = []
