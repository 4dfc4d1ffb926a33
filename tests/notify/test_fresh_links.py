"""Personal links in e-mails are signed when the e-mail is composed, never quoted from an event
or an earlier e-mail: a reminder months after the first e-mail, a request that waited for its
deadline and a failed e-mail sent again all carry a link with its whole lifetime ahead. And the
coordinator's "send again" (enrolment's and reporting's ``…requested_again``) sends one e-mail
per request, with a link signed then."""
from __future__ import annotations

from datetime import date

import pytest

from shared import links
from shared.events.registry import InvalidPayload, validate_payload
from tests.notify import data
from tests.notify.data import at
from tests.notify.test_emails import emails_in, link_in, subject_of

MAX_AGE = 60 * 24 * 3600  # Settings.personal_link_max_age
DAY = 24 * 3600


def enrolments_link(h, participant_id: str) -> str:
    """The confirmation link enrolment signs into its event, as of now."""
    return links.personal_url(h.settings.base_url, h.settings.secret_key, "confirm", participant_id)


def accept_tori(h) -> None:
    """The edition, and team tori applying and accepted into Pärnu, as enrolment publishes them."""
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori"))


def assert_fresh(h, url: str, purpose: str, service: str, subject: str) -> None:
    """Signed within the last day (so its 60 days lie ahead), for the right person."""
    assert subject_of(h, url, purpose, service, max_age=DAY) == subject
    assert subject_of(h, url, purpose, service, max_age=MAX_AGE) == subject


