"""The two write endpoints stay cheap: a sheet is settled with batched reads (not a few
queries per participant), a mark reads only its participant's line, and the answer is what
the write committed (the sheet for a sheet, the one line for a mark)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from shared.testing.harness import ServiceHarness

from .builders import accepted, at, edition, mark, member, organisation, put_sheet, session_id, setup_2019

PARNU_1 = session_id("Pärnu", 1)
TARTU_1 = session_id("Tartu", 1)
BIG = [f"big-{i:02d}" for i in range(28)]  # with the two of the Pärnu team: 30 on the sheet


def big_parnu_group(h) -> None:
    setup_2019(h)
    h.deliver("enrolment.application.accepted", accepted(
        "app-big", "Pärnu", [member(pid, "Eesnimi", f"Perenimi {pid}", "org-big") for pid in BIG],
        [organisation("org-big", "Suur Vallavalitsus", "75099999")]))


@contextmanager
def selects(h):
    """Counts the SELECTs the service runs (INSERT/UPDATE batching depends on the driver)."""
    found: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            found.append(statement)

    event.listen(h.kit.db.engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(h.kit.db.engine, "before_cursor_execute", count)


def test_a_sheet_reads_as_often_as_one_mark_however_long_it_is(h):
    big_parnu_group(h)
    h.login("coordinator")
    h.set_now(at("09.04", 10, 30))
    everyone = ["parnu-1", "parnu-2", *BIG]
    with selects(h) as sheet_reads:
        first = put_sheet(h, PARNU_1, {pid: i % 2 == 0 for i, pid in enumerate(everyone)})
    assert first.status_code == 200 and len(first.get_json()["changed"]) == 30
    with selects(h) as correction_reads:  # every mark flipped: absences published and taken back
        flipped = put_sheet(h, PARNU_1, {pid: i % 2 == 1 for i, pid in enumerate(everyone)})
    assert len(flipped.get_json()["changed"]) == 30
    with selects(h) as mark_reads:
        assert mark(h, PARNU_1, "parnu-1", True).get_json()["changed"] == ["parnu-1"]
    # session, sheet (records, make-ups, people), locks, then settling: applications (with
    # their edition's version), records, published outcomes -- none of them per participant;
    # the schedule is read once per version of the edition (the first sheet, here).
    assert len(sheet_reads) <= 9, sheet_reads
    assert len(correction_reads) <= 8, correction_reads
    # A mark: the session, the participant's line (and lock), then settling's three reads.
    assert len(mark_reads) <= 5, mark_reads
    assert h.client.get(f"/api/participants/{BIG[1]}").get_json()["days"][0]["recorded"] is True


def test_the_answer_to_a_write_is_what_a_read_shows_afterwards(h):
    """A sheet answers with the whole sheet; a mark with its participant's line."""
    big_parnu_group(h)
    h.login("coordinator")
    h.set_now(at("09.04", 11, 0))
    saved = put_sheet(h, PARNU_1, {"parnu-1": False, BIG[0]: True}).get_json()
    assert saved["changed"] == ["parnu-1", BIG[0]]
    assert {**saved, "changed": []} == h.client.get(f"/api/sessions/{PARNU_1}").get_json()
    # A mark answers with its one line, as the sheet then shows it.
    marked = mark(h, PARNU_1, BIG[1], False).get_json()
    assert marked["changed"] == [BIG[1]] and marked["session_id"] == PARNU_1
    assert (marked["line"]["present"], marked["line"]["source"]) == (False, "api")
    assert [x for x in h.client.get(f"/api/sessions/{PARNU_1}").get_json()["lines"]
            if x["participant_id"] == BIG[1]] == [marked["line"]]
    again = mark(h, PARNU_1, BIG[1], False).get_json()
    assert again == {**marked, "changed": []}
    # Marking someone of another group present books a make-up: the answer is the new line.
    h.set_now(at("11.04", 10, 30))
    booked = mark(h, TARTU_1, "parnu-1", True).get_json()
    assert booked["changed"] == ["parnu-1"]
    assert (booked["line"]["participant_id"], booked["line"]["make_up"], booked["line"]["city"],
            booked["line"]["organisation"], booked["line"]["present"]) == (
        "parnu-1", True, "Pärnu", "Häädemeeste Vallavalitsus", True)
    assert h.client.get(f"/api/sessions/{TARTU_1}").get_json()["lines"][-1] == booked["line"]


def test_a_trainer_of_another_city_changes_nothing(h):
    big_parnu_group(h)
    h.set_now(at("09.04", 10, 30))
    h.login("trainer:Tartu")
    events = len(h.published())
    assert put_sheet(h, PARNU_1, {"parnu-1": True}).status_code == 403
    assert mark(h, PARNU_1, "parnu-1", True).status_code == 403
    assert put_sheet(h, "no-such-session", {"parnu-1": True}).status_code == 404
    assert len(h.published()) == events
    h.login("coordinator")
    assert h.client.get(f"/api/sessions/{PARNU_1}/audit").get_json() == []


def test_a_schedule_another_process_changed_is_used_at_once(h):
    """The schedule is cached per process; a new revision applied by another process (its own
    engine on the same database) is what this process judges the next mark by."""
    setup_2019(h)
    h.login("coordinator")
    h.set_now(at("09.04", 17, 30))  # after the session: an absence is told at once
    assert mark(h, PARNU_1, "parnu-1", False).status_code == 200  # judged (and cached) by revision 1
    assert mark(h, PARNU_1, "parnu-1", True).status_code == 200
    other = ServiceHarness("attendance", h.settings.database_url, h.settings.bus_url)
    try:
        other.deliver("enrolment.edition.published", edition(revision=2, moved={TARTU_1: timedelta(days=1)}))
    finally:
        other.close()
    assert mark(h, PARNU_1, "parnu-1", False).status_code == 200
    first, second = [[(s["session_id"], s["date"]) for s in p["make_up_sessions"]]
                     for p in h.payloads("attendance.participant.absent")]
    assert (TARTU_1, "2019-04-11") in first
    assert (TARTU_1, "2019-04-12") in second and (TARTU_1, "2019-04-11") not in second
