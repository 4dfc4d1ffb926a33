"""Enrolment's figures for the dashboard (shared/summary.py): what waits for the coordinator."""
from __future__ import annotations

from urllib.parse import quote

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
    # Per city, the applications by status: undecided naming the city (what its link lists),
    # accepted against the places, waiting; rejected teams have no city of their own, so they are one figure.
    for city in queries.city_counts(kit):
        name, undecided_here = city["city"], city["undecided_any_choice"]
        result.append(Figure(
            f"enrolment.undecided.{city['group_id']}", f"{name}: otsustamata taotlusi",
            f"{name}: applications to decide", undecided_here,
            f"/enrolment/applications?status=submitted&city={quote(name)}", "neutral", "enrolment"))
        ready_next = city["free"] and city["next_on_waiting_list"] and city["next_on_waiting_list"]["complete"]
        result.append(Figure(
            f"enrolment.group.{city['group_id']}", f"{name}: meeskondi (ootel)", f"{name}: teams (waiting)",
            f"{city['accepted']}/{city['capacity_teams']} ({city['waiting']})",
            f"/enrolment/groups/{city['group_id']}", "warn" if ready_next else "neutral", "enrolment"))
    result.append(Figure("enrolment.rejected", "Tagasi lükatud taotlusi", "Applications rejected",
                         len(queries.list_applications(kit, status="rejected")),
                         "/enrolment/applications?status=rejected", "neutral", "enrolment"))
    return result