def test_a_deadline_reminder_months_after_the_request_carries_a_fresh_link(notify, smtp):
    """An edition opened in November with a March deadline: the first e-mail's link is dead by
    the 7-day reminder (99 days later); the reminder carries one signed that day."""
    at(2018, 11, 15, 10, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    payload = data.submitted("tori")
    for member in payload["members"]:  # as enrolment publishes them: signed in November
        member["confirm_url"] = enrolments_link(h, member["participant_id"])
    h.deliver("enrolment.application.submitted", payload)
    h.tick()
    first, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    assert_fresh(h, link_in(first.text, "enrolment"), "confirm", "enrolment", "tori-p1")
    smtp.clear()

    at(2019, 2, 23, 12, 0)  # 7 days before the deadline
    h.tick()
    reminder, = smtp.to("liige1@tori.ee", "deadline_reminder")
    url = link_in(reminder.text, "enrolment")
    assert_fresh(h, url, "confirm", "enrolment", "tori-p1")
    assert f'href="{url}"' in reminder.html
    assert emails_in(h)[-1].link == url or any(row.link == url for row in emails_in(h))
    # The contact's copy names no one's link.
    contact, = smtp.to("kontakt@tori.ee", "deadline_reminder")
    assert "/enrolment/p/" not in contact.text


def test_an_esf_request_that_waited_for_its_deadline_is_signed_when_it_goes(notify, smtp):
    at(2019, 3, 4, 10, 0)
    h = notify()
    accept_tori(h)
    h.tick()
    assert smtp.to("liige1@tori.ee", "esf_data_request") == []  # waits for reporting's deadline
    at(2019, 5, 10, 10, 0)  # 67 days later the deadline arrives
    h.deliver("reporting.esf_data.requested", {"participant_id": "tori-p1", "deadline": date(2019, 6, 30)})
    h.tick()
    request, = smtp.to("liige1@tori.ee", "esf_data_request")
    url = link_in(request.text, "reporting")
    assert_fresh(h, url, "esf", "reporting", "tori-p1")
    assert f'href="{url}"' in request.html


def test_the_esf_reminder_carries_a_link_signed_that_day(notify, smtp):
    at(2019, 3, 4, 10, 0)
    h = notify()
    accept_tori(h)
    h.deliver("reporting.esf_data.requested", {"participant_id": "tori-p1", "deadline": date(2019, 6, 30)})
    h.tick()
    smtp.clear()
    at(2019, 6, 28, 12, 0)  # 3 days before; the request's link (04.03) died on 03.05
    h.tick()
    reminder, = smtp.to("liige1@tori.ee", "esf_data_reminder")
    assert_fresh(h, link_in(reminder.text, "reporting"), "esf", "reporting", "tori-p1")
    smtp.clear()
    at(2019, 7, 5, 12, 0)  # after the deadline nothing goes by itself: the coordinator asks again
    h.tick()
    assert smtp.received == []


def test_a_failed_email_sent_again_weeks_later_carries_a_fresh_link(notify, smtp):
    at(2019, 5, 10, 10, 0)
    h = notify()
    smtp.refuse_next("550 5.1.1 Mailbox unavailable")
    h.deliver("billing.invoice.issued", data.invoice_issued("tori", "inv-77"))
    h.tick()
    failed = next(row for row in emails_in(h) if row.template == "invoice_issued")
    assert failed.status == "failed"
    at(2019, 7, 20, 10, 0)  # 71 days later the coordinator sends it again
    h.login("coordinator")
    resent = h.client.post(f"/api/emails/{failed.id}/resend", json={})
    assert resent.status_code == 202, resent.get_data(as_text=True)
    h.tick()
    invoice, = smtp.to("arved@tori-vald.ee", "invoice_issued")
    url = link_in(invoice.text, "billing")
    assert_fresh(h, url, "invoice", "billing", "inv-77")
    assert h.client.get(f"/api/emails/{failed.id}").get_json()["link"] == url


def test_payment_reminders_and_credit_notes_sign_their_pdf_links_afresh(notify, smtp):
    at(2019, 4, 1, 10, 0)
    h = notify()
    old = links.personal_url(h.settings.base_url, h.settings.secret_key, "invoice", "credit-note:cn-1")
    at(2019, 6, 25, 10, 0)  # billing's link in the event is 85 days old here
    h.deliver("billing.invoice.overdue", {
        "invoice_id": "inv-77", "invoice_number": "PO-2019-0001", "stage": "overdue", "due_date": date(2019, 6, 24),
        "amount_gross": "768.00", "currency": "EUR", "employer": data.employer("tori"),
        "reference_number": "20190013", "pdf_url": old.replace("credit-note:cn-1", "x")})
    h.deliver("billing.invoice.credited", {
        "invoice_id": "inv-78", "invoice_number": "PO-2019-0002", "credit_note_number": "KR-00001",
        "amount_gross": "768.00", "currency": "EUR", "employer": data.employer("tori"), "pdf_url": old})
    h.tick()
    reminder, = smtp.to("arved@tori-vald.ee", "payment_reminder")
    assert_fresh(h, link_in(reminder.text, "billing"), "invoice", "billing", "inv-77")
    note, = smtp.to("arved@tori-vald.ee", "credit_note")
    assert_fresh(h, link_in(note.text, "billing"), "invoice", "billing", "credit-note:cn-1")


def test_the_session_reminder_checkin_link_is_fresh(notify, smtp):
    at(2019, 3, 4, 10, 0)
    h = notify()
    accept_tori(h)
    at(2019, 4, 6, 11, 0)  # 3 days before Pärnu's day I
    h.tick()
    reminder, = smtp.to("liige1@tori.ee", "session_reminder")
    assert_fresh(h, link_in(reminder.text, "attendance"), "checkin", "attendance", "tori-p1")


def confirmation_again(request_id: str, participant: str = "tori-p1") -> dict:
    return {"application_id": "app-tori", "participant_id": participant, "request_id": request_id}


def test_the_coordinators_confirmation_request_again_goes_once_per_request(notify, smtp):
    at(2018, 11, 15, 10, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.deliver("enrolment.member.confirmed", data.confirmed("tori", 3))
    h.tick()
    smtp.clear()
    at(2019, 1, 20, 10, 0)  # the first link has expired
    h.deliver("enrolment.member.confirmation_requested_again", confirmation_again("req-0001-aaaa"))
    h.deliver("enrolment.member.confirmation_requested_again", confirmation_again("req-0001-aaaa"))  # replayed
    h.deliver("enrolment.member.confirmation_requested_again", confirmation_again("req-0002-bbbb", "tori-p2"))
    h.deliver("enrolment.member.confirmation_requested_again", confirmation_again("req-0003-cccc", "tori-p3"))
    h.tick()
    again, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    assert_fresh(h, link_in(again.text, "enrolment"), "confirm", "enrolment", "tori-p1")
    assert "Tere, Liige1!" in again.text and "768,00 €" in again.text and "Tori Vallavalitsus" in again.text
    english, = smtp.to("liige2@tori.ee", "member_confirmation_request")
    assert english.text.startswith("Hello Liige2,")
    assert smtp.to("liige3@tori.ee") == []  # already confirmed: nothing to ask
    h.tick()
    assert len(smtp.received) == 2
    smtp.clear()
    at(2019, 2, 1, 10, 0)  # a new click later sends again
    h.deliver("enrolment.member.confirmation_requested_again", confirmation_again("req-0004-dddd"))
    h.tick()
    later, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    assert_fresh(h, link_in(later.text, "enrolment"), "confirm", "enrolment", "tori-p1")


def test_the_coordinators_esf_request_again_goes_once_per_request_even_after_the_deadline(notify, smtp):
    at(2019, 3, 4, 10, 0)
    h = notify()
    accept_tori(h)
    h.deliver("reporting.esf_data.requested", {"participant_id": "tori-p1", "deadline": date(2019, 6, 30)})
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p2"})
    h.tick()
    smtp.clear()
    at(2019, 7, 10, 10, 0)  # past the deadline
    again = {"participant_id": "tori-p1", "request_id": "esf-req-0001", "deadline": date(2019, 6, 30)}
    h.deliver("reporting.esf_data.requested_again", again)
    h.deliver("reporting.esf_data.requested_again", again)  # a double submit or a replay
    h.deliver("reporting.esf_data.requested_again", {**again, "participant_id": "tori-p2",
                                                      "request_id": "esf-req-0002"})
    h.tick()
    email, = smtp.to("liige1@tori.ee", "esf_data_reminder")
    assert_fresh(h, link_in(email.text, "reporting"), "esf", "reporting", "tori-p1")
    assert "30.06.2019" in email.text
    # Past the deadline, it says so rather than asking for the data "by" 30.06.2019.
    assert "tähtaeg (30.06.2019) on möödas" in email.text and "hiljemalt" not in email.text
    assert smtp.to("liige2@tori.ee") == []  # their data is in
    h.deliver("reporting.esf_data.requested_again", {**again, "request_id": "esf-req-0003"})
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p1"})  # before it went: cancelled
    h.tick()
    assert len(smtp.received) == 1


def invoice_again(request_id: str, recipient: str = "arved@tori-vald.ee", invoice_id: str = "inv-77") -> dict:
    """billing.invoice.email_requested_again as billing publishes it (finance's click)."""
    issued = data.invoice_issued("tori", invoice_id)
    return {key: issued[key] for key in ("invoice_id", "invoice_number", "participant_id", "employer",
                                         "amount_gross", "currency", "due_date", "reference_number")} | {
        "request_id": request_id, "recipient_email": recipient}


def test_finances_invoice_email_again_goes_once_per_request_with_a_fresh_link(notify, smtp):
    """The employer says the invoice never arrived (or went to the wrong address): the same invoice
    e-mail once more, with a PDF link signed then, one per request; none for an invoice settled since."""
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    at(2019, 6, 10, 10, 0)
    h.deliver("billing.invoice.issued", data.invoice_issued("tori", "inv-77"))
    h.tick()
    first, = smtp.to("arved@tori-vald.ee", "invoice_issued")
    smtp.clear()
    at(2019, 8, 20, 10, 0)  # 71 days later: the first e-mail's link has expired
    h.deliver("billing.invoice.email_requested_again", invoice_again("inv-again-0001"))
    h.deliver("billing.invoice.email_requested_again", invoice_again("inv-again-0001"))  # a replay
    h.deliver("billing.invoice.email_requested_again", invoice_again("inv-again-0002", "raamatupidamine@tori.ee"))
    h.tick()
    h.tick()
    assert len(smtp.received) == 2
    again, = smtp.to("arved@tori-vald.ee", "invoice_issued")
    other, = smtp.to("raamatupidamine@tori.ee", "invoice_issued")
    for email in (again, other):
        assert email.subject == first.subject
        for fact in ("Summa koos käibemaksuga: 768,00 €", "Viitenumber: 20190013", "Liige1 Tori"):
            assert fact in email.text
        url = link_in(email.text, "billing")
        assert_fresh(h, url, "invoice", "billing", "inv-77")
        assert f'href="{url}"' in email.html
    smtp.clear()
    h.deliver("billing.invoice.paid", {"invoice_id": "inv-77", "paid_at": data.tallinn(2019, 8, 20, 0),
                                       "amount": "768.00"})
    h.deliver("billing.invoice.email_requested_again", invoice_again("inv-again-0003"))  # paid meanwhile
    h.tick()
    assert smtp.received == []


@pytest.mark.parametrize("event_type, payload", [
    ("enrolment.member.confirmation_requested_again", {"application_id": "a", "participant_id": "p",
                                                       "request_id": "x"}),
    ("reporting.esf_data.requested_again", {"participant_id": "p", "request_id": "no spaces allowed"}),
    ("billing.invoice.email_requested_again", {**invoice_again("short"), "due_date": "2019-06-24"}),
])
def test_a_request_again_without_a_proper_request_id_is_refused_by_its_schema(event_type, payload):
    with pytest.raises(InvalidPayload, match="request_id"):
        validate_payload(event_type, payload)
