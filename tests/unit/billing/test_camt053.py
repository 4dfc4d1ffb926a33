from datetime import date
from decimal import Decimal

import pytest

from services.billing.domain.camt053 import (
    Entry,
    MatchKind,
    OpenInvoice,
    StatementError,
    match_payments,
    parse_statement,
    parse_statements,
    reference_in_free_text,
)
from services.billing.domain.reference import reference_number

from .camt053_builder import IBAN, EntrySpec, Payment, camt053_xml, write_camt053

VERSIONS = [f"camt.053.001.0{n}" for n in range(2, 9)]

OUR_REFERENCE = reference_number("20190001")  # an open invoice of 768.00
OTHER_REFERENCE = reference_number("20190002")  # an open invoice of 512.00
UNKNOWN_REFERENCE = reference_number("99990001")


def open_invoices() -> dict[str, OpenInvoice]:
    return {
        OUR_REFERENCE: OpenInvoice("inv-1", OUR_REFERENCE, Decimal("768.00")),
        OTHER_REFERENCE: OpenInvoice("inv-2", OTHER_REFERENCE, Decimal("512.00")),
    }


def three_entries() -> list[EntrySpec]:
    """A payment of an open invoice, a payment we know nothing about, and the first again."""
    paid = EntrySpec(
        "768.00",
        acct_svcr_ref="2019052000001",
        payments=[Payment(reference=OUR_REFERENCE, ustrd=["Arve 2019-0001"], debtor_name="Pärnu Linnavalitsus")],
    )
    unknown = EntrySpec(
        "120.50",
        acct_svcr_ref="2019052000002",
        payments=[Payment(reference=UNKNOWN_REFERENCE, debtor_name="Jüri Õunapuu")],
    )
    return [paid, unknown, paid]


@pytest.fixture
def statement_file(tmp_path):
    return write_camt053(tmp_path / "statement.xml", three_entries())


def test_parses_the_written_statement(statement_file):
    statement = parse_statement(statement_file.read_bytes())
    assert statement.statement_id == "STMT-2019-05-20"
    assert statement.account_iban == IBAN
    assert statement.entries[0] == Entry(
        entry_ref="2019052000001",
        amount=Decimal("768.00"),
        currency="EUR",
        credit=True,
        booking_date=date(2019, 5, 20),
        reference=OUR_REFERENCE,
        debtor_name="Pärnu Linnavalitsus",
        remittance_text="Arve 2019-0001",
    )
    assert [entry.entry_ref for entry in statement.entries] == ["2019052000001", "2019052000002", "2019052000001"]
    assert statement.entries[1].debtor_name == "Jüri Õunapuu"
    assert all(isinstance(entry.amount, Decimal) for entry in statement.entries)


def test_matches_the_written_statement(statement_file):
    result = match_payments(parse_statement(statement_file.read_bytes()).entries, open_invoices())
    assert [(m.entry.entry_ref, m.invoice.invoice_id, m.kind) for m in result.matched] == [
        ("2019052000001", "inv-1", MatchKind.PAID)
    ]
    assert result.partial == []
    assert [(m.entry.entry_ref, m.kind, m.invoice) for m in result.unmatched] == [
        ("2019052000002", MatchKind.UNKNOWN_REFERENCE, None)
    ]
    assert [entry.entry_ref for entry in result.duplicates] == ["2019052000001"]
    assert result.ignored == []


def test_entry_refs_are_stable_across_imports(statement_file):
    first = parse_statement(statement_file.read_bytes())
    again = parse_statement(statement_file.read_bytes())
    assert [e.entry_ref for e in first.entries] == [e.entry_ref for e in again.entries]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_schema_version_parses_the_same(version):
    statement = parse_statement(camt053_xml(three_entries(), version=version))
    assert [(e.entry_ref, e.amount, e.reference, e.debtor_name) for e in statement.entries] == [
        ("2019052000001", Decimal("768.00"), OUR_REFERENCE, "Pärnu Linnavalitsus"),
        ("2019052000002", Decimal("120.50"), UNKNOWN_REFERENCE, "Jüri Õunapuu"),
        ("2019052000001", Decimal("768.00"), OUR_REFERENCE, "Pärnu Linnavalitsus"),
    ]


