"""The same events delivered twice and out of order end where once and in order ends.

Two cohorts live the same story: "inorder" gets every event once, in order; "shuffled" gets
the enrolment events out of order (acceptances before the schedule, the schedule's
revision 2 before revision 1), each delivered twice, one acceptance re-published under a
new event id (a producer's retry), and attendance's dropouts delivered again — the same
message, and the same fact under a new event id. Both cohorts' end states, read from every
service's database and from the SMTP sink with the cohort's name taken out, are equal.
"""
from __future__ import annotations

import json
from collections import Counter

from tests.faults import support
from tests.faults.support import wait_until

DROPPED_OUT = support.DROPPED_OUT


def _story(cohort: str) -> tuple[list[tuple[str, dict]], str, list[str]]:
    """(events in their natural order, group, participants) of one cohort."""
    group = f"{cohort}-g00"
    teams = {f"{group}-a{t:02d}": [f"{group}-a{t:02d}-p{m:02d}" for m in range(4)] for t in range(2)}
    rev1 = support.edition(f"{cohort}-edition", [group])
    rev2 = support.edition(f"{cohort}-edition", [group], revision=2, day3_shift_days=1)
    city = support.city_of(rev1, group)
    events = [("enrolment.edition.published", rev1), ("enrolment.edition.published", rev2)]
    events += [("enrolment.application.accepted", support.accepted(a, group, city, members))
               for a, members in teams.items()]
    leaver = teams[f"{group}-a01"][3]
    events.append(("enrolment.member.withdrawn", support.withdrawn(support.application_of(leaver), leaver)))
    return events, group, [p for members in teams.values() for p in members]


def _sheets(staff, group: str, participants: list[str]) -> None:
    """Days I and II: everyone still in is present, except one absent both days (a dropout:
    with one group there is no session to make day I up in)."""
    absent = participants[1]
    for day in (1, 2):
        marks = {p: p != absent for p in participants[:-1]}  # the last one withdrew
        response = staff.put_sheet(support.session_id(group, day), marks)
        assert response.status_code == 200, response.text


def _settled(programme, db, cohort: str) -> bool:
    return (len(db.outbox_ids("attendance", DROPPED_OUT, f'"participant_id":"{cohort}')) == 2
            and support.claims_of(db, cohort) == 2
            and not db.count("notify", "emails WHERE recipient LIKE %s AND status <> 'sent'", (f"%{cohort}%",))
            and all(db.unpublished(s) == 0 for s in support.SERVICES_CONSUMING)
            and support.queues_idle(programme.bus_url))


def _end_state(db, smtp, cohort: str) -> dict:
    """Everything the cohort left behind, with its name replaced, without times and ids."""
    like = (f"{cohort}%",)
    state = {
        "attendance.participants": db.rows("attendance", "SELECT participant_id, status FROM participants "
                                                          "WHERE participant_id LIKE %s", like),
        "attendance.sessions": db.rows("attendance", "SELECT session_id, day_number, starts_at::date, revision, active "
                                                      "FROM sessions WHERE session_id LIKE %s", like),
        "attendance.records": db.rows("attendance", "SELECT participant_id, session_id, present FROM attendance_records "
                                                     "WHERE participant_id LIKE %s", like),
        "attendance.outcomes": db.rows("attendance", "SELECT participant_id, kind, day_number, reason, cleared_at IS NULL "
                                                      "FROM published_outcomes WHERE participant_id LIKE %s", like),
        "attendance.events": db.rows("attendance", "SELECT event_type, count(*) FROM outbox WHERE body LIKE %s "
                                                    "GROUP BY event_type", (f"%{cohort}%",)),
        "billing.claims": db.rows("billing", "SELECT participant_id, status, reason, days_held, proposed_amount "
                                              "FROM claims WHERE participant_id LIKE %s", like),
        "billing.employers": db.rows("billing", "SELECT organisation_id, name, kind FROM employers "
                                                 "WHERE organisation_id LIKE %s", like),
        "notify.participants": db.rows("notify", "SELECT participant_id, status, email FROM participants "
                                                  "WHERE participant_id LIKE %s", like),
        "notify.emails": db.rows("notify", "SELECT template, recipient, cause_key, status FROM emails "
                                            "WHERE recipient LIKE %s", (f"%{cohort}%",)),
        "reporting.participants": db.rows("reporting", "SELECT participant_id, status, exit_status, entry_date, "
                                                        "exit_date FROM participants WHERE participant_id LIKE %s", like),
        "reporting.days": db.rows("reporting", "SELECT participant_id, session_id, present FROM attendance_days "
                                                "WHERE participant_id LIKE %s", like),
        "smtp": [(m.recipients[0], str(m.message["X-Notify-Template"])) for m in support.received(smtp, cohort)],
    }
    anonymous = json.loads(json.dumps(state, default=str).replace(cohort, "COHORT"))
    return {key: Counter(json.dumps(row) for row in rows) for key, rows in anonymous.items()}


