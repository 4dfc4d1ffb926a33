"""Consumers and their database taken away while dropouts flow: killed workers, a restarted
PostgreSQL. Every dropout still makes one claim and one e-mail."""
from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

from tests.faults import support
from tests.faults.support import claims_of, dropout_notices_of, wait_until

TEAMS, SIZE = 25, 10  # 250 participants, who all withdraw


def _kill_mid_batch(programme, worker: str, done, total: int) -> tuple[int, int]:
    """Start the worker on its backlog and SIGKILL it just after a batch committed, while
    it still holds delivered but unacked messages. Returns (effects, unacked) at the kill.

    The worker runs in 20 ms slices (SIGCONT … SIGSTOP) until effects have appeared and the
    broker counts messages delivered to it and not acked: a frozen worker acks nothing, so
    those die with it. The backlog is larger than the prefetch window (200), so messages
    are still unacked after the first batches."""
    programme.start_worker(worker)
    process = programme.workers[worker]
    process.send_signal(signal.SIGSTOP)
    queue = f"{worker}.events"
    deadline = time.monotonic() + 120
    try:
        while True:
            assert time.monotonic() < deadline, f"{worker} took nothing from its backlog"
            process.send_signal(signal.SIGCONT)
            time.sleep(0.02)
            process.send_signal(signal.SIGSTOP)
            effects = done()
            # The precondition of the test: killed after some effects, with work in its hands.
            assert effects < total, f"{worker} did all {total} before it could be caught mid-stream"
            if effects and (held := support.unacked(programme.bus_url, queue)):
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return effects, held


def test_consumer_workers_killed_mid_batch_make_one_claim_and_one_email_per_dropout(programme, db, smtp, tag):
    # Billing and notify are down from the start: the teams' acceptances, the withdrawals
    # and attendance's dropouts wait for them — more messages than one prefetch window.
    programme.kill_worker("billing")
    programme.kill_worker("notify")
    with support.publisher(programme.bus_url) as publish:
        _, members_of = support.roster(publish, tag, groups=1, teams=TEAMS, size=SIZE)
        participants = [p for members in members_of.values() for p in members]
        n = len(participants)
        wait_until(lambda: db.count("attendance", "participants WHERE participant_id LIKE %s", (f"{tag}%",)) == n,
                   timeout=120, what="attendance to know the teams")
        support.withdraw_all(publish, participants)
    # billing: the edition (its claim policy), the acceptances, the dropouts; notify: the edition,
    # the acceptances, reporting's ESF deadline for each, the withdrawals, the dropouts
    wait_until(lambda: support.queue_depth(programme.bus_url, "billing.events") == 1 + TEAMS + n
               and support.queue_depth(programme.bus_url, "notify.events") == 1 + TEAMS + 3 * n,
               timeout=120, what="the backlog of billing and notify (acceptances, withdrawals, dropouts)")

    _kill_mid_batch(programme, "billing", lambda: claims_of(db, tag), n)
    _kill_mid_batch(programme, "notify", lambda: dropout_notices_of(db, tag), n)
    programme.start_worker("billing")
    programme.start_worker("notify")

    support.await_dropouts_settled(db, tag, n)
    support.assert_each_dropout_took_effect_once(db, smtp, tag, participants, TEAMS)


def test_postgresql_restarted_while_dropouts_flow_loses_and_doubles_nothing(programme, db, smtp, tag):
    participants = support.accepted_roster(programme, db, tag, 10, SIZE)
    n = len(participants)
    with ThreadPoolExecutor(1) as pool:
        publishing = pool.submit(_withdraw_steadily, programme.bus_url, participants)
        try:
            wait_until(lambda: claims_of(db, tag) > 0, timeout=60, what="the first claims", interval=0.05)
            # One PostgreSQL server holds every service's database here (one database per
            # service, as in production, but on one server): the restart cuts them all at
            # once. Consumers hold their batch unacked and retry it; relays and ticks retry;
            # the test keeps publishing withdrawals meanwhile.
            assert not publishing.done(), "the withdrawals were all published before the restart"
            at_restart = claims_of(db, tag)
            support.restart_postgresql()
        finally:
            if not support.postgresql_up(programme.databases["billing"]):
                support.restart_postgresql()
        publishing.result()
    assert at_restart < n
    support.await_dropouts_settled(db, tag, n)
    support.assert_each_dropout_took_effect_once(db, smtp, tag, participants, 10)


def _withdraw_steadily(bus_url: str, participants: list[str]) -> None:
    with support.publisher(bus_url) as publish:
        support.withdraw_all(publish, participants, pace=0.04)
