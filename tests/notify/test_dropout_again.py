"""One dropout notice per dropout. A participant reinstated (a correction, a moved session, a
changed make-up rule) who drops out again later has dropped out anew: billing proposes a claim
again, even one waived for the first dropout, and the new notice states the claim as billing now
says it. The same dropout again (redelivered, republished) sends nothing; a notice not sent yet
when the reinstatement arrives is cancelled."""
from __future__ import annotations

from tests.notify import data
from tests.notify.data import at

WAIVED_BY_COORDINATOR = "the employer covered the costs otherwise"


def _accepted_in_parnu(h):
    at(2019, 3, 15, 9, 0)
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu"))
    for n in range(1, 5):
        h.deliver("reporting.esf_data.completed", {"participant_id": f"tori-p{n}"})
    h.tick()


def _dropped_out(days_held: int, days_attended: int = 0) -> dict:
    return {"participant_id": "tori-p1", "application_id": "app-tori", "group_id": data.GROUP["Pärnu"],
            "reason": "absence", "days_attended": days_attended, "days_held": days_held,
            "employer": data.employer("tori"), "first_name": "Liige1", "last_name": "Tori"}


def _reinstated(reason: str = "correction") -> dict:
    return {"participant_id": "tori-p1", "application_id": "app-tori", "group_id": data.GROUP["Pärnu"],
            "reason": reason}


def _proposed(days_held: int) -> dict:
    return {"claim_id": "claim-tori-p1", "participant_id": "tori-p1", "application_id": "app-tori",
            "employer": data.employer("tori"), "amount_gross": f"{256 * days_held}.00", "days_held": days_held,
            "cap": "768.00", "daily_rate": "256.00"}


def _waived(reason: str = WAIVED_BY_COORDINATOR) -> dict:
    return {"claim_id": "claim-tori-p1", "participant_id": "tori-p1", "reason": reason, "cap": "768.00",
            "daily_rate": "256.00"}


def _notices(smtp):
    return smtp.to("liige1@tori.ee", "dropout_notice")


def _outbox(h) -> list[dict]:
    h.login("coordinator")
    return h.client.get("/api/emails?template=dropout_notice").get_json()


