"""Event type → handler; these are also the routing keys enrolment.events is bound to."""
from __future__ import annotations

from services.enrolment.service_layer import make_up_rules

HANDLERS: dict = {
    # Each edition's make-up rule (attendance's), stated in the conditions a member confirms.
    "attendance.make_up_rule.changed": make_up_rules.on_make_up_rule_changed,
}
# Periodic jobs run by the worker's tick (idempotent, catching up after downtime).
TICKS: list = []