def test_accepts_text_as_well_as_bytes():
    xml = camt053_xml(three_entries()).decode("utf-8").split("\n", 1)[1]  # without the declaration
    assert len(parse_statement(xml).entries) == 3


# ---------------------------------------------------------------- entry details


def parse_one(spec: EntrySpec, **options) -> Entry:
    (entry,) = parse_statement(camt053_xml([spec], **options)).entries
    return entry


def test_entry_ref_falls_back_to_ntry_ref_then_to_the_statement_position():
    assert parse_one(EntrySpec("1.00", ntry_ref="N-7")).entry_ref == "N-7"
    assert parse_one(EntrySpec("1.00", ntry_ref="N-7", acct_svcr_ref="B-1")).entry_ref == "B-1"
    statement = parse_statement(camt053_xml([EntrySpec("1.00"), EntrySpec("2.00")], statement_id="S-9"))
    assert [entry.entry_ref for entry in statement.entries] == ["S-9#1", "S-9#2"]


def test_debit_and_status_and_reversal():
    assert parse_one(EntrySpec("5.00", credit=False)).credit is False
    assert parse_one(EntrySpec("5.00", status="PDNG")).booked is False
    assert parse_one(EntrySpec("5.00", status="PDNG"), version="camt.053.001.08").booked is False
    assert parse_one(EntrySpec("5.00", reversal=True)).reversal is True


def test_structured_reference_with_spaces_is_compacted():
    entry = parse_one(EntrySpec("768.00", payments=[Payment(reference="2019 0001 5")]))
    assert entry.reference == "201900015"


def test_reference_wrapped_in_an_rf_creditor_reference_is_unwrapped():
    wrapped = rf_reference(OUR_REFERENCE)
    assert parse_one(EntrySpec("768.00", payments=[Payment(reference=wrapped)])).reference == OUR_REFERENCE


def test_a_structured_reference_that_is_not_ours_is_kept_as_written():
    entry = parse_one(EntrySpec("768.00", payments=[Payment(reference="INV/42")]))
    assert entry.reference == "INV/42"


def test_reference_typed_into_the_message():
    entry = parse_one(
        EntrySpec("768.00", payments=[Payment(ustrd=[f"Koolitus, arve 2019-0001, viitenumber {OUR_REFERENCE}."])])
    )
    assert entry.reference == OUR_REFERENCE
    assert entry.remittance_text == f"Koolitus, arve 2019-0001, viitenumber {OUR_REFERENCE}."


def test_message_lines_are_joined():
    entry = parse_one(EntrySpec("1.00", payments=[Payment(ustrd=["first line", "second line"])]))
    assert entry.remittance_text == "first line second line"


def test_no_remittance_means_no_reference():
    entry = parse_one(EntrySpec("1.00"))
    assert (entry.reference, entry.debtor_name, entry.remittance_text) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("121312952", "121312952"),
        ("viitenumber 121312952, arve 2019-0001", "121312952"),
        ("ref: 1232 / arve 13", "1232"),  # two valid candidates; the keyword decides
        ("1232 ja 13", None),  # two valid candidates, no keyword: do not guess
        ("2019-05-02 ülekanne", None),  # parts of a date are not references
        ("EE382200221020145685", None),  # nor is an IBAN
        ("768.00 EUR", None),
        ("summa 1 768,00 €", None),  # "1" is too short, and the digits of an amount do not count
        ("", None),
        (None, None),
    ],
)
def test_reference_in_free_text(text, reference):
    assert reference_in_free_text(text) == reference


