"""RabbitMQ taken away under load — stopped, killed, out of disk: nothing lost, nothing twice.

The roster (edition and accepted teams) these tests need is their precondition, not their
subject, so it goes straight into attendance's queue: thousands of welcome e-mails would
only slow down a test about attendance's own stream of events.
"""
from __future__ import annotations

from tests.faults import support
from tests.faults.support import claims_of, wait_until

RECORDED = "attendance.attendance.recorded"


def _records_published(db, tag: str) -> set[str]:
    return db.outbox_ids("attendance", RECORDED, f'"participant_id":"{tag}')


def _unpublished_of(db, tag: str) -> int:
    return db.count("attendance", "outbox WHERE published_at IS NULL AND body LIKE %s", (f'%"{tag}%',))


def _await_roster(db, tag: str, count: int) -> None:
    wait_until(lambda: db.count("attendance", "participants WHERE participant_id LIKE %s", (f"{tag}%",)) == count,
               timeout=120, what=f"attendance to know all {count} participants")


def test_5000_records_reach_reporting_once_across_two_broker_stops_and_a_hard_kill(programme, db, staff, tag):
    with support.publisher(programme.bus_url) as publish:
        _, members_of = support.roster(publish, tag, groups=10, teams=10, size=25, only="attendance")
    _await_roster(db, tag, 2500)
    # Days I and II of ten groups of 250: 20 whole sheets, 5,000 attendance records.
    sheets = [(support.session_id(g, day), members) for day in (1, 2) for g, members in members_of.items()]

    def save(batch):
        for session, members in batch:
            response = staff.put_sheet(session, dict.fromkeys(members, True))
            assert response.status_code == 200, response.text
            assert len(response.json()["changed"]) == len(members)

    try:
        save(sheets[0:3])
        # Stopped twice: the web keeps taking sheets (their events wait in the outbox), and
        # relays and consumers, cut off mid-stream, must reconnect by themselves.
        for stop_at in (3, 9):
            support.rabbitmqctl("stop_app")
            try:
                save(sheets[stop_at:stop_at + 3])
            finally:
                support.rabbitmqctl("start_app")
            save(sheets[stop_at + 3:stop_at + 6])
        # Killed hard: no clean shutdown; quorum queues recover from their log.
        support.kill_broker_hard()
        try:
            save(sheets[15:17])
        finally:
            support.start_broker()
        save(sheets[17:])
    finally:
        support.restore_broker()

    records = _records_published(db, tag)
    assert len(records) == 5000  # one event per record, however often a relay re-sent it
    wait_until(lambda: db.inbox_hits("reporting", records) == 5000, timeout=180,
               what="every attendance.attendance.recorded in reporting's inbox")
    assert db.count("attendance", "attendance_records WHERE participant_id LIKE %s", (f"{tag}%",)) == 5000
    assert db.count("attendance", "attendance_audit WHERE participant_id LIKE %s", (f"{tag}%",)) == 5000
    # Each record's effect once: reporting's day rows, keyed by participant and session.
    assert db.count("reporting", "attendance_days WHERE participant_id LIKE %s", (f"{tag}%",)) == 5000
    for service in (*support.SERVICES_CONSUMING, "enrolment"):
        wait_until(lambda s=service: db.unpublished(s) == 0, timeout=60, what=f"{service}'s relay to drain its outbox")


def test_disk_alarm_keeps_marks_answered_and_their_events_in_the_outbox_until_it_clears(programme, db, staff, tag):
    with support.publisher(programme.bus_url) as publish:
        _, members_of = support.roster(publish, tag, groups=1, teams=4, size=10, only="attendance")
    _await_roster(db, tag, 40)
    [(group, members)] = members_of.items()
    session = support.session_id(group, 1)
    worker_log = programme.tmp / "attendance-worker.log"
    logged = worker_log.stat().st_size
    try:
        support.rabbitmqctl("set_disk_free_limit", "1000GB")  # above the free space: alarm
        wait_until(support.disk_alarm_raised, timeout=30, what="RabbitMQ to raise its disk alarm")
        for done, participant in enumerate(members, start=1):
            # Marks are still answered (the request only writes the database), and their
            # events pile up in the outbox.
            response = staff.post_mark(session, participant, True)
            assert response.status_code == 200, response.text
            assert _unpublished_of(db, tag) == done
        # The relay's blocked publish has timed out (it gave up on the broker's confirms):
        # still none of them counts as sent, none reached reporting.
        wait_until(lambda: b"relay failed" in worker_log.read_bytes()[logged:], timeout=60,
                   what="attendance's relay to give up on the blocked broker")
        assert _unpublished_of(db, tag) == len(members)
        assert db.inbox_hits("reporting", _records_published(db, tag)) == 0
    finally:
        support.rabbitmqctl("set_disk_free_limit", "50MB")
    wait_until(lambda: not support.disk_alarm_raised(), timeout=30, what="the disk alarm to clear")
    records = _records_published(db, tag)
    assert len(records) == 40
    wait_until(lambda: db.inbox_hits("reporting", records) == 40, timeout=60,
               what="every held-back event in reporting's inbox")
    assert _unpublished_of(db, tag) == 0
    assert db.count("reporting", "attendance_days WHERE participant_id LIKE %s", (f"{tag}%",)) == 40


def test_dropouts_across_a_broker_stop_and_a_hard_kill_make_one_claim_and_one_email_each(programme, db, smtp, tag):
    """The e-mail side of a broker outage: 100 withdrawals flow through attendance, billing
    and notify while RabbitMQ is stopped once and killed once; every claim and every e-mail
    exists once, and the SMTP server received each e-mail exactly once (nothing here kills
    a worker or a database, so not even a resend with the same Message-ID is allowed)."""
    participants = support.accepted_roster(programme, db, tag, teams=10, size=10)
    n = len(participants)
    with support.publisher(programme.bus_url) as publish:
        support.withdraw_all(publish, participants)
    try:
        # At once: the withdrawals are in attendance's queue, its dropouts not yet out.
        support.rabbitmqctl("stop_app")
        stopped_at = claims_of(db, tag)
        support.rabbitmqctl("start_app")
        wait_until(lambda: claims_of(db, tag) > stopped_at, timeout=60, what="claims after start_app")
        support.kill_broker_hard()
        support.start_broker()
    finally:
        support.restore_broker()
    assert stopped_at < n, "every dropout had taken effect before the broker was stopped"
    support.await_dropouts_settled(db, tag, n, timeout=180)
    support.assert_each_dropout_took_effect_once(db, smtp, tag, participants, 10, resends=False)
