"""`make run`'s process: every service healthy behind one origin, and Ctrl-C stops it cleanly."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from shared.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_embedded_mode_serves_every_service_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("SECRET_KEY", None)  # embedded mode makes and keeps its own
    env.pop("CLOCK_FILE", None)
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(f"{base}/auth/login")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        for service in SERVICES:
            status, body = get(f"{base}/{service}/healthz")
            assert status == 200, body
            assert json.loads(body) == {"service": service, "database": "ok", "bus": "ok"}
            status, body = get(f"{base}/{service}/openapi.json")
            assert status == 200 and json.loads(body)["info"]["title"]
            status, body = get(f"{base}/{service}/metrics")
            assert status == 200 and "http_requests_total" in body
        # the demo edition is 2019's: the demo clock starts before its deadline, so it can be applied to
        status, body = get(f"{base}/enrolment/apply")
        assert status == 200 and 'name="team_name"' in body
        assert (tmp_path / "clock").read_text().startswith("2019-02-15T")
        status, body = get(f"{base}/enrolment/api/edition")
        assert status == 200 and json.loads(body)["open"] is True and "Pärnu" in json.loads(body)["cities"]
        assert (tmp_path / "secret_key").exists()
        assert (tmp_path / "demo_coordinator.txt").exists()
        assert {f"{s}.sqlite" for s in SERVICES} <= {p.name for p in tmp_path.iterdir()}
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "koordinaator@example.ee" in output and "stopped" in output and "demo clock: 15.02.2019" in output


def test_links_point_to_the_port_embedded_mode_listens_on_unless_base_url_is_set(monkeypatch):
    from gateway.embedded import default_base_url
    from shared.config import Settings
    monkeypatch.setenv("BASE_URL", "")  # recorded, so what default_base_url sets is undone after
    monkeypatch.delenv("BASE_URL")
    default_base_url("127.0.0.1", 8103)
    assert Settings.from_env("notify").base_url == "http://127.0.0.1:8103"
    monkeypatch.setenv("BASE_URL", "https://koolitus.example.ee/")
    default_base_url("127.0.0.1", 8103)
    assert Settings.from_env("notify").base_url == "https://koolitus.example.ee"
