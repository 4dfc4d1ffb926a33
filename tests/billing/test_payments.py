"""Issue 5, point 3: camt.053 statements matched by reference and amount; a re-import changes nothing."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from services.billing.adapters.models import BankEntry, Payment
from tests.billing.helpers import NGO, issued_invoice
from tests.unit.billing.camt053_builder import EntrySpec, camt053_xml
from tests.unit.billing.camt053_builder import Payment as Tx


def upload(h, xml: bytes, name: str = "statement.xml"):
    return h.client.post("/api/statements", data={"file": (io.BytesIO(xml), name)},
                         content_type="multipart/form-data")


def counts(h) -> tuple[int, int, int]:
    with h.kit.db.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(Payment.__table__)).scalar_one(),
                conn.execute(select(func.count()).select_from(BankEntry.__table__)).scalar_one(),
                conn.execute(select(func.count()).select_from(h.kit.tables.outbox)).scalar_one())


def refs(section: list[dict]) -> list[str]:
    return [entry["entry_ref"] for entry in section]


def test_a_statement_with_a_match_a_stranger_and_a_duplicate_imported_twice(billing, tmp_path):
    h = billing
    a = issued_invoice(h, "p-1", days_held=3)
    b = issued_invoice(h, "p-2", application="a-2", days_held=1, employer=NGO)
    entries = [
        EntrySpec("768.00", acct_svcr_ref="2019052000001", booking_date=date(2019, 5, 20),
                  payments=[Tx(reference=a["reference_number"], debtor_name="Pärnu Linnavalitsus")]),
        EntrySpec("100.00", acct_svcr_ref="2019052000002",
                  payments=[Tx(reference="1232", debtor_name="Keegi Teine")]),  # valid 7-3-1, not ours
        EntrySpec("768.00", acct_svcr_ref="2019052000001",  # the bank listed the first entry twice
                  payments=[Tx(reference=a["reference_number"], debtor_name="Pärnu Linnavalitsus")]),
        EntrySpec("200.00", acct_svcr_ref="2019052000003",
                  payments=[Tx(ustrd=[f"Arve {b['number']} viitenumber {b['reference_number']}"])]),
        EntrySpec("35.90", credit=False, acct_svcr_ref="2019052000004"),  # a bank fee: not a payment
    ]
    path = tmp_path / "camt053.xml"
    path.write_bytes(camt053_xml(entries))
    h.login("finance")

    first = upload(h, path.read_bytes(), path.name)
    assert first.status_code == 201, first.get_json()
    report = first.get_json()
    assert refs(report["matched"]) == ["2019052000001"]
    assert report["matched"][0]["invoice_number"] == a["number"]
    assert refs(report["unmatched"]) == ["2019052000002"]
    assert report["unmatched"][0]["outcome"] == "unknown_reference"
    assert refs(report["duplicates"]) == ["2019052000001"]
    assert refs(report["partial"]) == ["2019052000003"]
    assert (report["partial"][0]["outcome"], report["partial"][0]["difference"]) == ("underpaid", "-56.00")
    assert refs(report["ignored"]) == ["2019052000004"]
    assert report["already_imported"] == []

    paid_a = h.client.get(f"/api/invoices/{a['invoice_id']}").get_json()
    assert (paid_a["status"], paid_a["paid_on"], paid_a["amount_paid"]) == ("paid", "2019-05-20", "768.00")
    part_b = h.client.get(f"/api/invoices/{b['invoice_id']}").get_json()
    assert (part_b["status"], part_b["outstanding"]) == ("issued", "56.00")
    assert [p["invoice_id"] for p in h.payloads("billing.invoice.paid")] == [a["invoice_id"]]
    before = counts(h)

    # The same statement again, this time as a raw XML body: nothing changes.
    second = h.client.post("/api/statements?filename=again.xml", data=path.read_bytes(),
                           content_type="application/xml")
    assert second.status_code == 201
    again = second.get_json()
    assert again["matched"] == again["partial"] == again["unmatched"] == again["ignored"] == []
    assert len(again["already_imported"]) == 5
    assert counts(h) == before
    assert h.client.get(f"/api/invoices/{b['invoice_id']}").get_json()["outstanding"] == "56.00"
    assert len(h.payloads("billing.invoice.paid")) == 1

    # The employer pays the rest the next day: now it matches what is still due.
    rest = camt053_xml([EntrySpec("56.00", acct_svcr_ref="2019052100001", booking_date=date(2019, 5, 21),
                                  payments=[Tx(reference=b["reference_number"])])], statement_id="STMT-2019-05-21")
    third = upload(h, rest).get_json()
    assert refs(third["matched"]) == ["2019052100001"]
    assert h.client.get(f"/api/invoices/{b['invoice_id']}").get_json()["status"] == "paid"
    assert [p["amount"] for p in h.payloads("billing.invoice.paid")] == ["768.00", "256.00"]

    # The import is kept for the finance user, and the result page lists each section.
    page = h.client.get(f"/statements/{report['import_id']}").get_data(as_text=True)
    assert "2019052000002" in page and "tundmatu viitenumber" in page and a["number"] in page
    assert "2019052000002" in h.client.get("/statements").get_data(as_text=True)  # still unmatched


def test_an_overpayment_settles_the_invoice_and_is_listed_for_a_refund(billing):
    h = billing
    invoice = issued_invoice(h, days_held=1)
    h.login("finance")
    report = upload(h, camt053_xml([EntrySpec("300.00", acct_svcr_ref="X1",
                                              payments=[Tx(reference=invoice["reference_number"])])])).get_json()
    assert (report["partial"][0]["outcome"], report["partial"][0]["difference"]) == ("overpaid", "44.00")
    assert h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()["status"] == "paid"
    assert h.payloads("billing.invoice.paid")[0]["amount"] == "300.00"


def test_a_payment_for_an_invoice_paid_already_is_unmatched_and_names_it(billing):
    h = billing
    invoice = issued_invoice(h, days_held=1)
    h.login("finance")
    h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json={})
    report = upload(h, camt053_xml([EntrySpec("256.00", acct_svcr_ref="Y1",
                                              payments=[Tx(reference=invoice["reference_number"])])])).get_json()
    [entry] = report["unmatched"]
    assert (entry["outcome"], entry["invoice_number"], entry["invoice_status"]) == (
        "unknown_reference", invoice["number"], "paid")


def test_a_file_that_is_not_a_statement_is_refused_and_changes_nothing(billing):
    h = billing
    issued_invoice(h)
    h.login("finance")
    before = counts(h)
    bad = upload(h, b"<html>not a statement</html>")
    assert bad.status_code == 422
    assert "camt.053" in bad.get_json()["errors"]["files"]["file"][0]
    raw = h.client.post("/api/statements", data=b"<?xml version='1.0'?><x/>", content_type="text/xml")
    assert raw.status_code == 422 and "file" in raw.get_json()["errors"]["body"]
    assert upload(h, b"").status_code == 422
    assert h.client.post("/api/statements", json={"xml": "…"}).status_code == 422
    evil = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&e;</Document>')
    assert upload(h, evil).status_code == 422
    huge = upload(h, camt053_xml([EntrySpec("99999999999.99", acct_svcr_ref="H1")]))
    assert huge.status_code == 422 and "cents" in huge.get_json()["errors"]["files"]["file"][0]
    assert counts(h) == before


def test_instalments_in_one_statement_are_booked_in_its_order_and_the_invoice_is_paid_once(billing):
    """Two instalments settle the invoice and a third arrives after: the invoice is paid by the
    instalment that completed it, once (one billing.invoice.paid), and stays paid on that day;
    the report shows each entry with the invoice as that payment left it."""
    h = billing
    invoice = issued_invoice(h, days_held=1)  # 256.00
    ref = invoice["reference_number"]
    h.login("finance")
    report = upload(h, camt053_xml([
        EntrySpec("100.00", acct_svcr_ref="I1", booking_date=date(2019, 5, 20), payments=[Tx(reference=ref)]),
        EntrySpec("156.00", acct_svcr_ref="I2", booking_date=date(2019, 5, 21), payments=[Tx(reference=ref)]),
        EntrySpec("10.00", acct_svcr_ref="I3", booking_date=date(2019, 5, 22), payments=[Tx(reference=ref)]),
    ])).get_json()
    by_ref = {e["entry_ref"]: e for section in ("matched", "partial") for e in report[section]}
    assert [(r, by_ref[r]["outcome"], by_ref[r]["invoice_status"]) for r in ("I1", "I2", "I3")] == [
        ("I1", "underpaid", "issued"), ("I2", "paid", "paid"), ("I3", "overpaid", "paid")]
    paid = h.client.get(f"/api/invoices/{invoice['invoice_id']}").get_json()
    assert (paid["status"], paid["amount_paid"], paid["paid_on"]) == ("paid", "266.00", "2019-05-21")
    assert [p["note"].split()[-1] for p in paid["payments"]] == ["I1", "I2", "I3"]
    [event] = h.payloads("billing.invoice.paid")
    assert (event["paid_on"], event["amount"]) == ("2019-05-21", "256.00")
    # The first instalment is no longer a to-do once the invoice is paid; the surplus is.
    page = h.client.get("/statements").get_data(as_text=True)
    assert "<small>I3</small>" in page and "<small>I1</small>" not in page
