"""Embedded mode: every service in one process, on SQLite files and the SQLite bus.

The same code as production, wired differently: each service keeps its own database file
under var/, consumers and outbox relays run as threads, and the bus is a durable kombu
transport on var/bus.sqlite (see shared/messaging/sqlite_transport.py).
"""
from __future__ import annotations

import importlib
import logging
import os
import secrets
import signal
import threading
import time

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from gateway import accounts, demo_clock
from gateway.app import create_app as create_gateway
from gateway.dashboard import InProcessSource
from gateway.front_door import FrontDoor
from shared import clock
from shared.config import SERVICES, var_dir
from shared.messaging.connection import connect
from shared.observability import configure_logging

log = logging.getLogger(__name__)
DEMO_EMAIL = "koordinaator@example.ee"


def build(demo: bool = True):
    """Every service's kit and app, migrated and wired; returns (wsgi app, kits)."""
    kits, apps = {}, {}
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.app")
        kit = module.bootstrap()
        kit.db.migrate()
        kits[name] = kit
        apps[f"/{name}"] = module.create_app(kit=kit)
    # Routing lives in this process's memory: bind every queue before anything is published.
    for kit in kits.values():
        conn = connect(kit.settings.bus_url)
        try:
            kit.consumer().declare(conn)
        finally:
            conn.release()
    accounts_db = accounts.database()
    accounts_db.migrate()
    if demo:
        for name, kit in kits.items():
            try:
                loader = importlib.import_module(f"services.{name}.demo")
            except ModuleNotFoundError:
                continue
            loader.load(kit)
    summaries = InProcessSource()
    gateway_app = create_gateway(db=accounts_db, summaries=summaries)
    gateway_app.register_blueprint(demo_clock.blueprint())
    # Each service behind the front door: a revoked session is refused before it gets there.
    dispatcher = DispatcherMiddleware(gateway_app, {prefix: FrontDoor(app, gateway_app)
                                                    for prefix, app in apps.items()})
    summaries.wsgi_app = dispatcher
    return dispatcher, kits, accounts_db


def demo_account(db) -> tuple[str, str]:
    """A coordinator to sign in with; its password is kept in var/ so every start can show it."""
    path = var_dir() / "demo_coordinator.txt"
    if accounts.count_users(db) == 0:
        password = secrets.token_urlsafe(9)
        accounts.create_user(db, DEMO_EMAIL, "Demo Koordinaator", password, ["coordinator"])
        path.write_text(password)
        path.chmod(0o600)
    return DEMO_EMAIL, path.read_text().strip() if path.exists() else "(set with python -m gateway create-user)"


def start_workers(kits: dict, stop: threading.Event) -> list[threading.Thread]:
    threads = []
    for kit in kits.values():
        for name, job in (("consume", kit.consumer().run), ("relay", kit.relay().run), ("tick", kit.run_ticks)):
            thread = threading.Thread(target=job, args=(stop,), name=f"{kit.name}-{name}", daemon=True)
            thread.start()
            threads.append(thread)
    return threads


def default_base_url(host: str, port: int) -> None:
    """E-mailed links point where this process listens (``--port``), unless BASE_URL says
    otherwise (read by every service's settings, built after this)."""
    os.environ.setdefault("BASE_URL", f"http://{host}:{port}")


def serve(host: str = "127.0.0.1", port: int = 8000, demo: bool = True) -> None:
    configure_logging()
    default_base_url(host, port)
    clock_file = demo_clock.use_demo_clock() if demo else None
    app, kits, accounts_db = build(demo)
    email, password = demo_account(accounts_db)
    stop = threading.Event()
    threads = start_workers(kits, stop)
    server = make_server(host, port, app, threaded=True)
    print(f"\nProgramme Office is running at http://{host}:{port}/\n"
          f"  sign in as {email}  password: {password}\n"
          f"  e-mails are written to {var_dir() / 'mail'}\n"
          + (f"  demo clock: {clock.local(clock.now()):%d.%m.%Y %H:%M} — move it at /demo/clock "
             f"(file {clock_file}; --no-demo for the real time)\n" if clock_file else "")
          + "  Ctrl-C stops it.\n", flush=True)

    def shutdown(*_):
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    # SIGINT too: a shell starting `make run &` without job control ignores it otherwise.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, shutdown)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        # One deadline for all: a worker caught mid-batch is a daemon thread, and its
        # uncommitted batch is redelivered on the next start — nothing is lost by not waiting.
        deadline = time.monotonic() + 10
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        print("stopped", flush=True)
