"""The e-mails state the member's edition's terms: whether the claim cap includes VAT
(enrolment.edition.published vat_applies; unset = billing's default, VAT applies), the
make-up rule (attendance.make_up_rule.changed; none heard = the brochure's), and whether an
invoice carries VAT (billing marks one issued without it by rate 0 and VAT 0.00)."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest

from tests.notify import data
from tests.notify.data import at

NO_VAT_ET = "Käibemaksu ei lisata: hüvitis ei ole käibemaksuga maksustatav."
NO_VAT_EN = "No VAT is added: the cost recovery is not subject to VAT."

RULE_ET = {
    "before_own_next_day": "saate selle üldjuhul järele teha teise linna rühmaga enne oma rühma järgmist koolituspäeva",
    "any_later_same_day": "saate selle üldjuhul järele teha teise linna rühmaga sama koolituspäeva mis tahes "
                          "hilisemal toimumiskorral",
    "none": "Vahele jäänud koolituspäeva ei saa järele teha.",
}
RULE_EN = {
    "before_own_next_day": "make it up with another city's group before your own group's next workshop day",
    "any_later_same_day": "make it up with another city's group at any later session of the same workshop day",
    "none": "A missed workshop day cannot be made up.",
}


def flat(text: str) -> str:
    """The words as a reader sees them: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _edition(vat: bool | None, revision: int = 1) -> dict:
    return data.edition(revision) if vat is None else data.edition(revision, vat_applies=vat)


def _dropout(h, n: int) -> None:
    participant = f"tori-p{n}"
    h.deliver("attendance.participant.dropped_out", {
        "participant_id": participant, "application_id": "app-tori", "group_id": data.GROUP["Pärnu"],
        "reason": "absence", "days_attended": 1, "days_held": 2, "employer": data.employer("tori")})
    h.deliver("billing.claim.proposed", {
        "claim_id": f"claim-{n}", "participant_id": participant, "application_id": "app-tori",
        "employer": data.employer("tori"), "amount_gross": "512.00", "days_held": 2, "cap": "768.00",
        "daily_rate": "256.00"})


def _rule(edition_id: str, revision: int, allowed: bool, window: str = "before_own_next_day") -> dict:
    return {"edition_id": edition_id, "make_ups_allowed": allowed, "window": window, "revision": revision,
            "changed_at": data.tallinn(2019, 2, 1, 12)}


@pytest.mark.parametrize("vat", [False, True, None], ids=["vat_false", "vat_true", "vat_unset"])
def test_the_confirmation_request_and_the_dropout_notice_state_the_cap_as_the_edition_says(notify, smtp, vat):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", _edition(vat))
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.tick()
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(2,)))
    at(2019, 5, 2, 18, 0)
    _dropout(h, 1)
    _dropout(h, 2)
    h.tick()
    with_vat = vat is not False  # unset: billing's BILLING_VAT_APPLIES, whose default is true
    estonian = [smtp.to("liige1@tori.ee", t)[0] for t in ("member_confirmation_request", "dropout_notice")]
    english = [smtp.to("liige2@tori.ee", t)[0] for t in ("member_confirmation_request", "dropout_notice")]
    for mail in estonian:
        for body in (flat(mail.text), flat(mail.html)):
            if with_vat:
                assert "kuni 768,00 € ulatuses koos käibemaksuga" in body, mail.template
            else:
                assert "kuni 768,00 € ulatuses" in body and "käibemaks" not in body.lower(), mail.template
    for mail in english:
        for body in (flat(mail.text), flat(mail.html)):
            if with_vat:
                assert "up to €768.00 including VAT" in body, mail.template
            else:
                assert "up to €768.00 for the training costs" in body and "VAT" not in body, mail.template


