"""Events in, e-mails out: what the SMTP server receives for each event (issue 6)."""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from sqlalchemy import select

from services.notify.adapters.models import Email, SettledInvoice
from shared import clock, links
from tests.notify import data
from tests.notify.data import at


def emails_in(h) -> list[Email]:
    with h.kit.db.transaction() as session:
        return list(session.scalars(select(Email).order_by(Email.created_at, Email.recipient)))


def token_of(url: str, service: str) -> str:
    prefix = f"http://127.0.0.1:8000/{service}/p/"
    assert url.startswith(prefix), url
    return url.removeprefix(prefix)


def link_in(text: str, service: str) -> str:
    """The personal link (to ``service``'s page) an e-mail's text carries, alone on its line."""
    return next(line for line in text.splitlines() if f"/{service}/p/" in line).strip().split()[-1]


def subject_of(h, url: str, purpose: str, service: str, max_age: int = 3600) -> str:
    """Whom a link names; signed by notify within ``max_age`` seconds (fresh), else LinkInvalid."""
    return links.read_token(h.settings.secret_key, purpose, token_of(url, service), max_age)


def test_submitted_application_sends_the_receipt_and_each_members_confirmation_request(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    assert smtp.received == []  # handlers only create rows; the delivery job sends
    h.tick()

    receipt, = smtp.to("kontakt@tori.ee")
    assert receipt.rcpt_tos == ["kontakt@tori.ee"]
    assert receipt.template == "application_received"
    assert receipt.subject == "Taotlus on kätte saadud – meeskond „Meeskond tori“"  # the form's word
    assert "01.03.2019 kell 23:59" in receipt.text
    assert "Liige3 Tori" in receipt.text and "Pärnu" in receipt.text
    assert receipt.message["From"].addresses[0].addr_spec == "programm@example.ee"
    assert "Kadri Kask" in receipt.text  # the coordinator's signature, from the settings

    estonian, = smtp.to("liige1@tori.ee")
    assert estonian.template == "member_confirmation_request"
    assert estonian.subject.startswith("Palun kinnitage oma osalemine arenguprogrammis")  # formal, as the form
    assert "Tere, Liige1!" in estonian.text
    url = link_in(estonian.text, "enrolment")  # notify's own link, signed as it composed the e-mail
    assert subject_of(h, url, "confirm", "enrolment") == "tori-p1" and f'href="{url}"' in estonian.html
    assert "768,00 €" in estonian.text and "Tori Vallavalitsus" in estonian.text
    assert str(estonian.message["To"]) == "Liige1 Tori <liige1@tori.ee>"
    assert estonian.message["Content-Language"] == "et"

    english, = smtp.to("liige2@tori.ee")  # an English member gets English
    assert english.subject == "Please confirm your participation in the development programme (team “Meeskond tori”)"
    assert english.text.startswith("Hello Liige2,") and english.message["Content-Language"] == "en"
    assert "€768.00" in english.text and "1 March 2019 at 23:59" in english.text
    assert subject_of(h, link_in(english.text, "enrolment"), "confirm", "enrolment") == "tori-p2"

    assert len(smtp.received) == 5
    sent = h.payloads("notify.email.sent")
    assert len(sent) == 5 and {p["recipient"] for p in sent} == {
        "kontakt@tori.ee", "liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee", "liige4@tori.ee"}
    rows = emails_in(h)
    assert {r.status for r in rows} == {"sent"} and {r.attempts for r in rows} == {1}
    assert all(r.sent_at is not None and r.sent_at.utcoffset().total_seconds() == 0 for r in rows)


def test_accepted_team_gets_its_city_dates_hours_and_venue_and_each_member_the_esf_link(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(4,)))
    h.tick()
    smtp.clear()
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(4,)))
    for n in range(1, 5):  # reporting's deadline: by the first session day (its default)
        h.deliver("reporting.esf_data.requested", {"participant_id": f"tori-p{n}", "deadline": date(2019, 4, 9)})
    h.tick()

    accepted = smtp.of("application_accepted")
    assert sorted(r for m in accepted for r in m.rcpt_tos) == [
        "kontakt@tori.ee", "liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee", "liige4@tori.ee"]
    contact, = smtp.to("kontakt@tori.ee", "application_accepted")
    assert contact.subject == "Meeskond „Meeskond tori“ on arenguprogrammi vastu võetud"
    for day in ("I päev: teisipäev, 09.04.2019, kell 10:00–17:00", "II päev: teisipäev, 30.04.2019",
                "III päev: kolmapäev, 22.05.2019", "Rühm: Pärnu", "Pärnu Keskraamatukogu, Akadeemia 3"):
        assert day in contact.text
    english, = smtp.to("liige4@tori.ee", "application_accepted")
    assert "Day 1: Tuesday, 9 April 2019, 10:00–17:00" in english.text
    assert "22 May 2019" in english.html

    requests = smtp.of("esf_data_request")
    assert sorted(r for m in requests for r in m.rcpt_tos) == [f"liige{n}@tori.ee" for n in range(1, 5)]
    first, = smtp.to("liige1@tori.ee", "esf_data_request")
    assert "09.04.2019" in first.subject  # reporting's deadline
    url = next(line for line in first.text.splitlines() if "/reporting/p/" in line).strip()
    assert links.read_token(h.settings.secret_key, "esf", token_of(url, "reporting"), 3600) == "tori-p1"
    english, = smtp.to("liige4@tori.ee", "esf_data_request")
    assert english.subject == "Please provide your ESF participant data by 9 April 2019"
    # The form requires an answer to every question: what it offers is "prefer not to say".
    for message, offer in ((first, "võite valida vastuse „Ei soovi vastata“"), (english, "you may choose “Prefer not to say”")):
        assert offer in message.text and offer in message.html
    assert "vastamata" not in first.text and "decline to answer" not in english.text