def test_duplicated_and_reordered_events_end_in_the_same_state_as_once_in_order(programme, db, staff, smtp, tag):
    inorder, shuffled = f"{tag}-inorder", f"{tag}-shuffled"
    story_a, group_a, people_a = _story(inorder)
    story_b, group_b, people_b = _story(shuffled)
    with support.publisher(programme.bus_url) as publish:
        for event_type, payload in story_a:
            publish.event(event_type, payload)
        # Acceptances before the schedule, revision 2 before revision 1, every message twice.
        # The withdrawal stays last: notify learning of it before the acceptance would rightly
        # skip the leaver's welcome e-mails, which is another story than a reordered one.
        *enrolment, withdrawal = story_b
        envelopes = [support.envelope(t, p) for t, p in [*reversed(enrolment), withdrawal]]
        for env in envelopes + envelopes:
            publish.envelope(env)
        accepted = next(e for e in envelopes if e.event_type == "enrolment.application.accepted")
        publish.envelope(support.same_fact_again(accepted.event_type, accepted.payload))  # a producer's retry

    for cohort in (inorder, shuffled):
        wait_until(lambda c=cohort: db.scalar("attendance", "SELECT count(*) FROM participants p JOIN applications a "
                                                            "USING (application_id) WHERE p.participant_id LIKE %s "
                                                            "AND a.group_id IS NOT NULL", (f"{c}%",)) == 8
                   and db.count("attendance", "sessions WHERE session_id LIKE %s AND revision = 2", (f"{c}%",)) == 3,
                   timeout=60, what=f"attendance to know {cohort}'s teams and schedule revision 2")
    _sheets(staff, group_a, people_a)
    _sheets(staff, group_b, people_b)
    wait_until(lambda: len(db.outbox_ids("attendance", DROPPED_OUT, f'"participant_id":"{shuffled}')) == 2
               and db.unpublished("attendance") == 0, timeout=60, what="attendance to publish the dropouts")

    # Attendance's dropouts once more: the very messages (a redelivery), and the same facts
    # under new event ids (a producer that published twice).
    bodies = [r[0] for r in db.rows("attendance", "SELECT body FROM outbox WHERE event_type = %s AND body LIKE %s",
                                    (DROPPED_OUT, f'%"participant_id":"{shuffled}%'))]
    again = []
    with support.publisher(programme.bus_url) as publish:
        for body in bodies:
            sent = json.loads(body)
            publish.raw(body.encode(), DROPPED_OUT, message_id=sent["event_id"])
            again.append(support.same_fact_again(DROPPED_OUT, sent["payload"]))
            publish.envelope(again[-1])
    for service in ("billing", "notify", "reporting"):
        wait_until(lambda s=service: db.inbox_hits(s, {e.event_id for e in again}) == len(again), timeout=60,
                   what=f"{service} to take the re-published dropouts")

    for cohort in (inorder, shuffled):
        wait_until(lambda c=cohort: _settled(programme, db, c), timeout=120, what=f"{cohort} to settle")
    once, twice = _end_state(db, smtp, inorder), _end_state(db, smtp, shuffled)
    # What the story must produce (two equal wrong states must not pass).
    assert sum(once["billing.claims"].values()) == 2
    assert sum(once["smtp"].values()) == 2 + 8 + 8 + 2  # contacts, welcomes, ESF requests, dropouts
    assert sum(once["reporting.days"].values()) == 14
    for key in once:
        assert twice[key] == once[key], key
    # And nothing was dead-lettered on the way (checked by the fixture).
