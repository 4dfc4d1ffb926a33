"""Writes through attendance's JSON API under gunicorn, against a hello-world Flask route
under the same gunicorn (same options, same machine, same run); and the memory of every
service's processes.

- "mark one": ``POST /attendance/api/sessions/<id>/attendance`` {participant_id, present}
- "save a sheet": ``PUT /attendance/api/sessions/<id>/attendance`` with 30 marks

Every request is a real write: each client owns its sessions' participants and alternates
between a sheet (or a mark) and its complement, so every mark it sends changes the record,
adds an audit line, writes an ``attendance.attendance.recorded`` event to the outbox and
settles the participant's outcomes (an absence publishes ``attendance.participant.absent``;
the next request corrects it). Answers are checked: 2xx, and ``changed`` lists every mark.

The data come in as enrolment's events (through the service's own consumer and handlers):
4 editions × 4 cities = 16 groups, 4 teams of 7–8 people each (30 participants a group);
day I of every group is in progress now (real clock), days II and III in the weeks after.
PostgreSQL for the database, a throwaway RabbitMQ vhost for the bus, and the attendance
worker running (its relay publishes the outbox) as in production.

Load: 8 closed-loop clients (2 processes, one connection each; gunicorn's sync workers
close it after every answer) for throughput and latency at saturation, then an open loop of
50 sheets/s over 16 connections, one per session, latency counted from when a sheet was due
(``bench/loadgen.py``). The baseline is ``bench/hello.py`` under the same gunicorn options;
beside it, the issue's reference point (a simple ORM insert with an outbox row, its own
database) and the same two rows written with raw psycopg (the floor of any request that
commits a row and its event), so the mark's ratio can be read against what a minimal write
costs here; and marks refused by validation (422, no database work): the web stack's own
cost of a mark, which with the floor's bounds what any mark could reach.
Settings: BENCH_HTTP_WORKERS (2, as in docker-compose), BENCH_HTTP_CLIENTS (8),
BENCH_HTTP_SECONDS (10 s measured after 2 s of warm-up).

Memory: every service's gunicorn (same options) and worker, each service on its own
database, idle after start and a few /healthz requests; then the attendance web and worker
under the load above. VmRSS summed over a process and its children, and PSS (which shares
the pages gunicorn's forked workers have in common with the master).

Goals (from the issue, printed, never asserted): one mark ≥ 0.25× hello-world's
throughput; a sheet's p99 < 50 ms at 50 sheets/s.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import loadgen
from shared.config import SERVICES
from shared.testing import services
from shared.testing.processes import ROOT, free_port

GUNICORN_WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "2"))
GUNICORN = ["-w", str(GUNICORN_WORKERS), "-k", "sync", "--graceful-timeout", "5"]
CLIENTS = int(os.environ.get("BENCH_HTTP_CLIENTS", "8"))
CLIENT_PROCESSES = 2
WARMUP = 2.0
DURATION = float(os.environ.get("BENCH_HTTP_SECONDS", "10"))
SHEET_RATE = 50.0
SHEET_SIZE = 30
SECRET = "bench-http-secret"
EDITIONS = 4
CITIES = ("Pärnu", "Tartu", "Rakvere", "Tallinn")
TEAMS = 4  # per group: 8 + 8 + 7 + 7 = 30


# -- processes --------------------------------------------------------------------------------

class Stack:
    """Throwaway databases, vhosts and processes; ``close`` removes all of them."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
        self.vhosts: list[str] = []
        self.databases: dict[str, str] = {}
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def vhost(self) -> str:
        name = services.new_vhost()
        self.vhosts.append(name)
        return f"amqp://guest:guest@127.0.0.1:5672/{name}"

    def env(self, bus_url: str, script_name: str | None = None) -> dict:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BUS_URL": bus_url, "SECRET_KEY": SECRET,
               "VAR_DIR": str(self.tmp / "var"), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "1",
               "SMTP_SECURITY": "none", "MAIL_FROM": "programm@example.ee", "BASE_URL": "http://127.0.0.1:8000"}
        env.pop("CLOCK_FILE", None)  # the real time, as in production
        env.update({f"DATABASE_URL_{name.upper()}": url for name, url in self.databases.items()})
        if script_name:
            env["SCRIPT_NAME"] = script_name
        return env

    def start(self, key: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.tmp / f"{key}.log", "ab")  # noqa: SIM115 - the process keeps it
        self.procs[key] = subprocess.Popen([sys.executable, *args], env=env, cwd=ROOT,
                                           stdout=subprocess.DEVNULL, stderr=log)
        return self.procs[key]

    def web(self, key: str, app: str, env: dict) -> int:
        port = self.ports[key] = free_port()
        self.start(key, ["-m", "gunicorn", "-b", f"127.0.0.1:{port}", *GUNICORN, app], env)
        return port

    def stop(self, *keys: str) -> None:
        procs = [p for p in (self.procs.pop(key, None) for key in keys) if p is not None and p.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def wait_ok(self, key: str, url: str, timeout: float = 90, method: str = "GET", body: dict | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[key].poll() is not None:
                raise RuntimeError(f"{key} exited; see {self.tmp / (key + '.log')}")
            try:
                req = urllib.request.Request(url, method=method, data=json.dumps(body or {}).encode() if method == "POST" else None,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{key} did not answer {url}; see {self.tmp / (key + '.log')}")

    def close(self, keep_logs: bool = False) -> None:
        self.stop(*self.procs)
        for url in self.databases.values():
            try:
                services.drop_database(url)
            except Exception as exc:  # noqa: BLE001 - go on cleaning up
                print(f"  (could not drop {url}: {exc})", file=sys.stderr)
        for name in self.vhosts:
            services.delete_vhost(name)
        if keep_logs:
            print(f"  (the processes' logs are in {self.tmp})", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# -- memory -----------------------------------------------------------------------------------

def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return pids


def memory(pid: int) -> tuple[float, float, int]:
    """(VmRSS summed, PSS summed, process count) of a process and its children, in MiB.
    The RSS sum counts pages gunicorn's forked workers share with the master more than once;
    PSS divides every shared page among the processes sharing it."""
    rss = pss = 0
    pids = _tree(pid)
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                rss += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
            with open(f"/proc/{p}/smaps_rollup") as fh:
                pss += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return rss / 1024, pss / 1024, len(pids)


class PeakMemory:
    """Samples a process tree's memory every 0.2 s while it runs; keeps the peak RSS."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, (0.0, 0.0, 0), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.2):
            now = memory(self.pid)
            if now[0] > self.peak[0]:
                self.peak = now

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# -- data ---------------------------------------------------------------------------------------

def group_id(edition: int, city: int) -> str:
    return f"bench-{edition}-{city}"


def session_id(edition: int, city: int, day: int) -> str:
    return f"{group_id(edition, city)}-{day}"


def edition_event(edition: int, now: datetime) -> dict:
    """Day I began an hour ago (each city a little apart) and lasts 7 hours; II and III follow."""
    day_one = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    groups = []
    for c, city in enumerate(CITIES):
        sessions = []
        for day in (1, 2, 3):
            starts = day_one + timedelta(days=21 * (day - 1), minutes=5 * c)
            sessions.append({"session_id": session_id(edition, c, day), "day_number": day, "starts_at": starts,
                             "ends_at": starts + timedelta(hours=7), "venue": f"{city}, Keskväljak 1",
                             "seats": 40})
        groups.append({"group_id": group_id(edition, c), "city": city, "capacity_teams": TEAMS,
                       "sessions": sessions})
    return {"edition_id": f"bench-edition-{edition}", "year": now.year, "name": f"Arenguprogramm {edition}",
            "application_deadline": now - timedelta(days=30), "groups": groups, "revision": 1}


def accepted_events(edition: int) -> list[dict]:
    out = []
    for c, city in enumerate(CITIES):
        for t in range(TEAMS):
            app_id = f"app-{edition}-{c}-{t}"
            orgs = [{"organisation_id": f"org-{app_id}-{k}", "name": f"Asutus {app_id}-{k}",
                     "registry_code": f"7500{k}{t}{c}{edition}", "kind": "local_government" if k == 0 else "ngo",
                     "billing_email": f"arved{k}@{app_id}.ee"} for k in range(2)]
            size = SHEET_SIZE // TEAMS + (1 if t < SHEET_SIZE % TEAMS else 0)
            members = [{"participant_id": f"p-{edition}-{c}-{t}-{m}", "first_name": f"Eesnimi{m}",
                        "last_name": f"Perenimi{t}{m:02d}", "email": f"p{edition}{c}{t}{m}@example.ee",
                        "organisation_id": orgs[m % 2]["organisation_id"]} for m in range(size)]
            out.append({"application_id": app_id, "edition_id": f"bench-edition-{edition}",
                        "group_id": group_id(edition, c), "city": city, "team_name": f"Meeskond {app_id}",
                        "contact_email": f"kontakt@{app_id}.ee", "organisations": orgs, "members": members})
    return out


def seed(database_url: str, bus_url: str) -> tuple[str, dict[str, tuple[float, float]]]:
    """Deliver enrolment's events through attendance's consumer. Returns a coordinator's
    cookie, and per kind of write the SQL statements and the CPU time one request takes,
    measured in this process through Flask's test client (no HTTP, no gunicorn)."""
    from sqlalchemy import event

    from shared import auth
    from shared.testing.harness import ServiceHarness, session_cookie
    h = ServiceHarness("attendance", database_url, bus_url, secret_key=SECRET)
    logging.getLogger().setLevel(logging.WARNING)  # not a line on stderr per event queued
    try:
        now = datetime.now(UTC)
        for e in range(EDITIONS):
            h.deliver("enrolment.edition.published", edition_event(e, now))
            for accepted in accepted_events(e):
                h.deliver("enrolment.application.accepted", accepted)
        user = auth.StaffUser("u-bench", "Kati Koordinaator", "kati@example.ee",
                              (auth.Grant("coordinator", None),))
        cookie = session_cookie(h.app, user)
        h.client.set_cookie(auth.SESSION_COOKIE, cookie, path="/")
        path = f"/api/sessions/{session_id(0, 0, 1)}/attendance"
        people = [line["participant_id"] for line in h.client.get(path.rsplit("/", 1)[0]).get_json()["lines"]]
        statements = [0]
        event.listen(h.kit.db.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))

        def measure(send, times: int) -> tuple[float, float]:
            statements[0], cpu = 0, time.process_time()
            for i in range(times):
                send(i)
            return statements[0] / times, (time.process_time() - cpu) / times

        def mark(present: bool):
            def send(i):
                answer = h.client.post(path, json={"participant_id": people[i], "present": present})
                assert answer.status_code == 200 and answer.get_json()["changed"], answer.get_json()
            return send

        def sheet(i: int, changes: int | None = SHEET_SIZE):
            answer = h.client.put(path, json={"marks": [{"participant_id": p, "present": (k + i) % 2 == 0}
                                                        for k, p in enumerate(people)]})
            assert answer.status_code == 200, answer.get_json()
            assert changes is None or len(answer.get_json()["changed"]) == changes, answer.get_json()["changed"]

        measure(mark(True), 10)  # warm up; the first marks of these ten
        stats = {"mark": measure(mark(False), 10)}
        sheet(0, changes=None)  # warm up: every other one present (some of them are already)
        stats["sheet"] = measure(lambda i: sheet(i + 1), 4)
        return f"{auth.SESSION_COOKIE}={cookie}", stats
    finally:
        h.close()


# -- scripts ------------------------------------------------------------------------------------

def sessions_today() -> list[str]:
    return [session_id(e, c, 1) for e in range(EDITIONS) for c in range(len(CITIES))]


def current_marks(port: int, cookie: str, sid: str) -> list[tuple[str, bool | None]]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/attendance/api/sessions/{sid}",
                                 headers={"Cookie": cookie, "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        sheet = json.loads(r.read())
    return [(line["participant_id"], line["present"]) for line in sheet["lines"]]


def _first(i: int, present: bool | None) -> bool:
    """The first write's value: the opposite of what is recorded (nothing: every other one present)."""
    return (i % 2 == 0) if present is None else not present


def mark_scripts(port: int, cookie: str, clients: int) -> list[list[loadgen.Job]]:
    """Each client marks the participants of its own sessions one by one, in turn, going
    from session to session (consecutive marks of a client are on different sessions)."""
    per_client: list[list[list[loadgen.Job]]] = [[] for _ in range(clients)]
    for n, sid in enumerate(sessions_today()):
        path = f"/attendance/api/sessions/{sid}/attendance"
        jobs = []
        for i, (pid, present) in enumerate(current_marks(port, cookie, sid)):
            value = _first(i, present)
            jobs.append(loadgen.Job((
                loadgen.request("POST", path, {"participant_id": pid, "present": value}, cookie),
                loadgen.request("POST", path, {"participant_id": pid, "present": not value}, cookie)), 1))
        per_client[n % clients].append(jobs)
    return [[job for turn in zip(*sessions, strict=True) for job in turn] for sessions in per_client]


def refused_mark_scripts(port: int, cookie: str, clients: int) -> list[list[loadgen.Job]]:
    """Marks like ``mark_scripts``' with a ``present`` that is not a boolean: signed in, routed
    and validated, then refused (422) before any database work -- what a mark costs the web
    stack alone, the most a mark could ever reach."""
    scripts: list[list[loadgen.Job]] = [[] for _ in range(clients)]
    for n, sid in enumerate(sessions_today()):
        path = f"/attendance/api/sessions/{sid}/attendance"
        for pid, _ in current_marks(port, cookie, sid):
            refused = loadgen.request("POST", path, {"participant_id": pid, "present": "maybe"}, cookie)
            scripts[n % clients].append(loadgen.Job((refused, refused), expect_status=422))
    return scripts


def sheet_scripts(port: int, cookie: str, clients: int) -> list[list[loadgen.Job]]:
    """Each client saves its own sessions' whole sheets, alternating a sheet and its complement."""
    scripts: list[list[loadgen.Job]] = [[] for _ in range(clients)]
    for n, sid in enumerate(sessions_today()):
        path = f"/attendance/api/sessions/{sid}/attendance"
        lines = current_marks(port, cookie, sid)
        assert len(lines) == SHEET_SIZE, (sid, len(lines))
        first = [(pid, _first(i, present)) for i, (pid, present) in enumerate(lines)]
        bodies = [{"marks": [{"participant_id": pid, "present": v if k == 0 else not v} for pid, v in first]}
                  for k in (0, 1)]
        scripts[n % clients].append(loadgen.Job(tuple(loadgen.request("PUT", path, b, cookie) for b in bodies),
                                                SHEET_SIZE))
    return scripts


# -- output -----------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:,.0f} ms"


def line(label: str, r: loadgen.Result, extra: str = "") -> str:
    errors = sum(r.errors.values())
    text = (f"  {label:<24}{r.rate:>8,.0f} req/s  p50 {ms(r.percentile(50)):>9}  p99 {ms(r.percentile(99)):>9}"
            f"  errors {errors}{extra}")
    for kind, n in r.errors.items():
        text += f"\n      {n} × {kind}"
    for sample in r.samples[:3]:
        text += f"\n      e.g. {sample}"
    return text


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def outbox_counts(database_url: str) -> tuple[int, int]:
    import psycopg
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        total, waiting = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE published_at IS NULL) FROM outbox").fetchone()
    return total, waiting


# -- main ---------------------------------------------------------------------------------------

def main() -> None:
    stack = Stack()
    done = False
    try:
        run(stack)
        done = True
    finally:
        stack.close(keep_logs=not done)


def run(stack: Stack) -> None:
    started = time.perf_counter()

    def progress(what: str) -> None:
        print(f"  [bench.http {time.perf_counter() - started:5.1f} s] {what}", file=sys.stderr, flush=True)
    bus_attendance, bus_others = stack.vhost(), stack.vhost()
    for name in SERVICES:
        stack.databases[name] = services.create_database(f"bench_http_{name}")
    script = "; ".join(f"import services.{n}.app as a{i}; a{i}.bootstrap().db.migrate()"
                       for i, n in enumerate(SERVICES))
    subprocess.run([sys.executable, "-c", script], env=stack.env(bus_others), cwd=ROOT, check=True,
                   capture_output=True)

    progress("databases migrated")
    # Every service's web (gunicorn, the options of the load test) and worker, idle.
    for name in SERVICES:
        bus = bus_attendance if name == "attendance" else bus_others
        stack.web(f"{name}-web", f"services.{name}.app:create_app()", stack.env(bus, f"/{name}"))
        stack.start(f"{name}-worker", ["-m", f"services.{name}", "worker"], stack.env(bus))
    hello = stack.web("hello-web", "bench.hello:app", stack.env(bus_others, "/hello"))
    reference_db = stack.databases["reference"] = services.create_database("bench_http_reference")
    from bench.hello import create_reference_tables
    create_reference_tables(reference_db)
    reference_env = {**stack.env(bus_others, "/reference"), "BENCH_REFERENCE_DATABASE_URL": reference_db}
    reference = stack.web("reference-web", "bench.hello:create_insert_app()", reference_env)
    floor = stack.web("floor-web", "bench.hello:create_raw_insert_app()", reference_env)
    for name in SERVICES:
        for _ in range(2 * GUNICORN_WORKERS):
            stack.wait_ok(f"{name}-web", f"http://127.0.0.1:{stack.ports[name + '-web']}/{name}/healthz")
    stack.wait_ok("hello-web", f"http://127.0.0.1:{hello}/hello/", method="POST")
    for key, port in (("reference-web", reference), ("floor-web", floor)):
        stack.wait_ok(key, f"http://127.0.0.1:{port}/reference/", method="POST",
                      body={"participant_id": "x", "present": True})
    progress("every service is up")
    cookie, in_process = seed(stack.databases["attendance"], bus_attendance)
    progress("attendance seeded")
    time.sleep(3)  # the workers have started their consumers, relays and ticks
    idle = {name: (memory(stack.procs[f"{name}-web"].pid), memory(stack.procs[f"{name}-worker"].pid))
            for name in SERVICES}
    idle_hello = memory(stack.procs["hello-web"].pid)
    # Only attendance (and the baseline) stay for the load: a quieter machine.
    stack.stop(*(f"{name}-{kind}" for name in SERVICES if name != "attendance" for kind in ("web", "worker")))

    port = stack.ports["attendance-web"]
    web_pid, worker_pid = stack.procs["attendance-web"].pid, stack.procs["attendance-worker"].pid
    hello_path = "/hello/"
    hello_scripts = [[loadgen.Job((loadgen.request("POST", hello_path, {"participant_id": "x", "present": True}),) * 2)]
                     for _ in range(CLIENTS)]
    load_before = os.getloadavg()[0]
    progress("measuring hello-world")
    hello_r = loadgen.saturate(hello, hello_scripts, CLIENT_PROCESSES, WARMUP, DURATION)
    progress("measuring the reference: an ORM insert with an outbox row")
    reference_scripts = [[loadgen.Job(tuple(loadgen.request("POST", "/reference/", {"participant_id": f"p-{c}",
                                                                                  "present": v}) for v in (True, False)),
                                      1)] for c in range(CLIENTS)]
    reference_r = loadgen.saturate(reference, reference_scripts, CLIENT_PROCESSES, WARMUP, DURATION)
    progress("measuring the floor: the same rows with raw psycopg")
    floor_r = loadgen.saturate(floor, reference_scripts, CLIENT_PROCESSES, WARMUP, DURATION)
    progress("measuring marks refused by validation")
    refused_r = loadgen.saturate(port, refused_mark_scripts(port, cookie, CLIENTS), CLIENT_PROCESSES, WARMUP,
                                 DURATION)
    progress("measuring marks")
    with PeakMemory(web_pid) as web_mem, PeakMemory(worker_pid) as worker_mem:
        mark_r = loadgen.saturate(port, mark_scripts(port, cookie, CLIENTS), CLIENT_PROCESSES, WARMUP, DURATION)
        progress("measuring sheets")
        sheet_r = loadgen.saturate(port, sheet_scripts(port, cookie, CLIENTS), CLIENT_PROCESSES, WARMUP, DURATION)
        progress(f"measuring sheets at {SHEET_RATE:.0f}/s")
        paced_r = loadgen.paced(port, sheet_scripts(port, cookie, len(sessions_today())), SHEET_RATE, WARMUP,
                                DURATION)
    written, waiting = outbox_counts(stack.databases["attendance"])

    print(f"http: gunicorn {' '.join(GUNICORN)} for both; {CLIENTS} closed-loop clients in {CLIENT_PROCESSES} "
          f"processes; {WARMUP:.0f} s warm-up + {DURATION:.0f} s each; PostgreSQL, attendance worker relaying to "
          f"RabbitMQ; {os.cpu_count()} cores, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after", flush=True)
    print(line("hello-world", hello_r), flush=True)
    reference_ratio = reference_r.rate / hello_r.rate if hello_r.rate else 0.0
    print(line("ORM insert + outbox row", reference_r,
               f"  ratio {reference_ratio:.3f} (the issue's reference point: 0.13 on its machine)"), flush=True)
    floor_ratio = floor_r.rate / hello_r.rate if hello_r.rate else 0.0
    print(line("raw psycopg, same rows", floor_r,
               f"  ratio {floor_ratio:.3f} (the floor of a request committing a row and its event)"), flush=True)
    refused_ratio = refused_r.rate / hello_r.rate if hello_r.rate else 0.0
    print(line("mark refused (422)", refused_r,
               f"  ratio {refused_ratio:.3f} (sign-in, routing, validation, JSON error: no database work)"),
          flush=True)
    if refused_ratio and floor_ratio:
        # Costs add up in hello-world units: the web stack's (refused) plus the floor's database
        # work beyond its own hello-world; a mark's rules, reads and relay only add to it.
        bound = 1 / (1 / refused_ratio + 1 / floor_ratio - 1)
        print(f"  {'':<25}a mark doing only the web stack's work and the floor's: ratio ≈ {bound:.3f} at most",
              flush=True)
    ratio = mark_r.rate / hello_r.rate if hello_r.rate else 0.0
    print(line("mark one", mark_r, f"  ratio {ratio:.3f} (goal ≥ 0.25: {met(ratio >= 0.25)}); "
                                   f"{mark_r.rate / reference_r.rate if reference_r.rate else 0:.2f}× the reference"),
          flush=True)
    sheet_ratio = sheet_r.rate / hello_r.rate if hello_r.rate else 0.0
    print(line(f"save {SHEET_SIZE}-line sheet", sheet_r,
               f"  ratio {sheet_ratio:.4f}; {sheet_r.rate * SHEET_SIZE:,.0f} marks/s"), flush=True)
    p99 = paced_r.percentile(99)
    behind = paced_r.errors.get("not sent in time", 0)
    goal = p99 < 0.05 and not paced_r.errors
    print(line(f"sheets offered {SHEET_RATE:.0f}/s", paced_r,
               f"  (goal p99 < 50 ms: {met(goal)}{'; p99 of those sent, a lower bound' if behind else ''})"),
          flush=True)
    for kind, (statements, cpu) in in_process.items():
        print(f"  in-process, Flask test client: {kind:<5} {statements:5.1f} SQL statements, "
              f"{cpu * 1000:5.1f} ms CPU a request", flush=True)
    print(f"  outbox: {written:,} events written, {waiting:,} not yet relayed at the end", flush=True)
    print("memory (MiB; VmRSS summed over gunicorn master + workers; PSS in brackets):", flush=True)
    print(f"  {'':<12}{'web idle':>18}  {'worker idle':>12}", flush=True)
    for name, ((w_rss, w_pss, w_n), (k_rss, k_pss, _)) in idle.items():
        print(f"  {name:<12}{w_rss:>7.0f} ({w_pss:>3.0f}) {w_n} proc  {k_rss:>5.0f} ({k_pss:>3.0f})", flush=True)
    print(f"  {'hello-world':<12}{idle_hello[0]:>7.0f} ({idle_hello[1]:>3.0f}) {idle_hello[2]} proc", flush=True)
    for label, peak in (("web", web_mem.peak), ("worker", worker_mem.peak)):
        print(f"  attendance {label} under the load above: peak {peak[0]:.0f} ({peak[1]:.0f})", flush=True)
    print(f"  (bench.http took {time.perf_counter() - started:.0f} s)", flush=True)

if __name__ == "__main__":
    main()