def test_waiting_list_and_rejection_go_to_the_team(notify, smtp):
    at(2019, 3, 5, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("audru"))
    h.deliver("enrolment.application.submitted", data.submitted("halinga"))
    h.tick()
    smtp.clear()
    h.deliver("enrolment.application.waitlisted", {"application_id": "app-audru", "city": "Pärnu", "position": 2})
    h.deliver("enrolment.application.rejected", {"application_id": "app-halinga",
                                                 "reason": "Meeskonnas on ainult üks KOV esindaja."})
    h.tick()
    waitlisted, = smtp.to("kontakt@audru.ee")
    assert waitlisted.subject == "Meeskond „Meeskond audru“ on ootenimekirjas (Pärnu)"
    assert "2" in waitlisted.text
    assert len(smtp.of("application_waitlisted")) == 5
    rejected, = smtp.to("kontakt@halinga.ee")
    assert rejected.template == "application_rejected"
    assert "Meeskonnas on ainult üks KOV esindaja." in rejected.text


def test_absence_dropout_and_completion_reach_the_participant(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(3,)))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(3,)))
    h.tick()
    smtp.clear()

    at(2019, 4, 9, 18, 0)
    h.deliver("attendance.participant.absent", {
        "participant_id": "tori-p1", "application_id": "app-tori", "day_number": 1,
        "missed_session_id": data.session_id("Pärnu", 1),
        "make_up_sessions": [{"session_id": data.session_id(c, 1), "city": c, "date": d}
                             for c, d in (("Tartu", date(2019, 4, 11)), ("Rakvere", date(2019, 4, 16)),
                                          ("Tallinn", date(2019, 4, 17)))]})
    h.tick()
    absence, = smtp.to("liige1@tori.ee", "absence_make_up")
    assert absence.subject == "Puudumine I koolituspäevalt (09.04.2019)"
    for line in ("neljapäev, 11.04.2019 – Tartu", "teisipäev, 16.04.2019 – Rakvere", "kolmapäev, 17.04.2019 – Tallinn"):
        assert line in absence.text

    at(2019, 4, 17, 18, 0)
    h.deliver("attendance.participant.dropped_out", {
        "participant_id": "tori-p1", "application_id": "app-tori", "group_id": data.GROUP["Pärnu"],
        "reason": "absence", "days_attended": 0, "days_held": 1, "employer": data.employer("tori")})
    h.deliver("attendance.participant.completed", {
        "participant_id": "tori-p3", "application_id": "app-tori", "group_id": data.GROUP["Pärnu"]})
    h.tick()
    # The notice quotes the cap billing enforces, so it waits for billing's claim (BILLING_CAP=600 here).
    assert smtp.to("liige1@tori.ee", "dropout_notice") == []
    h.deliver("billing.claim.proposed", {
        "claim_id": "claim-1", "participant_id": "tori-p1", "application_id": "app-tori",
        "employer": data.employer("tori"), "amount_gross": "256.00", "days_held": 1, "cap": "600.00",
        "daily_rate": "256.00"})
    h.tick()
    dropout, = smtp.to("liige1@tori.ee", "dropout_notice")
    assert "600,00 €" in dropout.text and "768" not in dropout.text and "Tori Vallavalitsus" in dropout.text
    # days_attended 0: nothing to thank for (the e-mail used to thank everyone "for taking part so far").
    assert "Neist osalesite: 0" in dropout.text and "senise osalemise" not in dropout.text + dropout.html
    completion, = smtp.to("liige3@tori.ee", "completion")  # English
    assert completion.subject == "Congratulations on completing the development programme!"


