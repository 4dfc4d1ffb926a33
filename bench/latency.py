"""End-to-end latency at a steady load: from an attendance record to the claim proposed,
and to the e-mail accepted by SMTP — p50 and p99 — against raw pika + smtplib doing the
same hops in the same run (``bench/latency_raw.py``).

The flow: a coordinator marks a participant absent on day I (``POST /attendance/api/
sessions/<day I>/attendance``). The edition has days I and II behind it and no session
that could make day I up (every group meets on the same days), so the absence is final:
in the request's transaction attendance writes the record and, into its outbox,
``attendance.attendance.recorded`` and ``attendance.participant.dropped_out``. The relay
publishes them; RabbitMQ routes dropped_out to billing, which proposes a claim (a
``claims`` row, status ``proposed``, and ``billing.claim.proposed`` in its outbox), and
to notify, which queues the ``dropout_notice`` e-mail; notify's delivery tick sends it.

Per sample, all in this process on ``time.monotonic()``:
- t0: just before the HTTP request is sent;
- t1: the claim row is first seen as ``proposed`` by a thread polling billing's database
  every 2 ms (the time taken is that of the query that saw it: its snapshot is the bound);
- t2: the SMTP sink (aiosmtpd) has the whole message, before it answers 250.

The Programme is the system tests' (``shared/testing/processes.py``): every service as a
gunicorn web and a worker process on RabbitMQ and PostgreSQL, TICK_INTERVAL=0.5 (so
notify's tick is 0.5 s; set BENCH_LATENCY_NOTIFY_TICK to try another). Settings:
BENCH_LATENCY_SAMPLES (150), BENCH_LATENCY_INTERVAL (0.3 s between records),
BENCH_LATENCY_RAW_CHAIN (fanout | serial, see latency_raw).
"""
from __future__ import annotations

import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg

from bench import latency_raw
from shared.testing.fixtures import amqp_url
from shared.testing.processes import Programme
from shared.testing.smtp import SmtpSink
from tests.faults import support

SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "150"))
INTERVAL = float(os.environ.get("BENCH_LATENCY_INTERVAL", "0.3"))
NOTIFY_TICK = os.environ.get("BENCH_LATENCY_NOTIFY_TICK", "")
RAW_CHAIN = os.environ.get("BENCH_LATENCY_RAW_CHAIN", "fanout")
WARMUP = 5  # first samples of each side, not counted (first requests, pools, JIT of nothing)
POLL = 0.002
DROPPED_OUT = "attendance.participant.dropped_out"
PARTICIPANT = re.compile(r'"participant_id":"([^"]+)"')


class TimedSink(SmtpSink):
    """The test SMTP sink, noting when each message arrived, by (template, recipient)."""

    def __post_init__(self):
        super().__post_init__()
        self.arrivals: dict[tuple[str, str], float] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        arrived = time.monotonic()
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            template = str(self.messages[-1].message["X-Notify-Template"] or "raw")
            for rcpt in envelope.rcpt_tos:
                self.arrivals.setdefault((template, rcpt.lower()), arrived)
        return answer

    def arrival(self, template: str, rcpt: str) -> float | None:
        return self.arrivals.get((template, rcpt.lower()))


@dataclass
class LatencyProgramme(Programme):
    extra_env: dict = field(default_factory=dict)

    def env(self, service: str | None = None) -> dict:
        return {**super().env(service), **self.extra_env}


