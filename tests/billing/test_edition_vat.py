"""Whether VAT applies is the edition's (enrolment.edition.published vat_applies), else
BILLING_VAT_APPLIES: an invoice is split by its claim's edition's value as it is when the
invoice is issued; an invoice issued already stays as issued."""
from __future__ import annotations

from tests.billing.helpers import DROPOUT_2019, billing_harness, deliver_at, dropout, pdf_text, set_day
from tests.billing.test_edition_policy import edition_event

VIEW_2020 = "g-2020-viljandi"


def edition(edition_id: str, groups: tuple[str, ...], revision: int = 1, **policy) -> dict:
    return {**edition_event(revision, groups=groups, **policy), "edition_id": edition_id}


def approve(h, participant: str, group_id: str) -> str:
    """A dropout of ``group_id`` (three days held: 768.00 gross), approved as proposed."""
    payload = {**dropout(participant, f"a-{participant}", days_held=3), "group_id": group_id}
    deliver_at(h, "attendance.participant.dropped_out", payload, DROPOUT_2019)
    claim_id = h.payloads("billing.claim.proposed")[-1]["claim_id"]
    h.login("coordinator", "finance")
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={}).status_code == 200
    return claim_id


def issue(h, claim_id: str) -> dict:
    response = h.client.post("/api/invoices", json={"claim_id": claim_id})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def split(invoice: dict) -> tuple[str, str, str, str]:
    return invoice["amount_net"], invoice["vat_rate"], invoice["vat_amount"], invoice["amount_gross"]


def pdf(h, invoice: dict) -> str:
    return " ".join(pdf_text(h.client.get(f"/api/invoices/{invoice['invoice_id']}/pdf").data).split())


def page(h, path: str, lang: str = "et") -> str:
    return " ".join(h.client.get(f"{path}?lang={lang}").get_data(as_text=True).split())


NO_VAT = ("768.00", "0.00", "0.00", "768.00")
WITH_VAT = ("640.00", "20.00", "128.00", "768.00")  # 2019: 20 %


def test_an_edition_without_vat_is_invoiced_net_equal_to_gross_and_another_edition_keeps_the_split(billing):
    h = billing
    h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",), vat_applies=False))
    h.deliver("enrolment.edition.published", edition("2020", (VIEW_2020,), vat_applies=True))
    h.deliver("enrolment.edition.published", edition("2018", ("g-tartu",)))  # says nothing: the setting (yes)
    no_vat, with_vat, by_setting = approve(h, "p-1", "g-parnu"), approve(h, "p-2", VIEW_2020), approve(h, "p-3", "g-tartu")

    # Finance sees it on the claim before issuing the invoice (et by default, en on request).
    claim = h.client.get(f"/api/claims/{no_vat}").get_json()
    assert (claim["vat_applies"], claim["vat_applies_source"]) == (False, "edition")
    text = page(h, f"/claims/{no_vat}")
    assert "Käibemaks: ei lisandu" in text and "väljaande tingimus" in text
    assert "VAT: none" in page(h, f"/claims/{no_vat}", "en")
    assert "Käibemaks: arvel eraldatakse" in page(h, f"/claims/{with_vat}")
    assert "arvelduse vaikeseade" in page(h, f"/claims/{by_setting}")

    invoice = issue(h, no_vat)
    assert split(invoice) == NO_VAT
    assert split(h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()) == NO_VAT
    assert h.payloads("billing.invoice.issued")[0]["vat_amount"] == "0.00"
    text = pdf(h, invoice)
    assert "Käibemaksu ei lisata" in text and "Käibemaks (ei rakendata)" in text and "128,00" not in text
    assert text.count("768,00") >= 2
    assert "0,00 €" in page(h, f"/invoices/{invoice['invoice_id']}")

    for claim_id in (with_vat, by_setting):
        other = issue(h, claim_id)
        assert split(other) == WITH_VAT
        text = pdf(h, other)
        assert "640,00" in text and "128,00" in text and "Käibemaksu ei lisata" not in text


def test_a_later_revision_leaves_an_issued_invoice_as_issued_and_applies_to_claims_invoiced_after_it(billing):
    h = billing
    h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",), 1, vat_applies=False))
    issued = issue(h, approve(h, "p-1", "g-parnu"))
    waiting = approve(h, "p-2", "g-parnu")  # approved under revision 1, not invoiced yet
    before = pdf(h, issued)
    assert split(issued) == NO_VAT

    h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",), 2, vat_applies=True))
    assert split(h.client.get(f"/api/invoices/{issued['invoice_id']}").get_json()) == NO_VAT  # a document
    assert pdf(h, issued) == before
    assert "(sh käibemaks 0,00 €)" in page(h, f"/claims/{issued['claim_id']}")
    # The value when the invoice is issued applies, not the one when the claim was approved.
    assert h.client.get(f"/api/claims/{waiting}").get_json()["vat_applies"] is True
    assert split(issue(h, waiting)) == WITH_VAT


def test_an_older_or_redelivered_revision_changes_nothing(billing):
    h = billing
    first = h.envelope("enrolment.edition.published", edition("2019", ("g-parnu",), 1, vat_applies=True))
    h.deliver(envelope=first)
    h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",), 2, vat_applies=False))
    h.deliver(envelope=first)  # redelivered
    h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",), 1, vat_applies=True))  # stale
    claim_id = approve(h, "p-1", "g-parnu")
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["vat_applies"] is False
    assert split(issue(h, claim_id)) == NO_VAT


def test_an_event_without_the_field_leaves_the_setting_in_force(stack):
    set_day(2019, 5, 10)
    h = billing_harness(stack, vat_applies="false")
    try:
        h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",)))  # an older enrolment
        h.deliver("enrolment.edition.published", edition("2020", (VIEW_2020,), vat_applies=True))
        by_setting, by_edition = approve(h, "p-1", "g-parnu"), approve(h, "p-2", VIEW_2020)
        claim = h.client.get(f"/api/claims/{by_setting}").get_json()
        assert (claim["vat_applies"], claim["vat_applies_source"]) == (False, "setting")
        assert split(issue(h, by_setting)) == NO_VAT
        assert split(issue(h, by_edition)) == WITH_VAT  # the edition overrides BILLING_VAT_APPLIES=false
        # A newer revision without the field (the coordinator cleared it): the setting again.
        h.deliver("enrolment.edition.published", edition("2020", (VIEW_2020,), 2))
        assert split(issue(h, approve(h, "p-3", VIEW_2020))) == NO_VAT
    finally:
        h.close()