def _absent(participant: str, options: list[tuple[str, str, date]]) -> dict:
    """Pärnu day I missed; options as (session id, city, date), as attendance sends them."""
    return {"participant_id": participant, "application_id": "app-tori", "day_number": 1,
            "missed_session_id": data.session_id("Pärnu", 1),
            "make_up_sessions": [{"session_id": s, "city": c, "date": d} for s, c, d in options]}


def _move(edition: dict, city: str, starts_at: datetime, ends_at: datetime) -> dict:
    """The coordinator gives the city's day I other hours (enrolment's edition form)."""
    group = next(g for g in edition["groups"] if g["city"] == city)
    group["sessions"][0].update(starts_at=starts_at, ends_at=ends_at)
    return edition


def _line(text: str, city: str) -> str:
    return next(line for line in text.splitlines() if f"– {city}" in line)


def test_absence_states_each_make_up_sessions_own_hours_and_venue(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published",
              _move(data.edition(), "Tartu", data.tallinn(2019, 4, 11, 9), data.tallinn(2019, 4, 11, 16)))
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(2,)))
    h.tick()
    smtp.clear()

    at(2019, 4, 9, 18, 0)
    tartu = [(data.session_id("Tartu", 1), "Tartu", date(2019, 4, 11))]
    for participant in ("tori-p1", "tori-p2", "tori-p1"):  # the same fact twice: still one e-mail
        h.deliver("attendance.participant.absent", _absent(participant, tartu))
    h.tick()

    et, = smtp.to("liige1@tori.ee", "absence_make_up")
    en, = smtp.to("liige2@tori.ee", "absence_make_up")
    assert _line(et.text, "Tartu") == "- neljapäev, 11.04.2019 – Tartu, kell 09:00–16:00"
    assert "  Toimumiskoht: Tartu Loomemajanduskeskus, Kalevi 17" in et.text
    assert ("<li>neljapäev, 11.04.2019 – Tartu, kell 09:00–16:00<br>"
            "Toimumiskoht: Tartu Loomemajanduskeskus, Kalevi 17</li>") in et.html
    assert _line(en.text, "Tartu") == "- Thursday, 11 April 2019 – Tartu, 09:00–16:00"
    assert "  Venue: Tartu Loomemajanduskeskus, Kalevi 17" in en.text
    assert ("<li>Thursday, 11 April 2019 – Tartu, 09:00–16:00<br>"
            "Venue: Tartu Loomemajanduskeskus, Kalevi 17</li>") in en.html
    for body in (et.text, et.html, en.text, en.html):
        assert "10:00–17:00" not in body
    assert len([r for r in emails_in(h) if r.template == "absence_make_up"]) == 2