class ClaimWatcher(threading.Thread):
    """Polls billing's claims for the participants awaited; notes when each is first seen."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.pending: set[str] = set()
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def expect(self, participant_id: str) -> None:
        with self.lock:
            self.pending.add(participant_id)

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                with self.lock:
                    ids = list(self.pending)
                if ids:
                    asked = time.monotonic()
                    rows = conn.execute("SELECT participant_id FROM claims WHERE status = 'proposed' "
                                        "AND participant_id = ANY(%s)", (ids,)).fetchall()
                    with self.lock:
                        for (participant_id,) in rows:
                            self.seen.setdefault(participant_id, asked)
                            self.pending.discard(participant_id)
                time.sleep(POLL)


@dataclass
class Sample:
    participant_id: str
    t0: float
    wall0: float  # time.time() at t0, to place the services' own timestamps
    t1: float | None = None
    t2: float | None = None
    answered: float | None = None  # the HTTP response is in


def _rows(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _count(url: str, sql: str, params=()) -> int:
    return _rows(url, sql, params)[0][0]


def _setup(programme: Programme, tag: str, total: int) -> list[tuple[str, str]]:
    """Publish an edition and accepted teams (as enrolment would) and wait until attendance
    and notify know everyone and the welcome e-mails are out; return (group, participant)."""
    size, teams = 5, 4
    groups = math.ceil(total / (size * teams))
    db = programme.databases
    with support.publisher(programme.bus_url) as publish:
        _, members_of = support.roster(publish, tag, groups=groups, teams=teams, size=size)
    everyone = groups * teams * size
    like = (f"{tag}%",)
    support.wait_until(lambda: _count(db["attendance"], "SELECT count(*) FROM participants p JOIN applications a "
                                                        "USING (application_id) WHERE p.participant_id LIKE %s "
                                                        "AND a.group_id IS NOT NULL", like) == everyone
                       and _count(db["notify"], "SELECT count(*) FROM participants WHERE participant_id LIKE %s "
                                                "AND email IS NOT NULL", like) == everyone,
                       timeout=120, what="attendance and notify to know every participant")

    def quiet() -> bool:
        return (all(_count(url, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
                    for url in db.values())
                and _count(db["notify"], "SELECT count(*) FROM emails WHERE status IN ('queued', 'sending')") == 0
                and support.queues_idle(programme.bus_url))
    support.wait_until(quiet, timeout=180, interval=0.5, what="the setup's events and e-mails to settle")
    time.sleep(1)
    support.wait_until(quiet, timeout=60, interval=0.5, what="the setup's events and e-mails to settle")
    return [(group, p) for group, members in members_of.items() for p in members][:total]


def run_project(programme: Programme, sink: TimedSink, total: int, interval: float) -> tuple[list[Sample], dict]:
    tag = f"lat{uuid.uuid4().hex[:6]}"
    support.wait_until(lambda: support.queues_declared(programme.bus_url), timeout=60,
                       what="every consuming worker to declare its queue")
    participants = _setup(programme, tag, total)
    watcher = ClaimWatcher(programme.databases["billing"])
    watcher.start()
    staff = support.Staff(programme)
    samples: list[Sample] = []
    try:
        started = time.monotonic() + 0.5
        for i, (group, participant) in enumerate(participants):
            time.sleep(max(0.0, started + i * interval - time.monotonic()))
            watcher.expect(participant)
            sample = Sample(participant, time.monotonic(), time.time())
            response = staff.post_mark(support.session_id(group, 1), participant, False)
            sample.answered = time.monotonic()
            if response.status_code != 200:
                raise RuntimeError(f"marking {participant} absent: {response.status_code} {response.text[:500]}")
            samples.append(sample)

        def arrived() -> bool:
            for s in samples:
                s.t1 = watcher.seen.get(s.participant_id)
                s.t2 = sink.arrival("dropout_notice", support.email_of(s.participant_id))
            return all(s.t1 and s.t2 for s in samples)
        deadline = time.monotonic() + 60
        while not arrived() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.stop.set()
        watcher.join(5)
    return samples, _stages(programme.databases, samples)


def _stages(db: dict[str, str], samples: list[Sample]) -> dict[str, float]:
    """Median ms after t0 at which each step happened, by the services' own timestamps
    (``clock.now()`` in each process, stamped inside the step's transaction)."""
    by_participant = {s.participant_id: s for s in samples}
    events = {}
    for event_id, body, created, published in _rows(
            db["attendance"], "SELECT event_id, body, created_at, published_at FROM outbox WHERE event_type = %s",
            (DROPPED_OUT,)):
        found = PARTICIPANT.search(body)
        if found and found.group(1) in by_participant:
            events[event_id] = (by_participant[found.group(1)], created, published)

    def after(sample: Sample, moment: datetime | None) -> float | None:
        return None if moment is None else (moment.timestamp() - sample.wall0) * 1000

    steps: dict[str, list[float]] = {}

    def note(name: str, value: float | None) -> None:
        if value is not None:
            steps.setdefault(name, []).append(value)

    for sample in samples:
        note("HTTP response received (200)", (sample.answered - sample.t0) * 1000)
    for sample, created, published in events.values():
        note("dropped_out written to attendance's outbox (stamped in the request's transaction)",
             after(sample, created))
        note("… outbox row marked published by the relay (after the broker's confirm)", after(sample, published))
    for service in ("billing", "notify"):
        for event_id, processed in _rows(db[service], "SELECT event_id, processed_at FROM inbox WHERE event_type = %s",
                                         (DROPPED_OUT,)):
            if event_id in events:
                note(f"… taken by {service}'s consumer (batch start)", after(events[event_id][0], processed))
    for participant_id, proposed in _rows(db["billing"], "SELECT participant_id, proposed_at FROM claims"):
        if participant_id in by_participant:
            note("… claim stamped proposed_at (before commit)", after(by_participant[participant_id], proposed))
    for recipient, created, sent in _rows(db["notify"], "SELECT recipient, created_at, sent_at FROM emails "
                                                        "WHERE template = 'dropout_notice'"):
        participant_id = recipient.split("@")[0]
        if participant_id in by_participant:
            note("… e-mail row queued by notify's handler", after(by_participant[participant_id], created))
            note("… e-mail marked sent (after the 250)", after(by_participant[participant_id], sent))
    return {name: statistics.median(values[WARMUP:] if len(values) > WARMUP else values)
            for name, values in steps.items()}


def _new_vhost() -> str:
    """A private vhost, named so that one left behind is recognisably this benchmark's."""
    name = f"po-bench-latency-{uuid.uuid4().hex[:8]}"
    for args in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
    return name


def _delete_vhost(name: str) -> None:
    """Delete it, waiting out a broker that someone is restarting."""
    for attempt in range(6):
        if subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True, timeout=60).returncode == 0:
            return
        time.sleep(5 * (attempt + 1))
    print(f"latency: could not delete the RabbitMQ vhost {name}; delete it by hand", flush=True)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _latencies(pairs: list[tuple[float, float | None]]) -> tuple[list[float], int]:
    done = [(t - t0) * 1000 for t0, t in pairs if t is not None]
    return done, len(pairs) - len(done)


