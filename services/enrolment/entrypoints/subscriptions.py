"""Event type → handler; these are also the routing keys enrolment.events is bound to."""
from __future__ import annotations

HANDLERS: dict = {}
# Periodic jobs run by the worker's tick (idempotent, catching up after downtime).
TICKS: list = []
