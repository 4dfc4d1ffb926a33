"""ESF reporting's figures for the dashboard (shared/summary.py): coordinators only, counts only."""
from __future__ import annotations

from shared.summary import Figure

# A coordinator of some cities gets the ESF counts of their cities' groups only, by the rule the
# completeness page and API apply (queries.completeness with their cities); its link, without a
# group, lists just those participants for them.
HONOURS_CITY_SCOPE = True


def figures(kit, user) -> list[Figure]:
    from services.reporting.service_layer import editions, queries
    if not user.has("coordinator"):
        return []
    cities = user.cities_for("coordinator")  # as entrypoints.views.cities(): None is every city
    due = 0
    result: list[Figure] = []
    # Each edition's own counts, named by its year, each linking to that edition's list: the newest
    # edition (not anonymised) always, an earlier one while it still misses data (a sum of two
    # years linked to one year's list would not match the list it opens).
    for edition in editions.list_editions(kit):  # the newest first
        if editions.is_due(edition):
            due += 1
        if edition.anonymised_at is not None:
            continue
        counts = queries.completeness(kit, edition.edition_id, cities=cities).counts
        missing, overdue = counts["missing"], counts["overdue"]
        newest = not result
        if not (newest or missing or overdue):
            continue
        key = "" if newest else f".{edition.edition_id}"
        link = f"/reporting/editions/{edition.edition_id}/completeness?missing=1" if missing else "/reporting/"
        result += [
            Figure(f"reporting.esf_missing{key}", f"ESF andmed puudu ({edition.year})",
                   f"ESF data missing ({edition.year})", missing, link, "warn" if missing else "ok", "reporting"),
            Figure(f"reporting.esf_overdue{key}", f"ESF andmete tähtaeg ületatud ({edition.year})",
                   f"ESF data overdue ({edition.year})", overdue, link, "bad" if overdue else "ok", "reporting"),
        ]
    if not result:
        result = [Figure("reporting.esf_missing", "ESF andmed puudu", "ESF data missing", 0, "/reporting/", "ok",
                         "reporting"),
                  Figure("reporting.esf_overdue", "ESF andmete tähtaeg ületatud", "ESF data overdue", 0,
                         "/reporting/", "ok", "reporting")]
    # Anonymisation is an edition's, of no city, and only a coordinator of the whole edition may
    # do it: a coordinator of some cities is not shown the figure at all.
    if cities is None:
        result.append(Figure("reporting.anonymisation_due", "Anonüümimist ootavad lennud",
                             "Editions due for anonymisation", due, "/reporting/", "warn" if due else "ok",
                             "reporting"))
    return result