def test_absence_gives_no_hours_for_a_make_up_session_notify_does_not_know(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(2,)))
    h.tick()
    smtp.clear()

    at(2019, 4, 9, 18, 0)
    options = [(data.session_id("Rakvere", 1), "Rakvere", date(2019, 4, 16)),
               ("grp-viljandi-1", "Viljandi", date(2019, 4, 18))]  # no edition event named it
    for participant in ("tori-p1", "tori-p2"):
        h.deliver("attendance.participant.absent", _absent(participant, options))
    h.tick()

    et, = smtp.to("liige1@tori.ee", "absence_make_up")
    en, = smtp.to("liige2@tori.ee", "absence_make_up")
    assert _line(et.text, "Viljandi") == "- neljapäev, 18.04.2019 – Viljandi"
    # Nor a venue: it reads as to be confirmed, in the e-mail's language.
    assert "<li>neljapäev, 18.04.2019 – Viljandi<br>Toimumiskoht: täpsustamisel</li>" in et.html
    assert _line(en.text, "Viljandi") == "- Thursday, 18 April 2019 – Viljandi"
    assert "<li>Thursday, 18 April 2019 – Viljandi<br>Venue: to be confirmed</li>" in en.html
    # The known one keeps its own hours and venue, listed by date.
    assert _line(et.text, "Rakvere") == "- teisipäev, 16.04.2019 – Rakvere, kell 10:00–17:00"
    assert "Toimumiskoht: Rakvere Teatrimaja, Laada 5" in et.html
    assert en.text.index("Rakvere") < en.text.index("Viljandi")
    for body in (et.text, et.html, en.text, en.html):  # Rakvere's own hours, none stated for Viljandi
        assert body.count("10:00–17:00") == 1


def test_absence_hours_are_tallinn_time_on_both_sides_of_the_dst_change(notify, smtp):
    """Summer time began on 31.03.2019: 09:00 in Tallinn is 07:00 UTC before, 06:00 UTC after."""
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(2,)))
    at(2019, 3, 26, 18, 0)
    options = [(data.session_id("Tartu", 1), "Tartu", date(2019, 3, 28)),
               (data.session_id("Rakvere", 1), "Rakvere", date(2019, 4, 2))]
    for participant in ("tori-p1", "tori-p2"):
        h.deliver("attendance.participant.absent", _absent(participant, options))
    h.tick()
    assert smtp.of("absence_make_up") == []  # the schedule has not arrived: the e-mails wait for it

    edition = _move(data.edition(), "Pärnu", data.tallinn(2019, 3, 26, 10), data.tallinn(2019, 3, 26, 17))
    _move(edition, "Tartu", datetime(2019, 3, 28, 7, tzinfo=UTC), datetime(2019, 3, 28, 14, tzinfo=UTC))
    _move(edition, "Rakvere", datetime(2019, 4, 2, 6, tzinfo=UTC), datetime(2019, 4, 2, 13, tzinfo=UTC))
    h.deliver("enrolment.edition.published", edition)
    h.tick()

    et, = smtp.to("liige1@tori.ee", "absence_make_up")
    en, = smtp.to("liige2@tori.ee", "absence_make_up")
    assert _line(et.text, "Tartu") == "- neljapäev, 28.03.2019 – Tartu, kell 09:00–16:00"
    assert _line(et.text, "Rakvere") == "- teisipäev, 02.04.2019 – Rakvere, kell 09:00–16:00"
    assert _line(en.text, "Tartu") == "- Thursday, 28 March 2019 – Tartu, 09:00–16:00"
    assert _line(en.text, "Rakvere") == "- Tuesday, 2 April 2019 – Rakvere, 09:00–16:00"
    for body in (et.html, en.html):
        assert body.count("09:00–16:00") == 2 and "08:00" not in body and "10:00–17:00" not in body


