"""Local-services mode: every service as its own processes against local RabbitMQ and PostgreSQL.

First every service's queues are declared (``python -m services topology``); then for each
service: gunicorn serving its app (with SCRIPT_NAME=/<service>) and one worker process
(consumer + outbox relay + tick). The gateway (sign-in, landing page) listens on
the given port and forwards /<service>/… to the service's own port, so the browser sees
one origin — after the front door's session check (gateway/front_door.py).
"""
from __future__ import annotations

import http.client
import os
import signal
import subprocess  # nosec B404 # starts this project's own processes (see main)
import sys
import time

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from gateway.front_door import refusal
from shared.config import SERVICES

PG_ADMIN = os.environ.get("LOCAL_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
BUS = os.environ.get("BUS_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
FIRST_PORT = 8101
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}


def ensure_databases() -> dict[str, str]:
    import psycopg
    urls = {}
    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
        existing = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        for name in (*SERVICES, "accounts"):
            db = f"programme_{name}"
            if db not in existing:
                conn.execute(f'CREATE DATABASE "{db}"')
            urls[name] = f"{PG_ADMIN}/{db}"
    return urls


def proxy(routes: dict[str, int], gateway_app):
    @Request.application
    def app(request: Request):
        prefix = "/" + request.path.lstrip("/").split("/", 1)[0]
        port = routes.get(prefix)
        if port is None:
            return gateway_app
        refused = refusal(gateway_app, request.environ)
        if refused is not None:
            return refused
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(request.method, request.full_path if request.query_string else request.path,
                     body=request.get_data(), headers=headers)
        upstream = conn.getresponse()
        response = Response(upstream.read(), status=upstream.status)
        for key, value in upstream.getheaders():
            if key.lower() not in HOP_BY_HOP | {"content-length"}:
                response.headers.add(key, value)
        return response
    return app


def main(port: int = 8000) -> None:
    urls = ensure_databases()
    env = {**os.environ, "BUS_URL": BUS, "DATABASE_URL_ACCOUNTS": urls["accounts"],
           **{f"DATABASE_URL_{s.upper()}": urls[s] for s in SERVICES}}
    os.environ.update(env)
    # Every queue and binding first: until a worker has started, the exchange would drop
    # the events published for it.
    subprocess.run([sys.executable, "-m", "services", "topology"], env=env, check=True)  # nosec B603
    procs, routes = [], {}
    for offset, service in enumerate(SERVICES):
        service_port = FIRST_PORT + offset
        routes[f"/{service}"] = service_port
        # This interpreter with fixed arguments: no shell, no outside input (bandit B603).
        subprocess.run([sys.executable, "-m", f"services.{service}", "migrate"], env=env, check=True)  # nosec B603
        web = subprocess.Popen(  # nosec B603
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{service_port}", "-w", "2",
             f"services.{service}.app:create_app()"], env={**env, "SCRIPT_NAME": f"/{service}"})
        worker = subprocess.Popen([sys.executable, "-m", f"services.{service}", "worker"], env=env)  # nosec B603
        procs.extend((web, worker))
    from gateway import accounts
    from gateway.app import create_app
    from gateway.embedded import demo_account
    db = accounts.database(urls["accounts"])
    db.migrate()
    email, password = demo_account(db)
    print(f"\nlocal services: http://127.0.0.1:{port}/  sign in as {email}  password: {password}\n", flush=True)
    try:
        run_simple("127.0.0.1", port, proxy(routes, create_app(db=db)), threaded=True)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
