"""ESF reporting's figures for the dashboard (shared/summary.py): coordinators only, counts only."""
from __future__ import annotations

from shared.summary import Figure


def figures(kit, user) -> list[Figure]:
    from services.reporting.service_layer import editions, queries
    if not user.has("coordinator"):
        return []
    missing = overdue = due = 0
    link = "/reporting/"
    for edition in editions.list_editions(kit):
        if editions.is_due(edition):
            due += 1
        if edition.anonymised_at is not None:
            continue
        counts = queries.completeness(kit, edition.edition_id).counts
        missing, overdue = missing + counts["missing"], overdue + counts["overdue"]
        if counts["missing"] and link == "/reporting/":
            link = f"/reporting/editions/{edition.edition_id}/completeness?missing=1"
    return [
        Figure("reporting.esf_missing", "ESF andmed puudu", "ESF data missing", missing, link,
               "warn" if missing else "ok", "reporting"),
        Figure("reporting.esf_overdue", "ESF andmete tähtaeg ületatud", "ESF data overdue", overdue, link,
               "bad" if overdue else "ok", "reporting"),
        Figure("reporting.anonymisation_due", "Anonüümimist ootavad lennud", "Editions due for anonymisation", due,
               "/reporting/", "warn" if due else "ok", "reporting"),
    ]
