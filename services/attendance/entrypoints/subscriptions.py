"""Event type → handler; these are also the routing keys attendance.events is bound to."""
from __future__ import annotations

from services.attendance.service_layer import outcomes, projections

HANDLERS: dict = {
    "enrolment.edition.published": projections.on_edition_published,
    "enrolment.application.accepted": projections.on_application_accepted,
    "enrolment.member.substituted": projections.on_member_substituted,
    "enrolment.member.withdrawn": projections.on_member_withdrawn,
    "enrolment.application.withdrawn": projections.on_application_withdrawn,
}
# Periodic jobs run by the worker's tick (idempotent, catching up after downtime).
TICKS: list = [outcomes.close_make_up_windows]