def test_a_second_dropout_after_a_reinstatement_gets_its_own_notice_with_the_claim_billing_now_proposes(
        notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    smtp.clear()

    at(2019, 4, 17, 18, 0)  # Pärnu's day I lost: out
    first = _dropped_out(days_held=1)
    h.deliver("attendance.participant.dropped_out", first)
    at(2019, 4, 17, 18, 1)
    h.deliver("billing.claim.proposed", _proposed(1))
    at(2019, 4, 18, 9, 0)  # the coordinator waives it before the notice went
    h.deliver("billing.claim.waived", _waived())
    h.tick()
    notice, = _notices(smtp)
    assert "Korraldajad ei nõua teie tööandjalt (Tori Vallavalitsus) koolituskulude hüvitamist" in notice.text

    at(2019, 4, 18, 10, 0)
    h.deliver("attendance.participant.dropped_out", first)  # the same dropout again (a new event id)
    h.tick()
    assert len(_notices(smtp)) == 1

    at(2019, 4, 20, 9, 0)  # the absence was recorded by mistake: reinstated
    h.deliver("attendance.participant.reinstated", _reinstated())
    h.tick()
    assert len(_notices(smtp)) == 1  # nothing to tell: the notice went before

    at(2019, 5, 22, 18, 0)  # dropped out again later: Pärnu's day III missed, nowhere to make it up
    second = _dropped_out(days_held=3, days_attended=2)
    h.deliver("attendance.participant.dropped_out", second)
    h.tick()
    # Not yet: the waiver notify knows is the first dropout's; billing proposes the claim again.
    assert len(_notices(smtp)) == 1
    at(2019, 5, 22, 18, 1)
    h.deliver("billing.claim.proposed", _proposed(3))
    h.tick()
    first_notice, again = _notices(smtp)
    assert again.subject == "Teie osalemine arenguprogrammis on lõppenud"
    assert "Toimunud koolituspäevi: 3" in again.text and "Neist osalesite: 2" in again.text
    assert "kuni 768,00 € ulatuses koos käibemaksuga" in again.text and "ei nõua" not in again.text

    at(2019, 5, 23, 9, 0)
    h.deliver("attendance.participant.dropped_out", second)  # republished: nothing more
    h.deliver("billing.claim.proposed", _proposed(3))
    h.tick()
    assert len(_notices(smtp)) == 2
    assert sorted(e["status"] for e in _outbox(h)) == ["sent", "sent"]


def test_a_second_dropout_whose_claim_stands_is_told_at_once_and_a_later_waiver_is_stated(notify, smtp):
    """A claim approved before the reinstatement stands again (billing publishes nothing): the
    notice states it; the coordinator's waiver of the new dropout, before the notice went, is stated."""
    h = notify()
    _accepted_in_parnu(h)
    smtp.clear()
    at(2019, 4, 17, 18, 0)
    h.deliver("attendance.participant.dropped_out", _dropped_out(days_held=1))
    at(2019, 4, 17, 18, 1)
    h.deliver("billing.claim.proposed", _proposed(1))
    h.tick()
    at(2019, 4, 20, 9, 0)
    h.deliver("attendance.participant.reinstated", _reinstated("schedule_change"))
    at(2019, 4, 30, 18, 0)
    h.deliver("attendance.participant.dropped_out", _dropped_out(days_held=2, days_attended=1))
    h.tick()
    _first, again = _notices(smtp)
    assert "kuni 768,00 € ulatuses" in again.text and "Toimunud koolituspäevi: 2" in again.text

    at(2019, 5, 22, 18, 0)  # reinstated and out once more; the temporary SMTP failure holds the notice back
    h.deliver("attendance.participant.reinstated", _reinstated("policy_change"))
    at(2019, 5, 23, 18, 0)
    smtp.refuse_next("451 4.3.0 Try again later")
    h.deliver("attendance.participant.dropped_out", _dropped_out(days_held=3, days_attended=2))
    h.tick()
    at(2019, 5, 23, 18, 1)
    h.deliver("billing.claim.waived", _waived())
    at(2019, 5, 23, 20, 0)
    h.tick()
    third = _notices(smtp)[2]
    assert "Korraldajad ei nõua teie tööandjalt" in third.text and "768" not in third.text
    assert len(_notices(smtp)) == 3


def test_a_notice_not_sent_when_the_reinstatement_arrives_is_cancelled(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    smtp.clear()
    at(2019, 4, 17, 18, 0)
    h.deliver("attendance.participant.dropped_out", _dropped_out(days_held=1))
    proposal = h.envelope("billing.claim.proposed", _proposed(1))  # billing's, delivered late
    h.tick()
    assert _notices(smtp) == []  # waiting for billing's claim
    at(2019, 4, 17, 18, 30)  # corrected the same evening: billing withdraws its claim
    h.deliver("attendance.participant.reinstated", _reinstated())
    h.deliver(envelope=proposal)
    h.tick()
    assert _notices(smtp) == []
    assert [e["status"] for e in _outbox(h)] == ["cancelled"]

    # Queued, held back by a temporary SMTP failure: cancelled too.
    at(2019, 4, 30, 18, 0)
    smtp.refuse_next("451 4.3.0 Try again later")
    h.deliver("attendance.participant.dropped_out", _dropped_out(days_held=2, days_attended=1))
    at(2019, 4, 30, 18, 1)
    h.deliver("billing.claim.proposed", _proposed(2))
    h.tick()
    assert _notices(smtp) == []
    at(2019, 4, 30, 18, 2)
    h.deliver("attendance.participant.reinstated", _reinstated())
    at(2019, 4, 30, 20, 0)
    h.tick()
    assert _notices(smtp) == []
    assert [e["status"] for e in _outbox(h)] == ["cancelled", "cancelled"]


def test_a_dropout_older_than_a_reinstatement_handled_first_sends_nothing(notify, smtp):
    h = notify()
    _accepted_in_parnu(h)
    smtp.clear()
    at(2019, 4, 17, 18, 0)
    dropout = h.envelope("attendance.participant.dropped_out", _dropped_out(days_held=1))
    at(2019, 4, 17, 18, 1)
    proposal = h.envelope("billing.claim.proposed", _proposed(1))
    at(2019, 4, 18, 9, 0)
    h.deliver("attendance.participant.reinstated", _reinstated())
    h.deliver(envelope=dropout)  # delivered after it (no order on the bus)
    h.deliver(envelope=proposal)
    h.tick()
    assert _notices(smtp) == [] and _outbox(h) == []
    at(2019, 5, 22, 18, 0)  # a dropout after the reinstatement is one: told once
    h.deliver("attendance.participant.dropped_out", _dropped_out(days_held=3, days_attended=2))
    at(2019, 5, 22, 18, 1)
    h.deliver("billing.claim.proposed", _proposed(3))
    h.tick()
    notice, = _notices(smtp)
    assert "Toimunud koolituspäevi: 3" in notice.text
