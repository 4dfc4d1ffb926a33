"""Issue 5, point 3: camt.053 statements matched by reference and amount; a re-import changes nothing."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from services.billing.adapters.models import BankEntry, Payment
from tests.billing.helpers import NGO, issued_invoice, set_day
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


def summary_figure(h, key: str):
    return {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}[key]


def test_a_payment_for_an_invoice_paid_already_is_booked_on_it_and_is_a_refund_due(billing):
    """The employer pays a paid invoice a second time: the money is booked on that invoice, which
    stays paid (one billing.invoice.paid, no reminders), and all of it is due back to the employer."""
    h = billing
    invoice = issued_invoice(h, days_held=1)  # 256.00, due 24.05.2019
    invoice_id = invoice["invoice_id"]
    h.login("finance")
    assert h.client.post(f"/api/invoices/{invoice_id}/payments", json={"paid_on": "2019-05-10"}).status_code == 200
    assert h.client.get("/api/refunds").get_json() == []
    xml = camt053_xml([EntrySpec("256.00", acct_svcr_ref="Y1", booking_date=date(2019, 5, 20),
                                 payments=[Tx(reference=invoice["reference_number"], debtor_name="Pärnu LV")])])
    report = upload(h, xml).get_json()
    assert report["unmatched"] == [] and report["matched"] == report["partial"] == []
    [entry] = report["settled"]
    assert (entry["outcome"], entry["invoice_number"], entry["invoice_status"], entry["amount_due"],
            entry["difference"]) == ("already_paid", invoice["number"], "paid", "0.00", "256.00")

    after = h.client.get(f"/api/invoices/{invoice_id}").get_json()
    assert (after["status"], after["paid_on"], after["amount_paid"], after["outstanding"]) == (
        "paid", "2019-05-10", "512.00", "0.00")
    assert [(p["source"], p["amount"]) for p in after["payments"]] == [("manual", "256.00"), ("bank", "256.00")]
    assert after["refund_due"] == "256.00"
    assert len(h.payloads("billing.invoice.paid")) == 1
    [due] = h.client.get("/api/refunds").get_json()
    assert (due["number"], due["why"], due["received"], due["still_owed"], due["refund_due"]) == (
        invoice["number"], "overpaid", "512.00", "256.00", "256.00")
    assert summary_figure(h, "billing.refunds_due") == 1

    # The report says what happened, in Estonian and in English; the statements page lists the refund
    # due and keeps the entry among the open ones; the import list counts it.
    result = f"/statements/{report['import_id']}"
    page = h.client.get(result + "?lang=et").get_data(as_text=True)
    assert "juba tasutud — tagastada" in page and "Juba tasutud või krediteeritud arvete laekumised" in page
    assert "tundmatu viitenumber" not in page
    english = h.client.get(result + "?lang=en").get_data(as_text=True)
    assert "paid already — refund due" in english and "Payments for invoices paid or credited already" in english
    statements = h.client.get("/statements?lang=et").get_data(as_text=True)
    refunds_list = statements[statements.index('id="refunds"'):statements.index("Sidumata ja osalised")]
    assert invoice["number"] in refunds_list and "256,00 €" in refunds_list
    assert "<small>Y1</small>" in statements

    # The same statement again books nothing more.
    before = counts(h)
    again = upload(h, xml).get_json()
    assert again["settled"] == [] and refs(again["already_imported"]) == ["Y1"]
    assert counts(h) == before
    assert h.client.get(f"/api/invoices/{invoice_id}").get_json()["refund_due"] == "256.00"

    # Settled all along: past its due date no reminder goes out.
    set_day(2019, 7, 1)
    h.tick()
    assert h.payloads("billing.invoice.overdue") == []

    # Refunded, the entry leaves the open ones and the refund the list.
    assert h.client.post(f"/api/invoices/{invoice_id}/refunds", json={"request_id": "refund-y1-0001"}).status_code == 200
    assert h.client.get("/api/refunds").get_json() == []
    assert "<small>Y1</small>" not in h.client.get("/statements").get_data(as_text=True)


def test_a_payment_for_a_credited_invoice_is_booked_on_it_and_is_a_refund_due(billing):
    h = billing
    invoice = issued_invoice(h, days_held=1)  # 256.00, never paid
    invoice_id = invoice["invoice_id"]
    h.login("finance")
    assert h.client.post(f"/api/invoices/{invoice_id}/credit-note", json={"reason": "Osaleja ennistati"}).status_code \
        == 201
    events = len(h.published())
    report = upload(h, camt053_xml([EntrySpec("256.00", acct_svcr_ref="C1", booking_date=date(2019, 5, 20),
                                              payments=[Tx(reference=invoice["reference_number"])])])).get_json()
    [entry] = report["settled"]
    assert (entry["outcome"], entry["invoice_status"], entry["difference"]) == ("already_credited", "credited",
                                                                               "256.00")
    after = h.client.get(f"/api/invoices/{invoice_id}").get_json()
    assert (after["status"], after["paid_on"], after["amount_paid"], after["refund_due"]) == (
        "credited", None, "256.00", "256.00")
    assert len(h.published()) == events  # no billing.invoice.paid, nothing else either
    [due] = h.client.get("/api/refunds").get_json()
    assert (due["why"], due["received"], due["still_owed"], due["refund_due"]) == (
        "credited", "256.00", "0.00", "256.00")
    assert summary_figure(h, "billing.refunds_due") == 1
    page = h.client.get(f"/statements/{report['import_id']}?lang=et").get_data(as_text=True)
    assert "krediteeritud — tagastada" in page
    assert "credited already — refund due" in h.client.get(
        f"/statements/{report['import_id']}?lang=en").get_data(as_text=True)


def test_a_truly_unknown_reference_stays_unknown_and_books_nothing(billing):
    h = billing
    invoice = issued_invoice(h, days_held=1)
    h.login("finance")
    h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json={})
    report = upload(h, camt053_xml([EntrySpec("256.00", acct_svcr_ref="U1", payments=[Tx(reference="1232")])]))
    [entry] = report.get_json()["unmatched"]
    assert (entry["outcome"], entry["invoice_id"]) == ("unknown_reference", None)
    assert report.get_json()["settled"] == []
    assert h.client.get("/api/refunds").get_json() == []


def test_a_payment_by_hand_for_a_paid_or_credited_invoice_is_refused_and_says_why(billing):
    h = billing
    paid = issued_invoice(h, "p-1", days_held=1)
    credited = issued_invoice(h, "p-2", application="a-2", days_held=1, employer=NGO)
    h.login("finance")
    h.client.post(f"/api/invoices/{paid['invoice_id']}/payments", json={})
    h.client.post(f"/api/invoices/{credited['invoice_id']}/credit-note", json={"reason": "Topelt"})
    before = counts(h)
    for invoice, status in ((paid, "paid"), (credited, "credited")):
        refused = h.client.post(f"/api/invoices/{invoice['invoice_id']}/payments", json={"amount": "10.00"})
        assert refused.status_code == 409
        assert f"is {status} already" in refused.get_json()["message"]
        assert "bank statement" in refused.get_json()["message"]
        form = h.client.post(f"/invoices/{invoice['invoice_id']}/paid?lang=et",
                             data={"csrf_token": h.csrf_token(f"/invoices/{invoice['invoice_id']}"),
                                   "amount": "10,00"})
        assert form.status_code == 409 and "pangaväljavõtte importimisel" in form.get_data(as_text=True)
    assert counts(h) == before
    assert h.client.get("/api/refunds").get_json() == []


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