def test_batch_booked_entry_is_split_into_its_payments():
    spec = EntrySpec(
        "1280.00",
        acct_svcr_ref="BATCH-1",
        payments=[
            Payment(reference=OUR_REFERENCE, amount="768.00", debtor_name="Tartu Linnavalitsus"),
            Payment(reference=OTHER_REFERENCE, amount="512.00", debtor_name="MTÜ Näide"),
        ],
    )
    for version in ("camt.053.001.02", "camt.053.001.08"):
        entries = parse_statement(camt053_xml([spec], version=version)).entries
        assert [(e.entry_ref, e.amount, e.reference, e.debtor_name) for e in entries] == [
            ("BATCH-1/1", Decimal("768.00"), OUR_REFERENCE, "Tartu Linnavalitsus"),
            ("BATCH-1/2", Decimal("512.00"), OTHER_REFERENCE, "MTÜ Näide"),
        ]
    result = match_payments(entries, open_invoices())
    assert [m.invoice.invoice_id for m in result.matched] == ["inv-1", "inv-2"]


def test_batch_without_amounts_per_payment_stays_whole():
    spec = EntrySpec(
        "1280.00",
        acct_svcr_ref="BATCH-2",
        payments=[Payment(reference=OUR_REFERENCE, ustrd=["a"]), Payment(reference=OTHER_REFERENCE, ustrd=["b"])],
    )
    (entry,) = parse_statement(camt053_xml([spec])).entries
    assert (entry.entry_ref, entry.amount, entry.reference, entry.remittance_text) == (
        "BATCH-2", Decimal("1280.00"), None, "a b"
    )


def test_several_statements_in_one_file():
    xml = camt053_xml(three_entries(), statements=2)
    assert [s.statement_id for s in parse_statements(xml)] == ["STMT-2019-05-20", "STMT-2019-05-20-2"]
    with pytest.raises(StatementError, match="parse_statements"):
        parse_statement(xml)


# ---------------------------------------------------------------- refusing bad files


def replace(xml: bytes, old: str, new: str) -> bytes:
    assert old.encode() in xml
    return xml.replace(old.encode(), new.encode())


