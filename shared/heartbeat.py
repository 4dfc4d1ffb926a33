"""A worker's liveness, for its container's health check.

Each loop of ``python -m services.<name> worker`` (and of ``consume``, ``relay`` or ``tick``
on its own) touches a file of its own under ``VAR_DIR/heartbeat/`` while it works: the
consumer on every turn of its receive loop, the relay after every outbox query, the tick
while it waits for the next run. A loop that died, hangs in a batch, lost the broker or the
database, or a tick that does not end stops touching it. The file holds the age after which
its loop counts as stuck (the loop knows its own pace)::

    python -m shared.heartbeat notify                # the worker: consume, relay and tick
    python -m shared.heartbeat notify relay          # a container that runs the relay only

exits 0 when every named loop beat within its age, 1 (saying which and why) otherwise.
Heartbeats use the real time, never the tests' clock (shared/clock.py).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from shared.config import SERVICES, var_dir

log = logging.getLogger(__name__)

JOBS = ("consume", "relay", "tick")
# Seconds without a beat after which a loop is stuck. The consumer turns every 50 ms and the
# relay every 0.1 s when idle; a batch or a reconnection takes seconds. A tick beats while it
# waits for its next run, so its age is the longest one run of the service's jobs may take.
STALE_AFTER = {"consume": 60.0, "relay": 60.0, "tick": 300.0}


def directory() -> Path:
    return var_dir() / "heartbeat"


class Heartbeat:
    """``beat()`` (or calling it) from a loop: touches the file at most every ``every`` seconds.

    Created at the loop's start, it removes the file a previous run left: the loop counts as
    alive from its first beat on. It never raises into the loop: a file it cannot write makes
    the health check fail, which is what it is for."""

    def __init__(self, service: str, job: str, stale_after: float | None = None, *,
                 folder: Path | None = None, every: float = 1.0):
        self.path = (folder or directory()) / f"{service}.{job}"
        self.stale_after = STALE_AFTER[job] if stale_after is None else stale_after
        self.every = every
        self._last: float | None = None
        self._failing = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            self._failed(exc)

    def beat(self) -> None:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.every:
            return
        self._last = now
        try:
            try:
                os.utime(self.path)
            except FileNotFoundError:  # the first beat (or the file was removed): write it whole
                tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
                tmp.write_text(f"{self.stale_after:g}\n")
                tmp.replace(self.path)
            self._failing = False
        except OSError as exc:
            self._failed(exc)

    __call__ = beat

    def _failed(self, exc: OSError) -> None:
        if not self._failing:
            log.warning("heartbeat not written", extra={"path": str(self.path), "error": repr(exc)})
            self._failing = True


def problems(service: str, jobs=JOBS, folder: Path | None = None, now: float | None = None) -> list[str]:
    """What is wrong with ``service``'s loops ``jobs``: nothing when each beat within its age."""
    folder = folder or directory()
    now = time.time() if now is None else now
    found = []
    for job in jobs:
        path = folder / f"{service}.{job}"
        try:
            beaten = path.stat().st_mtime
            stale_after = float(path.read_text().strip())
        except FileNotFoundError:
            found.append(f"{service} {job}: no heartbeat (not started, or it never got to work)")
            continue
        except (OSError, ValueError) as exc:
            found.append(f"{service} {job}: heartbeat unreadable ({exc})")
            continue
        if now - beaten > stale_after:
            found.append(f"{service} {job}: last heartbeat {now - beaten:.0f} s ago (stuck after {stale_after:g} s)")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.heartbeat",
                                     description="Exit 0 if the service's worker loops beat recently.")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("jobs", nargs="*", metavar="job",
                        help=f"the loops the container runs, of {', '.join(JOBS)} (default: all three, the worker)")
    args = parser.parse_args(argv)
    jobs = args.jobs or list(JOBS)
    if unknown := sorted(set(jobs) - set(JOBS)):
        parser.error(f"unknown job {', '.join(unknown)} (one of {', '.join(JOBS)})")
    found = problems(args.service, jobs)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    print(f"{args.service}: {', '.join(jobs)} beating")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
