"""Enrolment's figures for the dashboard (shared/summary.py): what waits for the coordinator."""
from __future__ import annotations

from shared.summary import Figure


def figures(kit, user) -> list[Figure]:
    from services.enrolment.service_layer import queries
    if not user.has("coordinator"):
        return []
    undecided = queries.list_applications(kit, status="submitted")
    ready = sum(1 for a in undecided if a["complete"])
    result = [
        Figure("enrolment.undecided", "Otsustamata taotlusi", "Applications to decide", len(undecided),
               "/enrolment/applications?status=submitted", "warn" if ready else "neutral", "enrolment"),
        Figure("enrolment.incomplete", "Kinnitusi ootavaid taotlusi", "Applications awaiting confirmations",
               len(undecided) - ready, "/enrolment/applications?status=submitted&complete=no", "neutral", "enrolment"),
    ]
    for city in queries.city_counts(kit):
        tone = "warn" if city["free"] and city["next_on_waiting_list"] else "neutral"
        result.append(Figure(
            f"enrolment.group.{city['group_id']}", f"{city['city']}: meeskondi (ootel)", f"{city['city']}: teams (waiting)",
            f"{city['accepted']}/{city['capacity_teams']} ({city['waiting']})",
            f"/enrolment/groups/{city['group_id']}", tone,
            "enrolment"))
    return result
