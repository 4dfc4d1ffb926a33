"""The production shape on this machine: each service its own web and worker processes."""
from __future__ import annotations

import json
import urllib.request

from shared.config import SERVICES


def test_every_service_runs_as_its_own_processes_and_answers_healthy(programme):
    for service in SERVICES:
        with urllib.request.urlopen(programme.url(service, "/healthz"), timeout=5) as response:
            assert json.loads(response.read()) == {"service": service, "database": "ok", "bus": "ok"}
    # a worker killed hard is simply started again
    programme.kill_worker("billing")
    programme.start_worker("billing")
    assert programme.workers["billing"].poll() is None
