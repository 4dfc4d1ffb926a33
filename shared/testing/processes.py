"""The whole programme as separate processes on RabbitMQ and PostgreSQL, for system and
fault tests: per service a web server (gunicorn) and a worker (consumer + relay + tick),
one shared clock file, e-mail to a test SMTP server.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from shared.config import SERVICES
from shared.testing import services

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Programme:
    tmp: Path
    bus_url: str
    smtp_port: int
    secret_key: str = "system-test-secret"
    databases: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    webs: dict[str, subprocess.Popen] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def clock_file(self) -> Path:
        return self.tmp / "clock"

    def env(self, service: str | None = None) -> dict:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BUS_URL": self.bus_url, "SECRET_KEY": self.secret_key,
               "VAR_DIR": str(self.tmp / "var"), "CLOCK_FILE": str(self.clock_file), "TICK_INTERVAL": "0.5",
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port), "SMTP_SECURITY": "none",
               "MAIL_FROM": "programm@example.ee", "BASE_URL": "http://127.0.0.1:8000"}
        env.update({f"DATABASE_URL_{name.upper()}": url for name, url in self.databases.items()})
        if service:
            env["SCRIPT_NAME"] = f"/{service}"
        return env

    def start(self) -> Programme:
        self.clock_file.write_text("")
        for name in SERVICES:
            self.databases[name] = services.create_database(f"po_sys_{name}")
        # One interpreter migrates every database (imports dominate the cost of a process).
        script = "; ".join(f"import services.{n}.app as a{i}; a{i}.bootstrap().db.migrate()"
                           for i, n in enumerate(SERVICES))
        subprocess.run([sys.executable, "-c", script], env=self.env(), cwd=ROOT, check=True, capture_output=True)
        for name in SERVICES:
            self.start_web(name)
            self.start_worker(name)
        for name in SERVICES:
            self.wait_healthy(name)
        return self

    def start_web(self, name: str) -> None:
        port = self.ports.setdefault(name, free_port())
        self.webs[name] = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "--graceful-timeout", "5",
             f"services.{name}.app:create_app()"], env=self.env(name), cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=open(self.tmp / f"{name}-web.log", "ab"))  # noqa: SIM115

    def start_worker(self, name: str) -> None:
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}", "worker"], env=self.env(), cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=open(self.tmp / f"{name}-worker.log", "ab"))  # noqa: SIM115

    def kill_worker(self, name: str) -> None:
        self.workers[name].send_signal(signal.SIGKILL)
        self.workers[name].wait()

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}/{service}{path}"

    def wait_healthy(self, service: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url(service, "/healthz"), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{service} not healthy; see {self.tmp}/{service}-web.log")

    def set_now(self, moment) -> None:
        from shared.clock import write_clock_file
        write_clock_file(str(self.clock_file), moment)

    def stop(self) -> None:
        for proc in [*self.webs.values(), *self.workers.values()]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.webs.values(), *self.workers.values()]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for url in self.databases.values():
            try:
                services.drop_database(url)
            except Exception:  # noqa: BLE001
                pass
