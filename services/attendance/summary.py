"""Attendance's figures for the dashboard (shared/summary.py), scoped to the user's cities."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from services.attendance.adapters.models import Group
from shared import clock
from shared.summary import Figure

HONOURS_CITY_SCOPE = True  # every figure below is limited to the user's cities


def figures(kit, user) -> list[Figure]:
    from services.attendance.service_layer import queries
    if not (user.has("coordinator") or user.has("trainer")):
        return []
    cities = user.cities_for("coordinator", "trainer")
    now = clock.now()
    today = clock.local(now).date()
    with kit.db.read_sessions() as db:
        sessions_today = [s for s in queries.sessions(db, cities) if clock.local(s.starts_at).date() == today]
        at_risk = queries.at_risk(db, cities, now)
        groups = queries.in_cities(select(Group).where(Group.active.is_(True)), Group.city, cities)
        per_group = [(g, Counter(r.outcome for r in queries.group_rows(db, g.group_id, now)))
                     for g in db.scalars(groups.order_by(Group.city))]
    # Each group's state at a glance: completed / dropped out / at risk of all its participants.
    group_figures = [
        Figure(f"attendance.group.{g.group_id}", f"{g.city}: lõpetanud / katkestanud / riskis",
               f"{g.city}: completed / dropped out / at risk",
               f"{c['completed']} / {c['dropped_out']} / {c['at_risk']} ({sum(c.values())})",
               f"/attendance/groups/{g.group_id}", "warn" if c["at_risk"] else "neutral", "attendance")
        for g, c in per_group]
    return group_figures + [
        Figure("attendance.sessions_today", "Koolituspäevi täna", "Sessions today", len(sessions_today),
               "/attendance/", "neutral", "attendance"),
        Figure("attendance.at_risk", "Riskis osalejaid", "Participants at risk", len(at_risk),
               "/attendance/at-risk", "warn" if at_risk else "ok", "attendance"),
    ]
