"""Attendance's figures for the dashboard (shared/summary.py), scoped to the user's cities."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from services.attendance.adapters.models import Edition, Group
from shared import clock
from shared.collation import estonian_key
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
        sessions = queries.sessions(db, cities)
        sessions_today = [s for s in sessions if clock.local(s.starts_at).date() == today]
        at_risk = queries.at_risk(db, cities, now)
        groups = queries.in_cities(select(Group).where(Group.active.is_(True)), Group.city, cities)
        years = dict(db.execute(select(Edition.edition_id, Edition.year)).all())
        # A member substituted out is shown on the overview (what they attended) but not counted.
        per_group = [(g, Counter(r.outcome for r in queries.group_rows(db, g.group_id, now)
                                 if r.outcome != "substituted"))
                     for g in db.scalars(groups)]
    return _group_figures(per_group, years, sessions, now) + [
        Figure("attendance.sessions_today", "Koolituspäevi täna", "Sessions today", len(sessions_today),
               "/attendance/", "neutral", "attendance"),
        Figure("attendance.at_risk", "Riskis osalejaid", "Participants at risk", len(at_risk),
               "/attendance/at-risk", "warn" if at_risk else "ok", "attendance"),
    ]


def _group_figures(per_group: list[tuple[Group, Counter]], years: dict[str, int], sessions, now) -> list[Figure]:
    """Each group's state at a glance (completed / dropped out / at risk of all its participants),
    named by its edition's year and city, the newest edition first: once next year's edition
    exists, every city has a group in each. An earlier edition is shown while it still runs (a
    session not over) or needs someone (a participant at risk, a sheet not saved); after that
    its groups stay reachable from the session list (/attendance/) and its overview pages."""
    newest = max((years.get(g.edition_id, 0) for g, _ in per_group), default=0)
    running = {s.edition_id for s in sessions if s.ends_at > now}
    open_editions = {g.edition_id for g, c in per_group if c["at_risk"] or c["not_recorded"]}
    shown = [(g, c, years.get(g.edition_id, 0)) for g, c in per_group
             if years.get(g.edition_id, 0) == newest or g.edition_id in running | open_editions]
    shown.sort(key=lambda item: (-item[2], estonian_key(item[0].city), item[0].group_id))
    return [
        Figure(f"attendance.group.{g.group_id}", f"{year} {g.city}: lõpetanud / katkestanud / riskis",
               f"{year} {g.city}: completed / dropped out / at risk",
               f"{c['completed']} / {c['dropped_out']} / {c['at_risk']} ({sum(c.values())})",
               f"/attendance/groups/{g.group_id}", "warn" if c["at_risk"] else "neutral", "attendance")
        for g, c, year in shown]
