"""The counselling programme's e-mails (DOMAIN.md "After the programme"): enrolment's
``enrolment.counselling.applied`` and ``enrolment.counselling.decided`` in, one e-mail to the
application's contact person out, in the application's language, once."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from services.notify.adapters.models import Email
from shared.events.registry import encode
from shared.messaging.connection import connect
from shared.messaging.relay import wait_for
from tests.bus.probe import Running
from tests.bus.test_bus import raw_publish
from tests.notify.data import EDITION, at

# 30.06.2019 23:59:59 in Tallinn, summer time (UTC+3): what enrolment sends is UTC.
DEADLINE = datetime(2019, 6, 30, 20, 59, 59, tzinfo=UTC)
PARNU = {"name": "Pärnu Linnavalitsus", "registry_code": "75000237"}
TORI = {"name": "Tori Vallavalitsus", "registry_code": "77000417"}
HAADEMEESTE = {"name": "Häädemeeste Vallavalitsus", "registry_code": "75000154"}
SELTS = {"name": "MTÜ Pärnu Eakate Päevakeskus", "registry_code": "80100036"}
KYLASELTS = {"name": "MTÜ Tori Külaselts", "registry_code": "80200015"}


def applied(key: str, local_governments: list[dict], ngo_partners: list[dict], *, contact: str,
            language: str = "et") -> dict:
    return {"counselling_application_id": f"cns-{key}", "edition_id": EDITION, "year": 2019,
            "local_governments": local_governments, "ngo_partners": ngo_partners,
            "contact_name": contact, "contact_email": f"kontakt@{key}.ee", "language": language,
            "deadline": DEADLINE}


def decided(key: str, applicant: str, selected: bool, *, contact: str, language: str = "et") -> dict:
    return {"counselling_application_id": f"cns-{key}", "edition_id": EDITION, "year": 2019,
            "selected": selected, "applicant_name": applicant, "contact_name": contact,
            "contact_email": f"kontakt@{key}.ee", "language": language, "selected_count": 10}


def plain(message) -> str:
    """The text part with its line ends as written (SMTP carries CRLF)."""
    return message.text.replace("\r\n", "\n")


def rows(h, template_prefix: str = "counselling_") -> list[Email]:
    with h.kit.db.transaction() as session:
        return list(session.scalars(select(Email).where(Email.template.startswith(template_prefix))
                                    .order_by(Email.recipient, Email.template)))


def test_the_receipt_names_the_local_governments_the_ngo_partners_and_the_deadline_in_tallinn_time(notify, smtp):
    at(2019, 6, 10, 12, 0)  # after the last workshop (Tallinn's day III, 06.06.2019)
    h = notify()
    h.deliver("enrolment.counselling.applied",
              applied("parnu", [PARNU, TORI, HAADEMEESTE], [SELTS], contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.applied", applied("tori", [TORI], [], contact="Jaan Tamm", language="en"))
    assert smtp.received == []  # the handler only creates the rows; the delivery job sends
    h.tick()

    et, = smtp.to("kontakt@parnu.ee")
    assert et.rcpt_tos == ["kontakt@parnu.ee"] and et.template == "counselling_application_received"
    assert str(et.message["To"]) == "Mari Maasikas <kontakt@parnu.ee>"
    assert et.message["Content-Language"] == "et"
    assert et.subject == "Nõustamisprogrammi taotlus on kätte saadud – Pärnu Linnavalitsus"
    assert plain(et).startswith("Tere, Mari Maasikas!\n")
    assert "arenguprogrammi 2019. aasta nõustamisprogrammi" in plain(et)
    # The first local government leads, the others follow in the application's order, then the NGOs.
    assert ("Taotlust juhib: Pärnu Linnavalitsus (registrikood 75000237)\n\n"
            "Koos temaga kandideerivad omavalitsused:\n"
            "- Tori Vallavalitsus (registrikood 77000417)\n"
            "- Häädemeeste Vallavalitsus (registrikood 75000154)\n\n"
            "Partnerid vabaühendustest:\n"
            "- MTÜ Pärnu Eakate Päevakeskus (registrikood 80100036)\n") in plain(et)
    assert "<li>Häädemeeste Vallavalitsus (registrikood 75000154)</li>" in et.html
    assert "<li>MTÜ Pärnu Eakate Päevakeskus (registrikood 80100036)</li>" in et.html
    # The selection is announced after the deadline, shown on the Tallinn wall clock.
    assert "Taotlusi saab esitada kuni 30.06.2019 kell 23:59. Pärast tähtaega valib" in plain(et)
    assert "<strong>30.06.2019 kell 23:59</strong>" in et.html
    for body in (plain(et), et.html):
        assert "20:59" not in body
    # The coordinator's signature, from the settings, as in every other e-mail.
    assert "Kadri Kask" in plain(et) and "arenguprogramm@example.ee" in plain(et)

    en, = smtp.to("kontakt@tori.ee")
    assert en.template == "counselling_application_received" and en.message["Content-Language"] == "en"
    assert en.subject == "Counselling programme application received – Tori Vallavalitsus"
    assert plain(en).startswith("Hello Jaan Tamm,\n")
    assert "the 2019 counselling programme" in plain(en)
    assert "Leading the application: Tori Vallavalitsus (registry code 77000417)" in plain(en)
    assert "Applications can be submitted until 30 June 2019 at 23:59." in plain(en)
    assert "<strong>30 June 2019 at 23:59</strong>" in en.html
    # Alone and without NGO partners: neither list is shown.
    for body in (plain(en), en.html):
        assert "applying with it" not in body and "NGO partners" not in body

    sent = h.payloads("notify.email.sent")
    assert sorted((p["recipient"], p["template"], p["cause_key"]) for p in sent) == [
        ("kontakt@parnu.ee", "counselling_application_received", "counselling_applied:cns-parnu"),
        ("kontakt@tori.ee", "counselling_application_received", "counselling_applied:cns-tori")]


def test_the_receipt_goes_once_however_often_the_application_arrives(notify, smtp):
    at(2019, 6, 10, 12, 0)
    h = notify()
    payload = applied("parnu", [PARNU, TORI], [SELTS], contact="Mari Maasikas")
    envelope = h.envelope("enrolment.counselling.applied", payload)
    h.deliver(envelope=envelope)
    h.tick()
    h.deliver(envelope=envelope)  # the broker redelivers it
    h.deliver("enrolment.counselling.applied", payload)  # enrolment publishes the same fact again
    h.tick()
    h.tick()
    receipt, = smtp.received
    assert receipt.template == "counselling_application_received"
    row, = rows(h)
    assert (row.cause_key, row.status, row.attempts) == ("counselling_applied:cns-parnu", "sent", 1)
    assert len(h.payloads("notify.email.sent")) == 1


def test_each_decision_reaches_the_contact_once_in_the_applications_language(notify, smtp):
    at(2019, 7, 5, 10, 0)
    h = notify()
    decisions = [decided("parnu", "Pärnu Linnavalitsus", True, contact="Mari Maasikas"),
                 decided("tori", "Tori Vallavalitsus", True, contact="Jaan Tamm", language="en"),
                 decided("saarde", "Saarde Vallavalitsus", False, contact="Toomas Saar"),
                 decided("audru", "Audru Vallavalitsus", False, contact="Liis Kuusk", language="en")]
    for payload in decisions:
        envelope = h.envelope("enrolment.counselling.decided", payload)
        h.deliver(envelope=envelope)
        h.deliver(envelope=envelope)  # redelivered
    h.tick()
    for payload in decisions:  # the selection announced again
        h.deliver("enrolment.counselling.decided", payload)
    h.tick()
    assert len(smtp.received) == 4

    selected_et, = smtp.to("kontakt@parnu.ee")
    assert selected_et.template == "counselling_selected" and selected_et.message["Content-Language"] == "et"
    assert selected_et.subject == "Teie taotlus on valitud 2019. aasta nõustamisprogrammi – Pärnu Linnavalitsus"
    assert str(selected_et.message["To"]) == "Mari Maasikas <kontakt@parnu.ee>"
    assert plain(selected_et).startswith("Tere, Mari Maasikas!\n")
    for fact in ("teie taotlus on valitud avalike teenuste delegeerimise ja koosloome arenguprogrammi 2019. aasta "
                 "nõustamisprogrammi", "Taotlust juhib: Pärnu Linnavalitsus",
                 "Nõustamisprogrammi valitud taotlusi kokku: 10", "Kadri Kask"):
        assert fact in plain(selected_et), fact
    assert "Kahjuks" not in plain(selected_et)

    selected_en, = smtp.to("kontakt@tori.ee")
    assert selected_en.template == "counselling_selected" and selected_en.message["Content-Language"] == "en"
    assert selected_en.subject == "Your application has been selected for the 2019 counselling programme – Tori Vallavalitsus"
    assert plain(selected_en).startswith("Hello Jaan Tamm,\n")
    assert "Leading the application: Tori Vallavalitsus" in plain(selected_en)
    assert "Applications selected in all: 10" in plain(selected_en)
    assert "Tori Vallavalitsus" in selected_en.html and "Unfortunately" not in plain(selected_en)

    not_selected_et, = smtp.to("kontakt@saarde.ee")
    assert not_selected_et.template == "counselling_not_selected"
    assert not_selected_et.subject == "Otsus nõustamisprogrammi taotluse kohta – Saarde Vallavalitsus"
    assert plain(not_selected_et).startswith("Tere, Toomas Saar!\n")
    for fact in ("Täname teid huvi ja taotluse eest", "2019. aasta nõustamisprogrammi",
                 "Kahjuks ei saanud me teie taotlust seekord nõustamisprogrammi valida",
                 "Taotlust juhib: Saarde Vallavalitsus",
                 # Whom to ask about the decision: the coordinator of the settings, as in the signature.
                 "kirjutage meile julgesti aadressil arenguprogramm@example.ee"):
        assert fact in plain(not_selected_et), fact
    assert 'href="mailto:arenguprogramm@example.ee"' in not_selected_et.html
    assert "Palju õnne" not in plain(not_selected_et) and "valitud taotlusi kokku: 10" in plain(not_selected_et)

    not_selected_en, = smtp.to("kontakt@audru.ee")
    assert not_selected_en.template == "counselling_not_selected"
    assert not_selected_en.message["Content-Language"] == "en"
    assert not_selected_en.subject == "Decision on your counselling programme application – Audru Vallavalitsus"
    for fact in ("Hello Liis Kuusk,", "Thank you for your interest", "the 2019 counselling programme",
                 "Unfortunately we could not select your application for the counselling programme this time",
                 "Leading the application: Audru Vallavalitsus", "write to us at arenguprogramm@example.ee"):
        assert fact in plain(not_selected_en), fact
    assert "Congratulations" not in plain(not_selected_en)

    assert {(r.recipient, r.template, r.cause_key, r.status) for r in rows(h)} == {
        ("kontakt@parnu.ee", "counselling_selected", "counselling_decided:cns-parnu", "sent"),
        ("kontakt@tori.ee", "counselling_selected", "counselling_decided:cns-tori", "sent"),
        ("kontakt@saarde.ee", "counselling_not_selected", "counselling_decided:cns-saarde", "sent"),
        ("kontakt@audru.ee", "counselling_not_selected", "counselling_decided:cns-audru", "sent")}
    assert len(h.payloads("notify.email.sent")) == 4


def test_a_changed_decision_sends_the_other_email_once(notify, smtp):
    at(2019, 7, 5, 10, 0)
    h = notify()
    h.deliver("enrolment.counselling.decided", decided("saarde", "Saarde Vallavalitsus", False, contact="Toomas Saar"))
    h.tick()
    at(2019, 7, 8, 10, 0)  # a selected one withdrew; the coordinator selected this one instead
    for _ in range(2):
        h.deliver("enrolment.counselling.decided",
                  decided("saarde", "Saarde Vallavalitsus", True, contact="Toomas Saar"))
    h.tick()
    assert [m.template for m in smtp.to("kontakt@saarde.ee")] == ["counselling_not_selected", "counselling_selected"]


def test_the_receipt_and_the_decision_are_two_emails_whichever_arrives_first(notify, smtp):
    at(2019, 7, 5, 10, 0)
    h = notify()
    h.deliver("enrolment.counselling.decided", decided("parnu", "Pärnu Linnavalitsus", True, contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.applied", applied("parnu", [PARNU], [KYLASELTS], contact="Mari Maasikas"))
    h.tick()
    assert sorted(m.template for m in smtp.to("kontakt@parnu.ee")) == [
        "counselling_application_received", "counselling_selected"]
    receipt, = smtp.to("kontakt@parnu.ee", "counselling_application_received")
    assert "Partnerid vabaühendustest:\n- MTÜ Tori Külaselts (registrikood 80200015)" in plain(receipt)
    assert "Koos temaga kandideerivad" not in plain(receipt)


def test_a_malformed_counselling_event_is_dead_lettered_and_the_queue_keeps_going(notify, smtp, stack):
    at(2019, 7, 5, 10, 0)
    h = notify()
    worker = h.kit.consumer()
    conn = connect(stack.bus_url)
    worker.declare(conn)  # bind notify.events before anything is published
    conn.release()

    def raw(event_type: str, payload: dict, message_id: str, **broken) -> None:
        body = json.loads(encode(h.envelope(event_type, payload)))
        body["payload"].update(broken)
        for name in [name for name, value in broken.items() if value is None]:
            del body["payload"][name]
        raw_publish(stack.bus_url, json.dumps(body).encode(), event_type, message_id)

    receipt = applied("parnu", [PARNU], [], contact="Mari Maasikas")
    raw("enrolment.counselling.applied", receipt, "no-local-government", local_governments=[])
    raw("enrolment.counselling.applied", receipt, "bad-registry-code",
        local_governments=[{"name": "Pärnu Linnavalitsus", "registry_code": "7500"}])
    raw("enrolment.counselling.applied", receipt, "no-deadline", deadline=None)
    decision = decided("saarde", "Saarde Vallavalitsus", False, contact="Toomas Saar")
    raw("enrolment.counselling.decided", decision, "no-selected", selected=None)
    raw("enrolment.counselling.decided", decision, "bad-address", contact_email="not an address")
    raw("enrolment.counselling.applied", receipt, "good")  # after them, still handled

    dead_letters = h.kit.tables.dead_letters

    def dead() -> dict:
        with h.kit.db.reading() as db:
            return {row.message_id: row for row in db.execute(select(dead_letters))}

    with Running(worker.run):
        assert wait_for(lambda: len(dead()) == 5 and len(rows(h)) == 1, timeout=30)
    letters = dead()
    assert set(letters) == {"no-local-government", "bad-registry-code", "no-deadline", "no-selected", "bad-address"}
    assert {(row.reason, row.status) for row in letters.values()} == {("rejected", "dead")}
    for message_id, field in (("no-local-government", "local_governments"), ("bad-registry-code", "registry_code"),
                              ("no-deadline", "deadline"), ("no-selected", "selected"),
                              ("bad-address", "contact_email")):
        assert field in letters[message_id].error, (message_id, letters[message_id].error)
    # Only the good application made an e-mail; nothing for the broken ones.
    row, = rows(h)
    assert (row.recipient, row.template) == ("kontakt@parnu.ee", "counselling_application_received")
    h.tick()
    assert [m.template for m in smtp.received] == ["counselling_application_received"]
