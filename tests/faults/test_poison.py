"""Poison messages on programme.events: each lands in the dead-letter store of every service
that consumes it, is shown to coordinators with its error, does not hold back the messages
behind it, and is processed by a replay once its cause is fixed."""
from __future__ import annotations

import json

import pytest

from shared.events.envelope import new_envelope
from shared.events.registry import encode
from tests.faults import support
from tests.faults.support import wait_until

ABSENT = "attendance.participant.absent"


def _dead(db, service: str, message_id: str) -> list[tuple]:
    return db.rows(service, "SELECT id, reason, attempts, status, error FROM dead_letters WHERE message_id = %s "
                            "ORDER BY id", (message_id,))


@pytest.mark.dead_letters_expected
def test_poison_messages_are_dead_lettered_shown_and_replayable_while_the_queue_flows(
        programme, db, staff, smtp, tag):
    group = f"{tag}-g00"
    edition = support.edition(f"{tag}-edition", [group])
    city = support.city_of(edition, group)
    late_team, good_team = f"{group}-a00", f"{group}-a01"
    absentee, newcomer = f"{late_team}-p00", f"{good_team}-p00"
    ids = {kind: f"{tag}-{kind}" for kind in ("bad-json", "unknown-type", "bad-payload", "handler-raises")}

    unknown = new_envelope("enrolment.member.teleported", {"participant_id": absentee},
                           producer="enrolment", schema_version=1)
    dropout = {"participant_id": absentee, "application_id": late_team, "group_id": group, "reason": "withdrawal",
               "days_attended": 1, "days_held": 2, "employer": {**support.organisation(f"{tag}-org"), "kind": "company"}}
    bad_payload = new_envelope(support.DROPPED_OUT, dropout, producer="attendance", schema_version=1)
    # Valid, but notify has never heard of this participant: its handler raises every time.
    absent = support.envelope(ABSENT, {"participant_id": absentee, "application_id": late_team, "day_number": 1,
                                       "missed_session_id": support.session_id(group, 1), "make_up_sessions": []})
    with support.publisher(programme.bus_url) as publish:
        publish.event("enrolment.edition.published", edition)
        publish.raw(b'{"event_id": "not json', "attendance.attendance.recorded", message_id=ids["bad-json"])
        publish.raw(encode(unknown), "enrolment.member.confirmed", message_id=ids["unknown-type"],
                    type_=unknown.event_type)
        publish.raw(encode(bad_payload), support.DROPPED_OUT, message_id=ids["bad-payload"])
        publish.raw(encode(absent), ABSENT, message_id=ids["handler-raises"])
        # Good messages behind the poison, for every consumer.
        publish.event("enrolment.application.accepted", support.accepted(good_team, group, city, [newcomer]))

    # Per consuming service: each poison message and a piece of the error it must be shown with.
    refused_kind = "Must be one of: local_government, ngo"
    expected = {"reporting": {"bad-json": "not JSON", "bad-payload": refused_kind},
                "notify": {"unknown-type": "unknown event type", "bad-payload": refused_kind,
                           "handler-raises": "unknown to notify"},
                "billing": {"bad-payload": refused_kind}}

    def all_dead() -> bool:
        return all(len(_dead(db, s, ids[k])) == 1 for s, kinds in expected.items() for k in kinds)

    wait_until(all_dead, timeout=90, what="every poison message in its consumers' dead-letter stores")
    for service, kinds in expected.items():
        for kind, error in kinds.items():
            [(_, reason, attempts, status, text)] = _dead(db, service, ids[kind])
            assert status == "dead" and error in text, (service, kind, text)
            # Off-contract messages are set aside at once; a raising handler gets its attempts.
            assert (reason, attempts) == (("handler_failed", 5) if kind == "handler-raises" else ("rejected", 1))
    assert not _dead(db, "attendance", ids["bad-payload"])  # not bound to dropouts: never saw it

    # The queue kept flowing: the good acceptance took effect in every service.
    wait_until(lambda: db.count("attendance", "participants WHERE participant_id = %s", (newcomer,))
               and db.count("billing", "employers WHERE organisation_id = %s", (f"{good_team}-org",))
               and db.count("reporting", "participants WHERE participant_id = %s", (newcomer,))
               and db.count("notify", "emails WHERE recipient = %s AND status = 'sent'",
                            (support.email_of(newcomer),)) == 2,
               timeout=60, what="the good messages behind the poison to take effect")

    # Coordinators see each dead letter with its error, on the page and in the API.
    for service, kinds in expected.items():
        page = staff.get(service, "/dead-letters")
        assert page.status_code == 200
        for kind, error in kinds.items():
            assert ids[kind] in page.text and error in page.text, (service, kind)
    listed = staff.get("notify", "/api/dead-letters?status=dead").json()
    [raising] = [d for d in listed if d["message_id"] == ids["handler-raises"]]
    assert "unknown to notify" in raising["error"] and json.loads(raising["body"])["event_id"] == absent.event_id

    # The fix: the absentee's team arrives. Replayed through the API, the absence e-mail goes out.
    with support.publisher(programme.bus_url) as publish:
        publish.event("enrolment.application.accepted", support.accepted(late_team, group, city, [absentee]))
    wait_until(lambda: db.count("notify", "participants WHERE participant_id = %s AND email <> ''", (absentee,)),
               timeout=60, what="notify to learn the absentee's address")
    replay = staff.post_json("notify", f"/api/dead-letters/{raising['id']}/replay")
    assert replay.status_code == 202, replay.text
    wait_until(lambda: [m for m in support.received(smtp, absentee)
                        if m.message["X-Notify-Template"] == "absence_make_up"],
               timeout=60, what="the replayed absence's e-mail at the SMTP server")
    assert db.inbox_hits("notify", {absent.event_id}) == 1
    assert [r[3] for r in _dead(db, "notify", ids["handler-raises"])] == ["replayed"]

    # A replay of a message nothing can fix (coordinator's form, CSRF token and all) sets it
    # aside again: a new dead letter, never a loop, never lost.
    [(bad_json_id, *_)] = _dead(db, "reporting", ids["bad-json"])
    posted = staff.post_form("reporting", "/dead-letters", f"/dead-letters/{bad_json_id}/replay")
    assert posted.status_code == 302, posted.text
    wait_until(lambda: len(_dead(db, "reporting", ids["bad-json"])) == 2, timeout=60,
               what="the replayed bad JSON back among the dead letters")
    assert [r[3] for r in _dead(db, "reporting", ids["bad-json"])] == ["replayed", "dead"]

    support.await_mail_settled(db, tag)
    templates = support.assert_mail_matches_notify(db, smtp, tag)
    assert templates == {"application_accepted": 4, "esf_data_request": 2, "absence_make_up": 1}
