"""The load generator of bench/http.py: plain sockets, requests prepared as bytes beforehand,
so the client costs little CPU next to the server it measures.

A *script* is what one client (thread) sends: a list of jobs, each a pair of prepared
requests it alternates between (the write and the write that undoes it, so every request
changes something), and how many changed lines each answer must report (None: only
check the status). A client never shares a job with another one, so it always knows the
state its next request changes.

Closed loop (``saturate``): P processes × T threads send back to back for a duration.
Open loop (``paced``): request i is due at t0 + i/rate whether or not earlier ones are
done; its latency runs from when it was due (no coordinated omission).
"""
from __future__ import annotations

import json
import multiprocessing
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Job:
    requests: tuple[bytes, bytes]
    expect_changed: int | None = None
    expect_status: int | None = None  # set: this status is the right answer (a refusal), not a 2xx


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, of requests in the window
    errors: dict[str, int] = field(default_factory=dict)  # kind -> count
    samples: list[str] = field(default_factory=list)  # a few error details
    window: float = 0.0

    def merge(self, other: Result) -> None:
        self.latencies.extend(other.latencies)
        for kind, n in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + n
        self.samples.extend(other.samples[: max(0, 5 - len(self.samples))])

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {detail[:300]}")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.window if self.window else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def request(method: str, path: str, body: dict | None = None, cookie: str | None = None,
            host: str = "127.0.0.1") -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json",
             f"Content-Length: {len(data)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


class Connection:
    """One HTTP/1.1 connection, reopened whenever the server closes it (gunicorn's sync
    workers close after every response)."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None

    def exchange(self, raw: bytes, timeout: float = 30) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.sock
        try:
            sock.sendall(raw)
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed before the headers")
                buf += chunk
            head, _, body = buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            length, close = None, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length is None:  # the body runs to the end of the connection
                close = True
                while chunk := sock.recv(65536):
                    body += chunk
            else:
                while len(body) < length:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("closed within the body")
                    body += chunk
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _check(result: Result, status: int, body: bytes, job: Job) -> bool:
    """True when the answer is the 2xx write it should be (or the refusal it should be)."""
    if job.expect_status is not None:
        if status != job.expect_status:
            result.error(f"HTTP {status}", body.decode(errors="replace"))
            return False
        return True
    if not 200 <= status < 300:
        result.error(f"HTTP {status}", body.decode(errors="replace"))
        return False
    if job.expect_changed is not None:
        changed = len(json.loads(body).get("changed", ()))
        if changed != job.expect_changed:
            result.error("wrote nothing" if changed == 0 else "wrote less",
                         f"{changed} of {job.expect_changed} changed")
            return False
    return True


def _closed_loop(port: int, script: list[Job], start: float, measure_from: float, end: float,
                 result: Result) -> None:
    conn = Connection(port)
    variant = [0] * len(script)
    i = 0
    while time.time() < start:
        time.sleep(0.001)
    while True:
        sent = time.time()
        if sent >= end:
            break
        k = i % len(script)
        job = script[k]
        try:
            status, body = conn.exchange(job.requests[variant[k]])
        except OSError as exc:
            result.error(type(exc).__name__, str(exc))
            time.sleep(0.01)
            continue
        done = time.time()
        if _check(result, status, body, job):
            variant[k] ^= 1  # the write happened: the next one undoes it
        if sent >= measure_from and done <= end:
            result.latencies.append(done - sent)
        i += 1
    conn.close()


def _process(port: int, scripts: list[list[Job]], start: float, warmup: float, duration: float, out) -> None:
    results = [Result() for _ in scripts]
    threads = [threading.Thread(target=_closed_loop, args=(port, s, start, start + warmup, start + warmup + duration, r))
               for s, r in zip(scripts, results, strict=True)]
    out.send(_run_all(threads, results, duration))
    out.close()


def saturate(port: int, scripts: list[list[Job]], processes: int, warmup: float, duration: float) -> Result:
    """Every script a closed-loop client (one connection each), spread over ``processes``."""
    context = multiprocessing.get_context("spawn")
    start = time.time() + 1.5  # time for the processes to start
    workers, pipes = [], []
    for p in range(processes):
        ours = scripts[p::processes]
        receiver, sender = context.Pipe(duplex=False)
        proc = context.Process(target=_process, args=(port, ours, start, warmup, duration, sender), daemon=True)
        proc.start()
        sender.close()
        workers.append(proc)
        pipes.append(receiver)
    total = Result(window=duration)
    for receiver in pipes:
        total.merge(receiver.recv())
    for proc in workers:
        proc.join(10)
    return total


def paced(port: int, scripts: list[list[Job]], rate: float, warmup: float, duration: float,
          grace: float = 2.0) -> Result:
    """Open loop at ``rate`` requests/s: request i is due at t0 + i/rate and goes to client
    i mod len(scripts); a client late with one request sends the next at once. Whatever is
    not sent by ``grace`` seconds after the end counts as an error ("not sent in time"): the
    server fell that far behind, and the latencies of the rest are then a lower bound."""
    n = len(scripts)
    start = time.time() + 0.2
    end = start + warmup + duration
    results = [Result() for _ in scripts]

    def client(c: int) -> None:
        conn = Connection(port)
        script, result = scripts[c], results[c]
        variant = [0] * len(script)
        i = c  # the global sequence numbers this client owns: c, c+n, c+2n, …
        turn = 0
        while True:
            due = start + i / rate
            if due >= end:
                break
            if time.time() > end + grace:
                missed = len(range(i, int((end - start) * rate), n))
                result.errors["not sent in time"] = result.errors.get("not sent in time", 0) + missed
                break
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            k = turn % len(script)
            job = script[k]
            try:
                status, body = conn.exchange(job.requests[variant[k]])
            except OSError as exc:
                result.error(type(exc).__name__, str(exc))
                status = None
            done = time.time()
            if status is not None and _check(result, status, body, job):
                variant[k] ^= 1
            if due >= start + warmup:
                result.latencies.append(done - due)
            i += n
            turn += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(n)]
    return _run_all(threads, results, duration)


def _run_all(threads: list[threading.Thread], results: list[Result], duration: float) -> Result:
    """Start the client threads, wait for them, and merge what they measured."""
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Result(window=duration)
    for r in results:
        total.merge(r)
    return total
