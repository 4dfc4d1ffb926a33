"""Delivery: once per (cause, recipient, template), retries with backoff, failures recorded."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from services.notify.adapters.models import Email
from services.notify.service_layer import delivery
from shared import clock
from tests.notify import data
from tests.notify.data import at
from tests.notify.test_emails import emails_in


def one_row(h, **where) -> Email:
    with h.kit.db.transaction() as session:
        query = select(Email)
        for name, value in where.items():
            query = query.where(getattr(Email, name) == value)
        return session.scalars(query).one()


def test_a_redelivered_event_a_republished_fact_and_a_restart_send_nothing_twice(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    envelope = h.envelope("enrolment.application.submitted", data.submitted("tori"))
    h.deliver(envelope=envelope)
    h.deliver(envelope=envelope)  # the broker redelivers: the inbox drops it
    h.deliver("enrolment.application.submitted", data.submitted("tori"))  # same fact, new event id
    h.tick()
    assert len(smtp.received) == 5 and len(emails_in(h)) == 5
    h.tick()
    assert len(smtp.received) == 5

    # A restart: a new process on the same database gets the same event again.
    database_url = h.settings.database_url
    h.close()
    again = notify(database_url)
    again.deliver(envelope=envelope)
    again.deliver("enrolment.application.submitted", data.submitted("tori"))
    again.tick()
    assert len(smtp.received) == 5 and len(emails_in(again)) == 5
    assert len(again.payloads("notify.email.sent")) == 5


def test_a_temporary_smtp_failure_is_retried_after_the_backoff_and_then_succeeds(notify, smtp):
    start = at(2019, 3, 5, 12, 0)
    h = notify()
    h.deliver("enrolment.application.rejected", {"application_id": "app-x", "reason": "Liiga hilja.",
                                                 "team_name": "Meeskond x", "contact_email": "kontakt@x.ee"})
    smtp.refuse_next("451 4.3.0 Mailbox temporarily unavailable, try again later")
    h.tick()
    assert smtp.received == []
    row = one_row(h)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "451" in row.last_error
    assert row.next_attempt_at == start + timedelta(seconds=30)  # the first backoff step

    clock.set_now(start + timedelta(seconds=29))
    h.tick()  # not yet due
    assert smtp.received == [] and one_row(h).attempts == 1

    clock.set_now(start + timedelta(seconds=30))
    h.tick()
    message, = smtp.received
    assert message.rcpt_tos == ["kontakt@x.ee"]
    row = one_row(h)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert row.sent_at == start + timedelta(seconds=30)
    sent, = h.payloads("notify.email.sent")
    assert sent["attempts"] == 2 and sent["email_id"] == row.id
    assert h.payloads("notify.email.failed") == []


def test_a_permanent_failure_is_recorded_and_published_and_a_resend_sends_the_same_email(notify, smtp):
    at(2019, 3, 5, 12, 0)
    h = notify()
    envelope = h.envelope("enrolment.application.rejected", {
        "application_id": "app-x", "reason": "Liiga hilja.", "team_name": "Meeskond x",
        "contact_email": "kontakt@x.ee"})
    h.deliver(envelope=envelope)
    smtp.refuse_next("550 5.1.1 No such mailbox")
    h.tick()
    row = one_row(h)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error
    failed, = h.payloads("notify.email.failed")
    assert failed["email_id"] == row.id and failed["recipient"] == "kontakt@x.ee"
    assert failed["template"] == "application_rejected" and "550" in failed["error"]
    assert failed["causation_event_id"] == envelope.event_id
    h.tick()
    assert smtp.received == []  # a failed e-mail stays failed until someone resends it

    h.login("coordinator")
    page = h.client.get("/").get_data(as_text=True)
    assert "550 5.1.1 No such mailbox" in page and "failed" in page
    token = h.csrf_token("/")
    assert h.client.post(f"/emails/{row.id}/resend", data={}).status_code == 400  # no CSRF token
    response = h.client.post(f"/emails/{row.id}/resend", data={"csrf_token": token})
    assert response.status_code == 302
    assert one_row(h).status == "queued"
    h.tick()
    message, = smtp.received
    assert message.rcpt_tos == ["kontakt@x.ee"]
    assert message.message["Message-ID"].startswith(f"<{row.id}@")  # the same e-mail, not a copy
    again = one_row(h)
    assert (again.id, again.status, again.resends, again.resent_by) == (row.id, "sent", 1, "staff@example.ee")
    assert len(emails_in(h)) == 1


def test_an_email_claimed_by_a_crashed_worker_is_sent_once_more_after_its_lease(notify, smtp):
    start = at(2019, 3, 5, 12, 0)
    h = notify(send_lease_seconds="300")
    h.deliver("enrolment.application.rejected", {"application_id": "app-x", "reason": "Liiga hilja.",
                                                 "team_name": "Meeskond x", "contact_email": "kontakt@x.ee"})
    row = one_row(h)
    token, _ = delivery._claim(h.kit, row.id)  # the worker claims it … and dies before sending
    assert one_row(h).status == "sending"
    h.tick()
    assert smtp.received == []  # someone holds the lease: no second sender
    assert delivery._claim(h.kit, row.id) is None

    clock.set_now(start + timedelta(seconds=300))
    h.tick()
    assert len(smtp.received) == 1
    after = one_row(h)
    assert (after.status, after.attempts) == ("sent", 2)
    # The crashed worker coming back cannot overwrite the outcome: its claim is gone.
    assert delivery._finish(h.kit, after, token, None) is None
    assert len(h.payloads("notify.email.sent")) == 1


def test_events_out_of_order_wait_for_the_schedule_then_send(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.member.confirmed", data.confirmed("tori", 1))  # before its application
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Tartu"))
    h.tick()
    waiting = {e.template for e in emails_in(h) if e.status == "waiting"}
    assert waiting == {"application_received", "member_confirmation_request", "application_accepted",
                       "esf_data_request"}
    assert {m.template for m in smtp.received} == set()
    assert "waiting for" in one_row(h, template="application_received").last_error

    h.deliver("enrolment.edition.published", data.edition())
    h.tick()
    # The ESF request waits for reporting's deadline, not for the schedule.
    assert {e.template for e in emails_in(h) if e.status != "sent"} == {"esf_data_request"}
    for n in range(1, 5):
        h.deliver("reporting.esf_data.requested", {"participant_id": f"tori-p{n}", "deadline": date(2019, 4, 11)})
    h.tick()
    assert {e.status for e in emails_in(h)} == {"sent"}
    contact, = smtp.to("kontakt@tori.ee", "application_accepted")
    assert "11.04.2019" in contact.text and "02.05.2019" in contact.text and "23.05.2019" in contact.text
    esf, = smtp.to("liige1@tori.ee", "esf_data_request")
    assert "11.04.2019" in esf.subject

    # An older revision of the schedule arriving late changes nothing.
    old = data.edition(revision=0, application_deadline=data.tallinn(2019, 2, 1, 23, 59, 59))
    h.deliver("enrolment.edition.published", old)
    from services.notify.adapters.models import Edition
    with h.kit.db.transaction() as session:
        assert session.get(Edition, data.EDITION).application_deadline == data.DEADLINE


def test_embedded_mode_writes_eml_files_under_var_mail(embedded_stack, tmp_path):
    at(2019, 3, 5, 12, 0)
    h = embedded_stack.harness("notify", extra={"mail_dir": str(tmp_path / "mail")})
    try:
        assert h.kit.config.smtp is None
        h.deliver("enrolment.application.rejected", {"application_id": "app-x", "reason": "Liiga hilja.",
                                                     "team_name": "Meeskond x", "contact_email": "kontakt@x.ee"})
        h.tick()
        files = list((tmp_path / "mail").glob("*.eml"))
        row = one_row(h)
        assert [f.name for f in files] == [f"{row.id}@example.ee.eml"]
        assert b"To: kontakt@x.ee" in files[0].read_bytes()
        assert row.status == "sent"
    finally:
        h.close()


def test_an_email_that_cannot_be_composed_fails_visibly_and_the_others_still_go(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    # A producer's bug: a credit note whose PDF link is no web link (notify cannot sign it afresh).
    h.deliver("billing.invoice.credited", {
        "invoice_id": "inv-77", "invoice_number": "PO-2019-0001", "credit_note_number": "KR-00001",
        "amount_gross": "768.00", "currency": "EUR", "employer": data.employer("tori"),
        "pdf_url": "javascript:alert(1)"})
    h.tick()
    broken = one_row(h, recipient="arved@tori-vald.ee")
    assert broken.status == "failed" and "cannot compose" in broken.last_error
    failed, = h.payloads("notify.email.failed")
    assert failed["recipient"] == "arved@tori-vald.ee" and "not a web link" in failed["error"]
    assert len(smtp.received) == 5 and not smtp.to("arved@tori-vald.ee")


def test_temporary_failures_until_max_attempts_end_failed_and_published_once(notify, smtp):
    from services.notify.mail.backends import MAX_ATTEMPTS, next_attempt_delay

    start = at(2019, 3, 5, 12, 0)
    h = notify()
    h.deliver("enrolment.application.rejected", {"application_id": "app-x", "reason": "Liiga hilja.",
                                                 "team_name": "Meeskond x", "contact_email": "kontakt@x.ee"})
    smtp.refuse_next(*["451 4.3.0 Mailbox temporarily unavailable, try again later"] * MAX_ATTEMPTS)
    h.tick()
    moment = start
    for attempts in range(1, MAX_ATTEMPTS):
        row = one_row(h)
        assert (row.status, row.attempts) == ("queued", attempts)
        delay = next_attempt_delay(attempts)
        assert row.next_attempt_at == moment + delay  # 30 s, 2 min, 10 min, 1 h, … then the last step repeats
        clock.set_now(moment + delay - timedelta(seconds=1))
        h.tick()  # a second early: nothing is tried
        assert one_row(h).attempts == attempts
        moment += delay
        clock.set_now(moment)
        h.tick()

    row = one_row(h)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert "451" in row.last_error
    assert smtp.received == [] and smtp.handler.refusals == []  # every attempt reached the server
    failed, = h.payloads("notify.email.failed")
    assert (failed["email_id"], failed["attempts"], failed["template"]) == (row.id, MAX_ATTEMPTS,
                                                                           "application_rejected")
    assert h.payloads("notify.email.sent") == []
    clock.set_now(moment + timedelta(days=2))
    h.tick()  # a failed e-mail waits for a coordinator's resend: nothing more is tried or published
    assert one_row(h).attempts == MAX_ATTEMPTS and len(h.payloads("notify.email.failed")) == 1