def test_the_newest_revision_of_the_edition_says_whether_vat_applies(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", _edition(True, revision=2))
    h.deliver("enrolment.edition.published", _edition(False, revision=1))  # older, arriving late
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.edition.published", _edition(False, revision=3))
    h.deliver("enrolment.application.submitted", data.submitted("saue"))
    h.tick()
    assert "koos käibemaksuga" in smtp.to("liige1@tori.ee", "member_confirmation_request")[0].text
    assert "käibemaks" not in smtp.to("liige1@saue.ee", "member_confirmation_request")[0].text


@pytest.mark.parametrize("rule", ["before_own_next_day", "any_later_same_day", "none", "no_event"])
def test_the_conditions_state_the_editions_make_up_rule(notify, smtp, rule):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    if rule != "no_event":
        h.deliver("attendance.make_up_rule.changed", _rule(
            data.EDITION, 1, rule != "none", "before_own_next_day" if rule == "none" else rule))
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.tick()
    expected = "before_own_next_day" if rule == "no_event" else rule
    estonian, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    english, = smtp.to("liige2@tori.ee", "member_confirmation_request")
    for body in (flat(estonian.text), flat(estonian.html)):
        assert RULE_ET[expected] in body
        assert [sentence for key, sentence in RULE_ET.items() if key != expected and sentence in body] == []
    for body in (flat(english.text), flat(english.html)):
        assert RULE_EN[expected] in body
        assert [sentence for key, sentence in RULE_EN.items() if key != expected and sentence in body] == []


def test_an_older_or_redelivered_rule_changes_nothing(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    none = h.envelope("attendance.make_up_rule.changed", _rule(data.EDITION, 2, False))
    h.deliver(envelope=none)
    h.deliver("attendance.make_up_rule.changed", _rule(data.EDITION, 3, True, "any_later_same_day"))
    h.deliver(envelope=none)  # redelivered: the inbox skips it
    h.deliver("attendance.make_up_rule.changed", _rule(data.EDITION, 1, False))  # older, arriving late
    h.deliver("attendance.make_up_rule.changed", _rule(data.EDITION, 3, False))  # the same revision again
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.tick()
    request, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    assert RULE_ET["any_later_same_day"] in flat(request.text) and RULE_ET["none"] not in flat(request.text)


def test_with_make_ups_off_the_other_e_mails_say_a_missed_day_cannot_be_made_up(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("attendance.make_up_rule.changed", _rule(data.EDITION, 1, False))
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(2,)))
    h.tick()
    at(2019, 4, 6, 10, 0)  # three days before Pärnu's day I: its reminder
    h.tick()
    reminder, = smtp.to("liige1@tori.ee", "session_reminder")
    assert "vahele jäänud koolituspäeva ei saa järele teha" in flat(reminder.text)
    assert "teise linna rühmaga järele teha" not in reminder.text + reminder.html
    english, = smtp.to("liige2@tori.ee", "session_reminder")
    assert "a missed workshop day cannot be made up" in flat(english.text)
    assert "make up the day with another city" not in english.text

    at(2019, 4, 9, 18, 0)
    h.deliver("attendance.participant.absent", {
        "participant_id": "tori-p1", "application_id": "app-tori", "day_number": 1,
        "missed_session_id": data.session_id("Pärnu", 1), "make_up_sessions": []})
    h.tick()
    absence, = smtp.to("liige1@tori.ee", "absence_make_up")
    assert "vahele jäänud päeva ei saa järele teha" in flat(absence.text)
    assert "saab järele teha" not in absence.text and "ei toimu seda koolituspäeva enam" not in absence.text

    _dropout(h, 1)
    _dropout(h, 2)
    h.tick()
    notice, = smtp.to("liige1@tori.ee", "dropout_notice")
    assert "Vahele jäänud koolituspäeva ei saa järele teha, mistõttu loetakse" in flat(notice.text)
    assert "enam võimalik" not in notice.text
    notice, = smtp.to("liige2@tori.ee", "dropout_notice")
    assert "A missed workshop day cannot be made up, so you are considered" in flat(notice.text)


def test_with_the_brochures_rule_the_other_e_mails_offer_a_make_up_as_before(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("attendance.make_up_rule.changed", _rule(data.EDITION, 1, False))
    h.deliver("attendance.make_up_rule.changed", _rule(data.EDITION, 2, True, "any_later_same_day"))
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu"))
    at(2019, 4, 6, 10, 0)
    h.tick()
    reminder, = smtp.to("liige1@tori.ee", "session_reminder")
    assert "otsime koos võimaluse see päev teise linna rühmaga järele teha" in flat(reminder.text)
    at(2019, 4, 9, 18, 0)
    h.deliver("attendance.participant.absent", {
        "participant_id": "tori-p1", "application_id": "app-tori", "day_number": 1,
        "missed_session_id": data.session_id("Pärnu", 1),
        "make_up_sessions": [{"session_id": data.session_id("Tartu", 1), "city": "Tartu", "date": date(2019, 4, 11)}]})
    h.tick()
    absence, = smtp.to("liige1@tori.ee", "absence_make_up")
    assert "vahele jäänud päeva saab järele teha mõne teise linna rühmaga" in flat(absence.text)
    assert "neljapäev, 11.04.2019 – Tartu" in absence.text


# -- invoices -------------------------------------------------------------------------------------
NO_VAT_INVOICE = {"amount_net": "768.00", "vat_rate": "0", "vat_amount": "0.00", "amount_gross": "768.00"}


def _overdue(invoice_id: str, **vat) -> dict:
    return {"invoice_id": invoice_id, "invoice_number": "PO-2019-0001", "stage": "overdue",
            "due_date": date(2019, 6, 24), "amount_gross": "768.00", "employer": data.employer("tori"),
            "reference_number": "20190013", **vat}


def _credited(invoice_id: str, **vat) -> dict:
    return {"invoice_id": invoice_id, "invoice_number": "PO-2019-0001", "credit_note_number": "KR-00001",
            "amount_gross": "768.00", "currency": "EUR", "reason": "Osaleja ennistati",
            "employer": data.employer("tori"), "pdf_url": "http://127.0.0.1:8000/billing/p/credit-note-token", **vat}


def _invoice_mails(smtp) -> dict[str, str]:
    return {m.template: flat(m.text) + " " + flat(m.html) for m in smtp.received}


@pytest.mark.parametrize("carried", [True, False], ids=["vat_in_events", "vat_from_issued_only"])
def test_invoice_e_mails_of_an_invoice_without_vat_say_amount_and_why(notify, smtp, carried):
    """billing.invoice.overdue and .credited carry the split (vat_rate, vat_amount); without it
    (an older billing's event) notify uses what billing.invoice.issued said."""
    at(2019, 6, 10, 10, 0)
    h = notify()
    h.deliver("billing.invoice.issued", data.invoice_issued("tori", "inv-0", **NO_VAT_INVOICE))
    vat = {"vat_rate": "0.00", "vat_amount": "0.00"} if carried else {}
    at(2019, 6, 25, 10, 0)
    h.deliver("billing.invoice.overdue", _overdue("inv-0", **vat))
    h.tick()  # sent before the credit note (which cancels a reminder not sent yet)
    h.deliver("billing.invoice.credited", _credited("inv-0", **vat))
    h.tick()
    mails = _invoice_mails(smtp)
    assert set(mails) == {"invoice_issued", "payment_reminder", "credit_note"}
    assert "Summa: 768,00 €" in mails["invoice_issued"] and "Summa: 768,00 €" in mails["payment_reminder"]
    assert "Kreeditarve summa: 768,00 €" in mails["credit_note"]
    for template, body in mails.items():
        assert NO_VAT_ET in body and "koos käibemaksuga" not in body, template


def test_invoice_e_mails_of_an_invoice_with_vat_read_as_before(notify, smtp):
    at(2019, 6, 10, 10, 0)
    h = notify()
    h.deliver("billing.invoice.issued", data.invoice_issued("tori", "inv-1"))
    at(2019, 6, 25, 10, 0)
    h.deliver("billing.invoice.overdue", _overdue("inv-1", vat_rate="20.00", vat_amount="128.00"))
    h.tick()
    h.deliver("billing.invoice.credited", _credited("inv-1"))  # no split in the event: the issued one's
    h.tick()
    mails = _invoice_mails(smtp)
    assert "Summa koos käibemaksuga: 768,00 €" in mails["invoice_issued"]
    assert "Summa koos käibemaksuga: 768,00 €" in mails["payment_reminder"]
    assert "Kreeditarve summa koos käibemaksuga: 768,00 €" in mails["credit_note"]
    assert all(NO_VAT_ET not in body for body in mails.values())


def test_the_invoice_sent_again_follows_the_invoice(notify, smtp):
    """Finance's "send again" carries the split too; the e-mail names no VAT where there is none."""
    at(2019, 6, 10, 10, 0)
    h = notify()
    h.deliver("billing.invoice.issued", data.invoice_issued("tori", "inv-2", **NO_VAT_INVOICE))
    h.tick()
    smtp.clear()
    h.deliver("billing.invoice.email_requested_again", {
        "invoice_id": "inv-2", "invoice_number": "PO-2019-0001", "request_id": "req-00000001",
        "recipient_email": "raamatupidamine@tori-vald.ee", "participant_id": "tori-p1",
        "employer": data.employer("tori"), "amount_gross": "768.00", "currency": "EUR",
        "due_date": date(2019, 6, 24), "reference_number": "20190013", "vat_rate": "0.00", "vat_amount": "0.00"})
    h.tick()
    again, = smtp.received
    assert "Summa: 768,00 €" in again.text and NO_VAT_ET in again.text and "koos käibemaksuga" not in again.text
