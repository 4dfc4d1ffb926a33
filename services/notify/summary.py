"""Notify's figures for the dashboard (shared/summary.py): e-mails that need a coordinator."""
from __future__ import annotations

from shared.summary import Figure


def figures(kit, user) -> list[Figure]:
    from services.notify.service_layer import emails
    if not user.has("coordinator"):  # the outbox is the coordinators' page
        return []
    counts = emails.counts(kit)
    failed, waiting = counts.get("failed", 0), counts.get("waiting", 0)
    pending = counts.get("queued", 0) + counts.get("sending", 0)
    return [
        Figure("notify.failed", "Saatmata e-kirjad", "Failed e-mails", failed, "/notify/?status=failed",
               "bad" if failed else "ok", "notify"),
        Figure("notify.pending", "Saatmise järjekorras", "E-mails in the queue", pending, "/notify/?status=queued",
               "warn" if pending else "ok", "notify"),
        Figure("notify.waiting", "Andmeid ootavad e-kirjad", "E-mails waiting for data", waiting,
               "/notify/?status=waiting", "warn" if waiting else "ok", "notify"),
    ]
