"""A consumer process that crashes on one message, again and again (ARCHITECTURE.md, Poison
and delivery limits): the broker's delivery limit must dead-letter that message alone, not
the innocent ones it had prefetched alongside it, and the queue must keep flowing."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from shared.messaging.connection import connect
from shared.messaging.relay import wait_for
from tests.bus import probe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIMIT = 3


def _relay_all(source):
    while source.relay().relay_once():
        pass


def test_a_crash_looping_consumer_dead_letters_only_the_poison(rabbitmq_stack):
    stack = rabbitmq_stack
    source = probe.producer(stack.database_url("source"), stack.bus_url)
    sink = probe.consumer(stack.database_url("sink"), stack.bus_url, broker_delivery_limit=LIMIT)
    conn = connect(stack.bus_url)
    sink.consumer().declare(conn)  # the queue exists (with its limit) before anything is published
    conn.release()
    # 20 innocents with the poison 6th: one batch of 10 holds innocents before and after it,
    # and the prefetch of 30 has the rest in flight too.
    sessions = [str(i) for i in range(5)] + ["poison"] + [str(i) for i in range(5, 20)]
    ids = probe.write_events(source, len(sessions), sessions=sessions)
    poison_id, innocent_ids = ids[5], ids[:5] + ids[6:]
    _relay_all(source)

    def poison_dead():
        return [row for row in probe.dead_letters(sink) if row.message_id == poison_id]

    env = {**os.environ, "PYTHONPATH": ROOT, "BUS_DELIVERY_LIMIT": str(LIMIT), "BUS_PREFETCH": "30"}
    crashes, child = 0, None
    try:
        deadline = time.monotonic() + 120
        while not poison_dead():
            assert time.monotonic() < deadline, f"poison not dead-lettered after {crashes} crashes"
            if child is None or child.poll() is not None:
                if child is not None:
                    assert child.returncode == 1, f"the worker died otherwise: {child.returncode}"
                    crashes += 1
                assert crashes <= 2 * LIMIT, "the worker keeps crashing past the delivery limit"
                child = subprocess.Popen([sys.executable, "-m", "tests.bus.crash_worker", sink.settings.database_url,
                                          stack.bus_url, "10"], cwd=ROOT, env=env)
            time.sleep(0.1)
        # The broker took it out after LIMIT returns; the worker does not crash again.
        assert crashes >= LIMIT
        [dead] = poison_dead()
        assert dead.reason == "delivery_limit"
        assert "broker" in dead.error
        assert wait_for(lambda: probe.effect_counts(sink) == (len(innocent_ids), len(innocent_ids)), timeout=30), \
            f"innocents: {probe.effect_counts(sink)} effects, dead letters {probe.dead_letters(sink)}"
        # The queue keeps flowing: a later event takes effect, with the same worker process.
        [later] = probe.write_events(source, 1, sessions=["later"])
        _relay_all(source)
        assert wait_for(lambda: probe.effect_counts(sink)[0] == len(innocent_ids) + 1, timeout=30)
        assert child.poll() is None, "the worker crashed after the poison was gone"
    finally:
        if child is not None:
            child.kill()
            child.wait(timeout=30)
    with sink.db.reading() as c:
        handled = {row.event_id for row in c.execute(sink.effects.select())}
    assert handled == set(innocent_ids) | {later}
    assert probe.effect_counts(sink) == (len(innocent_ids) + 1, len(innocent_ids) + 1)  # each exactly once
    assert [row.message_id for row in probe.dead_letters(sink)] == [poison_id]  # no innocent dead-lettered
    source.relay().publisher.close()
