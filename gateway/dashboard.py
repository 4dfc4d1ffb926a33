"""The dashboard composes each service's ``/api/summary`` for the signed-in user.

Why composition, not a projection of the events: the figures are each service's own
(its database is the truth), the dashboard only reads, and a service that is down shows
as "unavailable" instead of as stale numbers. The user's own session travels with each
request, so every figure obeys that service's role and city rules.
"""
from __future__ import annotations

import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from shared.config import SERVICES


@dataclass
class ServiceSummary:
    service: str
    figures: list[dict] = field(default_factory=list)
    available: bool = True


class InProcessSource:
    """Embedded mode: ask the other apps in this process through WSGI."""

    def __init__(self):
        self.wsgi_app = None  # set once the dispatcher exists

    def fetch(self, service: str, cookie: str) -> dict:
        from werkzeug.test import Client
        response = Client(self.wsgi_app, use_cookies=False).get(f"/{service}/api/summary", headers={"Cookie": cookie,
                                                                                 "Accept": "application/json"})
        if response.status_code != 200:
            raise RuntimeError(response.status_code)
        return response.get_json()


class HttpSource:
    """Local services and production: SERVICE_URL_TEMPLATE, e.g. http://{service}-web:8000/{service}."""

    def __init__(self, template: str | None = None):
        self.template = template or os.environ.get("SERVICE_URL_TEMPLATE", "http://127.0.0.1:8000/{service}")
        if not self.template.startswith(("http://", "https://")):
            # urlopen would also read file:// and other schemes: only our services over HTTP.
            raise ValueError(f"SERVICE_URL_TEMPLATE must be an http(s) URL, not {self.template!r}")

    def fetch(self, service: str, cookie: str) -> dict:
        request = urllib.request.Request(self.template.format(service=service) + "/api/summary",
                                         headers={"Cookie": cookie, "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310  # nosec B310 # scheme checked in __init__
            return json.loads(response.read())


def collect(source, cookie: str) -> list[ServiceSummary]:
    def one(service: str) -> ServiceSummary:
        try:
            return ServiceSummary(service, source.fetch(service, cookie)["figures"])
        except Exception:  # noqa: BLE001 - a service that is down must not take the dashboard with it
            return ServiceSummary(service, available=False)
    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        return list(pool.map(one, SERVICES))