def main() -> None:
    total = SAMPLES + WARMUP
    vhost = _new_vhost()
    url = amqp_url(vhost)
    tmp = Path(tempfile.mkdtemp(prefix="po-bench-latency-"))
    (tmp / "var").mkdir()
    extra_env = {"NOTIFY_TICK_SECONDS": NOTIFY_TICK} if NOTIFY_TICK else {}
    programme = LatencyProgramme(tmp, url, 0, extra_env=extra_env)
    finished = False
    try:
        with TimedSink() as sink:
            raw = latency_raw.run(url, sink, total, INTERVAL, chain=RAW_CHAIN)[WARMUP:]
            programme.smtp_port = sink.port
            programme.start()
            tick = programme.env("notify").get("NOTIFY_TICK_SECONDS") or \
                f"{min(float(programme.env()['TICK_INTERVAL']), 5.0):g} (TICK_INTERVAL)"
            samples, stages = run_project(programme, sink, total, INTERVAL)
            samples = samples[WARMUP:]
        finished = True
    finally:
        programme.stop()
        _delete_vhost(vhost)
        if finished:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"latency: failed; the services' logs are in {tmp}", flush=True)

    print(f"latency: attendance record → claim proposed / → e-mail accepted by SMTP; {SAMPLES} samples "
          f"(+{WARMUP} warm-up), one record every {INTERVAL:.2f} s; notify tick {tick} s; "
          f"raw chain {RAW_CHAIN}", flush=True)
    for label, ours, theirs in (
            ("record → claim proposed", [(s.t0, s.t1) for s in samples], [(t0, t1) for t0, t1, _ in raw]),
            ("record → e-mail accepted", [(s.t0, s.t2) for s in samples], [(t0, t2) for t0, _, t2 in raw])):
        mine, lost = _latencies(ours)
        base, base_lost = _latencies(theirs)
        if not mine or not base:
            print(f"  {label}: no samples (project missing {lost}, raw missing {base_lost})", flush=True)
            continue
        p50, p99, b50, b99 = (percentile(mine, 0.5), percentile(mine, 0.99),
                              percentile(base, 0.5), percentile(base, 0.99))
        missing = f"  MISSING project {lost} raw {base_lost}" if lost or base_lost else ""
        print(f"  {label:<25} ours p50 {p50:7.1f} ms  p99 {p99:7.1f} ms | raw pika p50 {b50:6.1f} ms  "
              f"p99 {b99:6.1f} ms | ours is {p50 / b50:.1f}× (p50) and {p99 / b99:.1f}× (p99) the raw latency"
              f"{missing}", flush=True)
    print("  where the project's time goes (median ms after the request was sent):", flush=True)
    for name, value in sorted(stages.items(), key=lambda item: item[1]):
        print(f"    {value:7.1f}  {name}", flush=True)
    claim = [(s.t1 - s.t0) * 1000 for s in samples if s.t1]
    mail = [(s.t2 - s.t0) * 1000 for s in samples if s.t2]
    if claim and mail:
        print(f"    {statistics.median(claim):7.1f}  claim seen by the 2 ms poll of billing's database (t1)", flush=True)
        print(f"    {statistics.median(mail):7.1f}  e-mail received by the SMTP sink (t2)", flush=True)


if __name__ == "__main__":
    main()
