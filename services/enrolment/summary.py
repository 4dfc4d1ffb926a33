"""Enrolment's figures for the dashboard (shared/summary.py): what waits for the coordinator."""
from __future__ import annotations

from urllib.parse import quote

from shared.summary import Figure

# A coordinator of some cities gets the figures of those cities only, by the rule the
# applications API and pages apply (queries.concerns, city_counts' cities): each link lists
# the very rows its figure counts.
HONOURS_CITY_SCOPE = True


def figures(kit, user) -> list[Figure]:
    from services.enrolment.service_layer import queries
    if not user.has("coordinator"):
        return []
    cities = user.cities_for("coordinator")  # as entrypoints.api.cities(): None is every city
    # The list page limits itself to the user's cities anyway; a coordinator of one city gets it
    # as the page's city filter too (the same rows: city= ∩ scope is the scope for one city).
    here = f"&city={quote(cities[0])}" if cities is not None and len(cities) == 1 else ""
    undecided = queries.list_applications(kit, status="submitted", cities=cities)
    ready = sum(1 for a in undecided if a["complete"])
    result = [
        Figure("enrolment.undecided", "Otsustamata taotlusi", "Applications to decide", len(undecided),
               f"/enrolment/applications?status=submitted{here}", "warn" if ready else "neutral",
               "enrolment"),
        Figure("enrolment.incomplete", "Kinnitusi ootavaid taotlusi", "Applications awaiting confirmations",
               len(undecided) - ready, f"/enrolment/applications?status=submitted&complete=no{here}",
               "neutral", "enrolment"),
    ]
    # Per city, the applications by status: undecided naming the city (what its link lists),
    # accepted against the places, waiting; rejected teams have no city of their own, so they are one figure.
    for city in queries.city_counts(kit, cities=cities):
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
    # Rejected, for a coordinator of some cities: only those that concern their cities (rejected
    # from their group's waiting list, or never placed and naming one of them), as the list shows
    # them; one naming no city at all is the whole edition's alone (auth.may_see).
    if cities is None:
        result += _counselling(kit)
    result.append(Figure("enrolment.rejected", "Tagasi lükatud taotlusi", "Applications rejected",
                         len(queries.list_applications(kit, status="rejected", cities=cities)),
                         f"/enrolment/applications?status=rejected{here}", "neutral", "enrolment"))
    return result


def _counselling(kit) -> list[Figure]:
    """The counselling programme, once the current edition's window has opened (whole-edition
    coordinators only, as its page): applications (selected); to announce once the deadline is over."""
    from services.enrolment.service_layer import counselling
    from shared import clock
    window = counselling.window(kit)
    if window is None or window["opens_at"] is None or clock.now() < window["opens_at"]:
        return []
    overview = counselling.overview(kit, window["edition_id"])
    count = len(overview["applications"])
    tone = ("ok" if overview["announced_at"] else "warn" if overview["closed"] and count else "neutral")
    return [Figure("enrolment.counselling", "Nõustamisprogrammi taotlusi (valitud)",
                   "Counselling programme applications (selected)", f"{count} ({overview['selected_count']})",
                   f"/enrolment/editions/{quote(window['edition_id'])}/counselling", tone, "enrolment")]
