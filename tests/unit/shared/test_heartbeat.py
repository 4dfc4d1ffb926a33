"""shared.heartbeat: the worker loops' liveness that the worker containers' health check reads."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from shared import heartbeat
from shared.heartbeat import Heartbeat
from shared.testing.harness import ServiceHarness

ROOT = Path(__file__).resolve().parents[3]


def check(var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shared.heartbeat", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"PATH": os.environ["PATH"], "VAR_DIR": str(var_dir)})


def test_the_check_fails_with_no_heartbeat_or_an_old_one_and_passes_with_fresh_ones(tmp_path):
    missing = check(tmp_path, "billing")
    assert missing.returncode == 1
    assert "billing consume: no heartbeat" in missing.stderr and "billing tick: no heartbeat" in missing.stderr

    folder = tmp_path / "heartbeat"
    for job in heartbeat.JOBS:
        Heartbeat("billing", job, folder=folder).beat()
    fresh = check(tmp_path, "billing")
    assert fresh.returncode == 0, fresh.stderr

    an_hour_ago = time.time() - 3600
    os.utime(folder / "billing.relay", (an_hour_ago, an_hour_ago))
    old = check(tmp_path, "billing")
    assert old.returncode == 1 and "billing relay: last heartbeat 3600 s ago (stuck after 60 s)" in old.stderr
    assert "consume" not in old.stderr and "tick" not in old.stderr
    # a container running only some of the loops names them
    assert check(tmp_path, "billing", "consume", "tick").returncode == 0
    assert check(tmp_path, "billing", "relay").returncode == 1
    assert check(tmp_path, "notify").returncode == 1  # another service's heartbeats are its own
    assert check(tmp_path, "billing", "sleep").returncode == 2  # no such loop


def test_a_heartbeat_left_by_an_earlier_run_does_not_count(tmp_path):
    Heartbeat("notify", "tick", folder=tmp_path).beat()
    assert heartbeat.problems("notify", ["tick"], tmp_path) == []
    Heartbeat("notify", "tick", folder=tmp_path)  # the loop starting again: alive from its first beat
    assert heartbeat.problems("notify", ["tick"], tmp_path) == ["notify tick: no heartbeat (not started, or it "
                                                                 "never got to work)"]


def test_each_worker_loop_beats_while_it_works_and_not_when_it_is_stuck_or_gone(tmp_path):
    """The real consumer, relay and tick loops of a service on the embedded bus, with
    heartbeats that count as stuck after a second."""
    h = ServiceHarness("attendance", f"sqlite:///{tmp_path}/attendance.sqlite",
                       f"sqlite-bus:///{tmp_path}/bus.sqlite", tick_interval=0.1)
    hold, held = threading.Event(), threading.Event()

    def a_tick_that_can_hang(kit):
        if hold.is_set():
            held.set()
            _wait_for_release(hold)

    h.kit.ticks.append(a_tick_that_can_hang)
    relay = h.kit.relay()
    relay_once, relay_fails = relay.relay_once, threading.Event()

    def failing_relay_once():
        if relay_fails.is_set():
            raise ConnectionError("broker away")
        return relay_once()

    relay.relay_once = failing_relay_once
    folder = tmp_path / "heartbeat"
    stop = threading.Event()
    loops = {"consume": h.consumer.run, "relay": relay.run, "tick": h.kit.run_ticks}
    threads = [threading.Thread(target=run, args=(stop, Heartbeat("attendance", job, 1.0, folder=folder, every=0.05)),
                                daemon=True) for job, run in loops.items()]
    for thread in threads:
        thread.start()
    try:
        assert eventually(lambda: heartbeat.problems("attendance", folder=folder) == [])

        hold.set()  # a tick run that does not end
        assert held.wait(10)
        assert eventually(lambda: heartbeat.problems("attendance", folder=folder) != [])
        stuck = heartbeat.problems("attendance", folder=folder)
        assert len(stuck) == 1 and stuck[0].startswith("attendance tick: last heartbeat"), stuck
        hold.clear()
        assert eventually(lambda: heartbeat.problems("attendance", folder=folder) == [])

        relay_fails.set()  # the relay cannot publish: it retries, and beats no more
        assert eventually(lambda: [p.split(":")[0] for p in heartbeat.problems("attendance", folder=folder)]
                          == ["attendance relay"])
        relay_fails.clear()
        assert eventually(lambda: heartbeat.problems("attendance", folder=folder) == [])
    finally:
        stop.set()
        hold.clear()
        for thread in threads:
            thread.join(timeout=15)
    # the worker gone: every loop's heartbeat goes stale
    assert eventually(lambda: len(heartbeat.problems("attendance", folder=folder)) == 3)


def _wait_for_release(hold: threading.Event) -> None:
    """Until ``hold`` is cleared (at most 30 s)."""
    deadline = time.monotonic() + 30
    while hold.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)


def eventually(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
