"""Where VAT does not apply to a claim's invoice, billing names no VAT: the refusal of an amount
above the cap, the proposal's explanation (claim list, claim page, API), and an invoice issued
without VAT, whose page says why as its PDF does; the invoice events notify words its e-mails
by carry the split. Where VAT applies, everything reads as before."""
from __future__ import annotations

import html
import re

from tests.billing.helpers import DROPOUT_2019, deliver_at, dropout, later
from tests.billing.test_edition_vat import VIEW_2020, approve, edition, issue

NO_VAT_ET = "Käibemaksu ei lisata: hüvitis ei ole käibemaksuga maksustatav."
NO_VAT_EN = "No VAT is added: the cost recovery is not subject to VAT."


def flat(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def proposed(h, participant: str, group_id: str, days_held: int = 3) -> str:
    payload = {**dropout(participant, f"a-{participant}", days_held=days_held), "group_id": group_id}
    deliver_at(h, "attendance.participant.dropped_out", payload, DROPOUT_2019)
    return h.payloads("billing.claim.proposed")[-1]["claim_id"]


def two_editions(h) -> None:
    h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",), vat_applies=False))
    h.deliver("enrolment.edition.published", edition("2020", (VIEW_2020,), vat_applies=True))


def test_an_amount_above_the_cap_is_refused_without_vat_where_none_applies(billing):
    h = billing
    two_editions(h)
    no_vat, with_vat = proposed(h, "p-1", "g-parnu"), proposed(h, "p-2", VIEW_2020)
    h.login("coordinator", "finance")

    refused = h.client.post(f"/api/claims/{no_vat}/approve", json={"amount": "800.00"})
    assert refused.status_code == 422
    assert refused.get_json()["message"] == "claim amount €800.00 is above the cap of €768.00"
    refused = h.client.post(f"/api/claims/{with_vat}/approve", json={"amount": "800.00"})
    assert refused.get_json()["message"] == "claim amount €800.00 is above the cap of €768.00 incl. VAT"

    token = h.csrf_token(f"/claims/{no_vat}")
    page = h.client.post(f"/claims/{no_vat}/approve", data={"csrf_token": token, "amount": "800"})
    text = flat(page.get_data(as_text=True))
    assert "ületab ülempiiri 768,00 €" in text and "(koos käibemaksuga)" not in text
    token = h.csrf_token(f"/claims/{with_vat}")
    page = h.client.post(f"/claims/{with_vat}/approve", data={"csrf_token": token, "amount": "800"})
    assert "ületab ülempiiri 768,00 € (koos käibemaksuga)" in flat(page.get_data(as_text=True))


def test_the_proposals_explanation_names_vat_only_where_it_applies_on_the_list_and_in_the_api(billing):
    h = billing
    two_editions(h)
    no_vat, with_vat = proposed(h, "p-1", "g-parnu", 2), proposed(h, "p-2", VIEW_2020, 2)
    h.login("coordinator", "finance")

    claim = h.client.get(f"/api/claims/{no_vat}").get_json()
    assert claim["explanation_et"] == "2 päeva × 256,00 € = 512,00 €."
    assert claim["explanation_en"] == "2 days × €256.00 = €512.00."
    claim = h.client.get(f"/api/claims/{with_vat}").get_json()
    assert claim["explanation_et"] == "2 päeva × 256,00 € = 512,00 € (koos käibemaksuga)."
    assert claim["explanation_en"] == "2 days × €256.00 = €512.00 (incl. VAT)."

    listing = flat(h.client.get("/claims?lang=et").get_data(as_text=True))
    assert "2 päeva × 256,00 € = 512,00 €. " in listing + " "
    assert listing.count("(koos käibemaksuga)") == 1  # the other edition's claim
    listing = flat(h.client.get("/claims?lang=en").get_data(as_text=True))
    assert listing.count("(incl. VAT)") == 1


def test_the_page_of_an_invoice_issued_without_vat_says_why_as_its_pdf_does(billing):
    h = billing
    two_editions(h)
    no_vat = issue(h, approve(h, "p-1", "g-parnu"))
    with_vat = issue(h, approve(h, "p-2", VIEW_2020))

    page = flat(h.client.get(f"/invoices/{no_vat['invoice_id']}?lang=et").get_data(as_text=True))
    assert "Käibemaks (ei rakendata): 0,00 €" in page and NO_VAT_ET in page and "Käibemaks 0 %" not in page
    page = flat(h.client.get(f"/invoices/{no_vat['invoice_id']}?lang=en").get_data(as_text=True))
    assert "VAT (not applied): €0.00" in page and NO_VAT_EN in page and "VAT 0 %" not in page

    page = flat(h.client.get(f"/invoices/{with_vat['invoice_id']}?lang=et").get_data(as_text=True))
    assert "Käibemaks 20 %: 128,00 €" in page and NO_VAT_ET not in page and "ei rakendata" not in page


def test_the_invoice_events_carry_the_split_for_the_e_mails(billing):
    h = billing
    two_editions(h)
    no_vat = issue(h, approve(h, "p-1", "g-parnu"))
    with_vat = issue(h, approve(h, "p-2", VIEW_2020))
    for invoice in (no_vat, with_vat):
        again = h.client.post(f"/api/invoices/{invoice['invoice_id']}/send-again",
                              json={"request_id": f"again-{invoice['invoice_id']}"})
        assert again.status_code in (200, 201, 202), again.get_json()
    later(40)  # past the due date: the reminder stages
    h.tick()
    for invoice in (no_vat, with_vat):
        assert h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note",
                             json={"reason": "Osaleja ennistati"}).status_code in (200, 201)
    splits = {event_type: {(p["invoice_id"], p["vat_rate"], p["vat_amount"]) for p in h.payloads(event_type)}
              for event_type in ("billing.invoice.email_requested_again", "billing.invoice.overdue",
                                 "billing.invoice.credited")}
    for event_type, seen in splits.items():
        rates = {invoice_id: (rate, vat) for invoice_id, rate, vat in seen}
        assert rates[no_vat["invoice_id"]] == ("0.00", "0.00"), event_type
        assert rates[with_vat["invoice_id"]] == ("20.00", "128.00"), event_type
