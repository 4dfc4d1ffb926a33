"""A make-up booking is published with it (notify reminds the guest of the session), and so is its cancellation."""
from __future__ import annotations

from .builders import at, attend, mark, session_id, setup_2019

PARNU_2, TARTU_2, RAKVERE_2 = session_id("Pärnu", 2), session_id("Tartu", 2), session_id("Rakvere", 2)


def book(h, sid: str, pid: str):
    return h.client.post(f"/api/sessions/{sid}/make-ups", json={"participant_id": pid})


def test_a_booking_publishes_booked_once_and_a_presence_elsewhere_cancels_it(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "30.04", PARNU_2, {"parnu-1": False, "parnu-2": True})
    h.set_now(at("01.05", 9, 0))
    assert book(h, RAKVERE_2, "parnu-1").status_code == 201
    assert h.payloads("attendance.make_up.booked") == [
        {"participant_id": "parnu-1", "session_id": RAKVERE_2, "day_number": 2, "city": "Rakvere",
         "date": "2019-05-07"}]
    assert book(h, RAKVERE_2, "parnu-1").status_code == 200  # booked already: nothing new
    refused = book(h, TARTU_2, "parnu-1")  # a seat is held for day II in Rakvere
    assert refused.status_code == 409 and refused.get_json()["errors"]["participant_id"]
    assert len(h.payloads("attendance.make_up.booked")) == 1
    assert h.payloads("attendance.make_up.cancelled") == []

    # They turn up in Tartu instead: the presence books them there and gives up Rakvere's seat.
    h.set_now(at("02.05", 10, 30))
    assert mark(h, TARTU_2, "parnu-1", True).status_code == 200
    types = [e["event_type"] for e in h.published() if e["event_type"].startswith("attendance.make_up.")]
    assert types == ["attendance.make_up.booked", "attendance.make_up.cancelled", "attendance.make_up.booked"]
    assert h.payloads("attendance.make_up.cancelled") == [
        {"participant_id": "parnu-1", "session_id": RAKVERE_2, "day_number": 2}]
    assert h.payloads("attendance.make_up.booked")[1] == {
        "participant_id": "parnu-1", "session_id": TARTU_2, "day_number": 2, "city": "Tartu", "date": "2019-05-02"}
    guests = [line["participant_id"] for line in h.client.get(f"/api/sessions/{RAKVERE_2}").get_json()["lines"]]
    assert "parnu-1" not in guests


def test_a_refused_booking_publishes_nothing(h):
    setup_2019(h)
    h.login("coordinator")
    attend(h, "30.04", PARNU_2, {"parnu-1": True})
    h.set_now(at("01.05", 9, 0))
    refused = book(h, TARTU_2, "parnu-1")  # attended their own day II
    assert refused.status_code == 422
    assert h.payloads("attendance.make_up.booked") == []