GOOD = camt053_xml(three_entries())


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"", "not well-formed"),
        (b"<Document><BkToCstmrStmt>", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (replace(GOOD, "camt.053.001.02", "camt.054.001.02"), "not a camt.053"),
        (replace(GOOD, "camt.053.001.02", "pain.001.001.03"), "not a camt.053"),
        (b"<Invoice/>", "not a camt.053"),
        (replace(replace(GOOD, "<BkToCstmrStmt>", "<BkToCstmrDbtCdtNtfctn>"),
                 "</BkToCstmrStmt>", "</BkToCstmrDbtCdtNtfctn>"), "no BkToCstmrStmt"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>',
         "no statement"),
        (replace(GOOD, "<Id>STMT-2019-05-20</Id>", ""), "has no Id"),
        (replace(GOOD, '<Amt Ccy="EUR">120.50</Amt>', ""), "missing Amt"),
        (replace(GOOD, '<Amt Ccy="EUR">120.50</Amt>', '<Amt Ccy="EUR">12O.50</Amt>'), "not a number"),
        (replace(GOOD, '<Amt Ccy="EUR">120.50</Amt>', '<Amt Ccy="EUR">-120.50</Amt>'), "non-negative"),
        (replace(GOOD, '<Amt Ccy="EUR">120.50</Amt>', '<Amt Ccy="EUR">NaN</Amt>'), "non-negative"),
        (replace(GOOD, '<Amt Ccy="EUR">120.50</Amt>', "<Amt>120.50</Amt>"), "no currency"),
        (GOOD.replace(b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>", b"<CdtDbtInd>CREDIT</CdtDbtInd><Sts>"), "CRDT or DBIT"),
        (GOOD.replace(b"<BookgDt><Dt>2019-05-20</Dt></BookgDt><ValDt><Dt>2019-05-20</Dt></ValDt>", b""),
         "booking date"),
    ],
)
def test_malformed_files_raise_statement_error(xml, message):
    with pytest.raises(StatementError, match=message):
        parse_statements(xml)


def test_error_names_the_entry():
    with pytest.raises(StatementError, match=r"statement STMT-2019-05-20, entry 2 \(2019052000002\)"):
        parse_statements(replace(GOOD, '<Amt Ccy="EUR">120.50</Amt>', '<Amt Ccy="EUR">x</Amt>'))


def test_booking_date_time_and_value_date_fallback():
    with_time = GOOD.replace(b"<BookgDt><Dt>2019-05-20</Dt></BookgDt>",
                             b"<BookgDt><DtTm>2019-05-21T00:30:00+03:00</DtTm></BookgDt>")
    assert parse_statement(with_time).entries[0].booking_date == date(2019, 5, 21)
    value_date_only = GOOD.replace(b"<BookgDt><Dt>2019-05-20</Dt></BookgDt>", b"")
    assert parse_statement(value_date_only).entries[0].booking_date == date(2019, 5, 20)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&lol3;</BkToCstmrStmt></Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&secret;</BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_dtds_and_entities_are_refused(xml):
    with pytest.raises(StatementError, match="unsafe XML"):
        parse_statements(xml)


# ---------------------------------------------------------------- matching


def entry(amount: str, reference: str | None, ref: str = "E1", **changes) -> Entry:
    fields = dict(entry_ref=ref, amount=Decimal(amount), currency="EUR", credit=True,
                  booking_date=date(2019, 5, 20), reference=reference, debtor_name=None, remittance_text=None)
    fields.update(changes)
    return Entry(**fields)


def test_underpayment_and_overpayment_are_partial_and_say_which():
    result = match_payments(
        [entry("700.00", OUR_REFERENCE, "E1"), entry("600.00", OTHER_REFERENCE, "E2")], open_invoices()
    )
    assert result.matched == [] and result.unmatched == []
    under, over = result.partial
    assert (under.kind, under.invoice.invoice_id, under.amount_due, under.difference) == (
        MatchKind.UNDERPAID, "inv-1", Decimal("768.00"), Decimal("-68.00"))
    assert (over.kind, over.invoice.invoice_id, over.amount_due, over.difference) == (
        MatchKind.OVERPAID, "inv-2", Decimal("512.00"), Decimal("88.00"))


def test_instalments_are_applied_against_what_is_still_due():
    result = match_payments(
        [entry("500.00", OUR_REFERENCE, "E1"), entry("268.00", OUR_REFERENCE, "E2"),
         entry("10.00", OUR_REFERENCE, "E3")],
        open_invoices(),
    )
    assert [(m.entry.entry_ref, m.kind, m.amount_due) for m in result.partial + result.matched] == [
        ("E1", MatchKind.UNDERPAID, Decimal("768.00")),
        ("E3", MatchKind.OVERPAID, Decimal("0.00")),
        ("E2", MatchKind.PAID, Decimal("268.00")),
    ]


def test_payments_without_a_usable_reference_are_unmatched():
    result = match_payments(
        [entry("768.00", None, "E1"), entry("768.00", UNKNOWN_REFERENCE, "E2"),
         entry("768.00", OUR_REFERENCE, "E3", currency="USD")],
        open_invoices(),
    )
    assert [(m.entry.entry_ref, m.kind) for m in result.unmatched] == [
        ("E1", MatchKind.NO_REFERENCE), ("E2", MatchKind.UNKNOWN_REFERENCE), ("E3", MatchKind.WRONG_CURRENCY)
    ]
    assert result.unmatched[2].invoice.invoice_id == "inv-1"


def test_debits_reversals_and_unbooked_entries_are_ignored():
    ignored = [
        entry("768.00", OUR_REFERENCE, "E1", credit=False),
        entry("768.00", OUR_REFERENCE, "E2", reversal=True),
        entry("768.00", OUR_REFERENCE, "E3", booked=False),
    ]
    result = match_payments(ignored, open_invoices())
    assert result.ignored == ignored
    assert result.matched == result.partial == result.unmatched == []


def test_invoice_keys_with_spaces_still_match():
    invoices = {"2019 0001 5": OpenInvoice("inv-9", "201900015", Decimal("256.00"))}
    result = match_payments([entry("256.00", "201900015")], invoices)
    assert result.matched[0].invoice.invoice_id == "inv-9"


def rf_reference(reference: str) -> str:
    """ISO 11649: RF + two check digits so that the rearranged number is 1 mod 97."""
    digits = "".join(str(int(char, 36)) for char in reference + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{reference}"