def test_invoice_goes_to_the_employers_billing_address_with_a_signed_pdf_link(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.tick()
    smtp.clear()
    at(2019, 6, 10, 10, 0)
    h.deliver("billing.invoice.issued", data.invoice_issued("tori", "inv-77"))
    h.tick()

    invoice, = smtp.received
    assert invoice.rcpt_tos == ["arved@tori-vald.ee"]
    assert invoice.template == "invoice_issued"
    assert invoice.subject == "Arve nr PO-2019-0001: arenguprogrammi koolituskulude hüvitamine"
    for fact in ("Summa koos käibemaksuga: 768,00 €", "Maksetähtaeg: 24.06.2019", "Viitenumber: 20190013",
                 "Maksja: Tori Vallavalitsus", "Liige1 Tori"):
        assert fact in invoice.text
    url = next(line for line in invoice.text.splitlines() if "/billing/p/" in line).strip()
    assert links.read_token(h.settings.secret_key, "invoice", token_of(url, "billing"), 3600) == "inv-77"
    assert f'href="{url}"' in invoice.html
    row, = emails_in(h)[-1:]
    assert row.link == url

    smtp.clear()
    at(2019, 6, 25, 10, 0)
    overdue = {"invoice_id": "inv-77", "invoice_number": "PO-2019-0001", "stage": "overdue",
               "due_date": date(2019, 6, 24), "amount_gross": "768.00", "employer": data.employer("tori"),
               "reference_number": "20190013"}
    h.deliver("billing.invoice.overdue", overdue)
    h.deliver("billing.invoice.overdue", overdue)  # the same stage published twice: one e-mail
    h.tick()
    reminder, = smtp.received
    assert reminder.template == "payment_reminder"
    assert reminder.subject == "Arve nr PO-2019-0001 on tasumata (maksetähtaeg oli 24.06.2019)"
    assert "768,00 €" in reminder.text
    again = next(line for line in reminder.text.splitlines() if "/billing/p/" in line).split()[-1]
    assert links.read_token(h.settings.secret_key, "invoice", token_of(again, "billing"), 3600) == "inv-77"


def test_a_name_with_a_line_break_adds_no_header(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted(
        "tori", names={1: ("Mari\r\nBcc: evil@example.com", "Maasikas\nX-Evil: 1")},
        team_name="Tiim\r\nBcc: evil@example.com"))
    h.tick()
    message, = smtp.to("liige1@tori.ee")
    assert message.rcpt_tos == ["liige1@tori.ee"]
    assert message.message["Bcc"] is None and message.message["X-Evil"] is None
    assert all("evil@example.com" not in r for m in smtp.received for r in m.rcpt_tos)
    headers = message.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not any(line.lower().startswith(("bcc:", "x-evil:")) for line in headers.splitlines())
    assert "\n" not in message.subject and "\r" not in str(message.message["To"])
    assert message.message["To"].addresses[0].addr_spec == "liige1@tori.ee"


def test_a_substitute_in_an_accepted_team_gets_the_dates_and_the_esf_request(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Tartu"))
    h.tick()
    smtp.clear()
    at(2019, 3, 20, 9, 0)
    h.deliver("enrolment.member.substituted", {
        "application_id": "app-tori", "left_participant_id": "tori-p4",
        "member": {"participant_id": "tori-p5", "first_name": "Uus", "last_name": "Liige", "email": "uus@tori.ee",
                   "organisation_id": "tori-ngo", "language": "en"}})
    h.deliver("reporting.esf_data.requested", {"participant_id": "tori-p5", "deadline": date(2019, 4, 11)})
    h.tick()
    assert sorted(m.template for m in smtp.received) == ["application_accepted", "esf_data_request"]
    accepted, = smtp.to("uus@tori.ee", "application_accepted")
    assert "11 April 2019" in accepted.text
    at(2019, 4, 8, 10, 0)  # Tartu day I on 11.04: the substitute is reminded, the one who left is not
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p5"})
    h.tick()
    reminded = sorted(r for m in smtp.of("session_reminder") for r in m.rcpt_tos)
    assert reminded == ["liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee", "uus@tori.ee"]


def test_a_substitute_is_asked_to_confirm_the_conditions_once(notify, smtp):
    at(2019, 2, 20, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.tick()
    smtp.clear()
    substituted = {
        "application_id": "app-tori", "left_participant_id": "tori-p4", "team_name": "Tori",
        "confirm_url": "http://127.0.0.1:8000/enrolment/p/new-members-token",
        "member": {"participant_id": "tori-p5", "first_name": "Uus", "last_name": "Liige", "email": "uus@tori.ee",
                   "organisation_id": "tori-ngo", "language": "en"}}
    h.deliver("enrolment.member.substituted", substituted)
    h.deliver("enrolment.member.substituted", substituted)  # the same fact again: no second e-mail
    h.tick()
    request, = smtp.to("uus@tori.ee", "member_confirmation_request")
    assert subject_of(h, link_in(request.text, "enrolment"), "confirm", "enrolment") == "tori-p5"
    assert "768.00" in request.text


def credited(invoice_id: str = "inv-77", **changes) -> dict:
    return {"invoice_id": invoice_id, "invoice_number": "PO-2019-0001", "credit_note_number": "KR-00001",
            "amount_gross": "768.00", "currency": "EUR", "reason": "Osaleja ennistati",
            "employer": data.employer("tori"),
            "pdf_url": "http://127.0.0.1:8000/billing/p/credit-note-token", **changes}


def test_a_credit_note_reaches_the_employer_once_with_its_pdf_link(notify, smtp):
    at(2019, 6, 10, 10, 0)
    h = notify()
    h.deliver("billing.invoice.issued", data.invoice_issued("tori", "inv-77"))
    h.tick()
    smtp.clear()
    at(2019, 6, 12, 10, 0)
    h.deliver("billing.invoice.credited", credited())
    h.deliver("billing.invoice.credited", credited())  # the same fact published twice: one e-mail
    h.tick()
    note, = smtp.received
    assert note.rcpt_tos == ["arved@tori-vald.ee"] and note.template == "credit_note"
    assert note.subject == "Kreeditarve nr KR-00001: arve nr PO-2019-0001 on tühistatud"
    for fact in ("Kreeditarve number: KR-00001", "Tühistatud arve: PO-2019-0001", "Maksja: Tori Vallavalitsus",
                 "Kreeditarve summa koos käibemaksuga: 768,00 €", "Põhjus: Osaleja ennistati",
                 "http://127.0.0.1:8000/billing/p/credit-note-token"):
        assert fact in note.text, fact
    assert 'href="http://127.0.0.1:8000/billing/p/credit-note-token"' in note.html
    assert emails_in(h)[-1].link == "http://127.0.0.1:8000/billing/p/credit-note-token"
    h.tick()
    assert len(smtp.received) == 1


def test_a_queued_payment_reminder_is_cancelled_when_the_invoice_is_paid_or_credited(notify, smtp):
    at(2019, 6, 25, 10, 0)
    h = notify()
    overdue = {"stage": "overdue", "invoice_number": "PO-2019-0001", "due_date": date(2019, 6, 24),
               "amount_gross": "768.00", "employer": data.employer("tori"), "reference_number": "20190013"}
    for invoice_id in ("inv-paid", "inv-credited", "inv-open"):
        h.deliver("billing.invoice.overdue", {**overdue, "invoice_id": invoice_id})
    # Before the delivery job runs, one is paid and one is credited.
    h.deliver("billing.invoice.paid", {"invoice_id": "inv-paid", "paid_at": data.tallinn(2019, 6, 25, 0),
                                       "amount": "768.00", "currency": "EUR"})
    h.deliver("billing.invoice.credited", credited("inv-credited"))
    h.tick()
    assert [m.template for m in smtp.received if m.template == "payment_reminder"] == ["payment_reminder"]
    assert len(smtp.of("credit_note")) == 1
    status = {row.cause_key: row.status for row in emails_in(h) if row.template == "payment_reminder"}
    assert status == {"invoice:inv-paid:overdue": "cancelled", "invoice:inv-credited:overdue": "cancelled",
                      "invoice:inv-open:overdue": "sent"}
    # A sent reminder stays sent; the open invoice's later payment cancels nothing of it.
    h.deliver("billing.invoice.paid", {"invoice_id": "inv-open", "paid_at": data.tallinn(2019, 6, 26, 0),
                                       "amount": "768.00", "currency": "EUR"})
    h.tick()
    assert {row.status for row in emails_in(h) if row.cause_key == "invoice:inv-open:overdue"} == {"sent"}


def overdue_of(invoice_id: str, stage: str = "overdue") -> dict:
    return {"invoice_id": invoice_id, "invoice_number": "PO-2019-0001", "stage": stage,
            "due_date": date(2019, 6, 24), "amount_gross": "768.00", "employer": data.employer("tori"),
            "reference_number": "20190013"}


def payment_reminders(h) -> dict[str, str]:
    return {row.cause_key: row.status for row in emails_in(h) if row.template == "payment_reminder"}


def test_a_reminder_stage_handled_after_the_payment_sends_nothing(notify, smtp):
    at(2019, 6, 10, 10, 0)
    h = notify()
    for invoice_id in ("inv-paid", "inv-open"):  # the same employer's two invoices
        h.deliver("billing.invoice.issued", data.invoice_issued("tori", invoice_id))
    h.tick()
    assert len(smtp.of("invoice_issued")) == 2
    at(2019, 6, 25, 9, 0)  # billing's tick publishes the stage...
    late = h.envelope("billing.invoice.overdue", overdue_of("inv-paid"))
    at(2019, 6, 25, 9, 5)  # ...the payment comes in, and the bus hands the stage over after it
    h.deliver("billing.invoice.paid", {"invoice_id": "inv-paid", "paid_at": data.tallinn(2019, 6, 25, 9, 5),
                                       "amount": "768.00", "currency": "EUR"})
    h.deliver(envelope=late)
    h.deliver("billing.invoice.overdue", overdue_of("inv-open"))
    h.tick()
    reminder, = smtp.of("payment_reminder")  # the unpaid invoice is still reminded of
    assert reminder.rcpt_tos == ["arved@tori-vald.ee"]
    assert payment_reminders(h) == {"invoice:inv-open:overdue": "sent"}
    # A paid invoice is never reminded of, whenever its stage says it happened.
    at(2019, 7, 8, 9, 0)
    h.deliver("billing.invoice.overdue", overdue_of("inv-paid", "final_notice"))
    h.tick()
    assert len(smtp.of("payment_reminder")) == 1
    assert payment_reminders(h) == {"invoice:inv-open:overdue": "sent"}
    assert len(smtp.of("invoice_issued")) == 2 and smtp.of("credit_note") == []


def test_a_reminder_queued_while_the_payment_was_handled_is_cancelled_at_send_time(notify, smtp, caplog):
    at(2019, 6, 25, 9, 0)
    h = notify()
    for invoice_id in ("inv-raced", "inv-open"):  # the same employer's two invoices, both reminded of
        h.deliver("billing.invoice.overdue", overdue_of(invoice_id))
    # The race: the paid handler ran in its own transaction at the same moment, so it saw (and
    # cancelled) no reminder, and the overdue handler saw no mark. Only the mark is left of it.
    at(2019, 6, 25, 9, 5)
    with h.kit.db.transaction() as session:
        session.add(SettledInvoice(invoice_id="inv-raced", settled_by="paid", settled_at=clock.now()))
    assert payment_reminders(h) == {"invoice:inv-raced:overdue": "queued", "invoice:inv-open:overdue": "queued"}
    with caplog.at_level(logging.INFO, logger="services.notify.service_layer.delivery"):
        h.tick()
    reminder, = smtp.of("payment_reminder")  # the unpaid invoice is still reminded of
    rows = {row.cause_key: row for row in emails_in(h) if row.template == "payment_reminder"}
    assert reminder.message["Message-ID"].startswith(f"<{rows['invoice:inv-open:overdue'].id}@")
    assert payment_reminders(h) == {"invoice:inv-raced:overdue": "cancelled", "invoice:inv-open:overdue": "sent"}
    assert rows["invoice:inv-raced:overdue"].sent_at is None and rows["invoice:inv-raced:overdue"].attempts == 0
    assert [p["cause_key"] for p in h.payloads("notify.email.sent")] == ["invoice:inv-open:overdue"]
    cancelled, = [r for r in caplog.records if r.getMessage().startswith("payment reminder of a settled invoice")]
    assert cancelled.levelno == logging.INFO and cancelled.invoice_id == "inv-raced"
    h.tick()  # and it stays unsent
    assert len(smtp.of("payment_reminder")) == 1

def test_a_reminder_stage_handled_after_the_credit_note_sends_nothing(notify, smtp):
    at(2019, 6, 25, 9, 0)
    h = notify()
    late = h.envelope("billing.invoice.overdue", overdue_of("inv-credited"))
    at(2019, 6, 25, 9, 5)
    h.deliver("billing.invoice.credited", credited("inv-credited"))
    h.deliver(envelope=late)
    h.deliver("billing.invoice.overdue", overdue_of("inv-open"))
    h.tick()
    assert len(smtp.of("credit_note")) == 1  # the credit note itself still goes, once
    assert [r for m in smtp.of("payment_reminder") for r in m.rcpt_tos] == ["arved@tori-vald.ee"]
    assert payment_reminders(h) == {"invoice:inv-open:overdue": "sent"}


def test_the_confirmation_request_quotes_the_members_editions_cap(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify(claim_cap="700.00")
    h.deliver("enrolment.edition.published", data.edition(claim_cap="900.00", claim_daily_rate="300.00"))
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.tick()
    estonian, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    assert "kuni 900,00 € ulatuses koos käibemaksuga" in estonian.text and "700" not in estonian.text
    english, = smtp.to("liige2@tori.ee", "member_confirmation_request")
    assert "up to €900.00 including VAT" in english.text
    # A newcomer to the team confirms the same cap.
    h.deliver("enrolment.member.substituted", {
        "application_id": "app-tori", "left_participant_id": "tori-p1",
        "member": {"participant_id": "tori-p5", "first_name": "Uus", "last_name": "Liige", "email": "uus@tori.ee",
                   "organisation_id": "tori-kov"},
        "confirm_url": "http://127.0.0.1:8000/enrolment/p/confirm-tori-p5", "team_name": "Meeskond tori"})
    h.tick()
    newcomer, = smtp.to("uus@tori.ee", "member_confirmation_request")
    assert "900,00 €" in newcomer.text


def test_an_edition_event_without_a_cap_leaves_notifys_setting_in_the_request(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify(claim_cap="700.00")
    h.deliver("enrolment.edition.published", data.edition(claim_cap="900.00"))
    h.deliver("enrolment.edition.published", data.edition(revision=2))  # an older enrolment's: no cap
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.tick()
    request, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    assert "kuni 700,00 € ulatuses" in request.text
