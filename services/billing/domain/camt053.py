"""Bank statements (ISO 20022 camt.053) and matching their incoming payments to open invoices.

Estonian banks export camt.053 in several schema versions (.001.02 to .001.08 and later).
The parts we read barely changed between them, so elements are found by local name and
any version is accepted. The file comes from outside, so it is parsed with defusedxml:
no DTDs, no entity expansion, no external references.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from stdnum import iso11649

from services.billing.domain.reference import normalize_reference

if TYPE_CHECKING:  # the type only: parsing goes through defusedxml
    from xml.etree.ElementTree import Element  # nosec B405

CAMT053_NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053."
BOOKED = "BOOK"

# A reference typed into the free text: a run of digits that is not part of a longer
# token such as an IBAN, a date (2019-05-02), an invoice number (2019/7) or an amount.
_FREE_TEXT_NUMBER = re.compile(r"(?<![\w/-])(?<!\d[.,])\d{2,20}(?![\w/-]|[.,]\d)")
_REFERENCE_KEYWORD = re.compile(r"(viite\w*|viide|viit|ref\w*)\W*$", re.IGNORECASE)


class StatementError(ValueError):
    """The file is not a readable camt.053 statement; the message says what is wrong."""


@dataclass(frozen=True)
class Entry:
    """One booked movement on the account, or one payment of a batch-booked entry.

    ``entry_ref`` is stable across re-imports of the same statement, so the service can
    use (account, entry_ref) as its dedupe key.
    """

    entry_ref: str
    amount: Decimal
    currency: str
    credit: bool
    booking_date: date
    reference: str | None
    debtor_name: str | None
    remittance_text: str | None
    booked: bool = True
    reversal: bool = False


@dataclass(frozen=True)
class Statement:
    statement_id: str
    account_iban: str | None
    entries: list[Entry] = field(default_factory=list)


# ---------------------------------------------------------------- element helpers


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element | None, *path: str) -> Element | None:
    for name in path:
        found = _children(element, name)
        if not found:
            return None
        element = found[0]
    return element


def _text(element: Element | None, *path: str) -> str | None:
    found = _child(element, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _first_text(element: Element | None, *paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = _text(element, *path)
        if value is not None:
            return value
    return None


# ---------------------------------------------------------------- parsing


def parse_statements(data: bytes | str) -> list[Statement]:
    """Every statement (one per account) in a camt.053 document."""
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise StatementError(f"refused unsafe XML ({type(exc).__name__}): DTDs and entities are not allowed") from exc
    except SafeElementTree.ParseError as exc:
        raise StatementError(f"not well-formed XML: {exc}") from exc

    namespace = _namespace(root.tag)
    if _local(root.tag) != "Document" or (namespace and not namespace.startswith(CAMT053_NAMESPACE_PREFIX)):
        raise StatementError(
            f"not a camt.053 statement: root element is {root.tag!r}, "
            f"expected Document in namespace {CAMT053_NAMESPACE_PREFIX}*"
        )
    container = _child(root, "BkToCstmrStmt")
    if container is None:
        raise StatementError("not a camt.053 statement: Document has no BkToCstmrStmt element")
    statements = _children(container, "Stmt")
    if not statements:
        raise StatementError("the camt.053 document contains no statement (Stmt)")
    return [_statement(element, position) for position, element in enumerate(statements, start=1)]


def parse_statement(data: bytes | str) -> Statement:
    """The statement of a single-account file; refuses files with several accounts
    rather than silently dropping all but one (use ``parse_statements`` for those)."""
    statements = parse_statements(data)
    if len(statements) != 1:
        raise StatementError(
            f"expected one statement, the file has {len(statements)}; import it with parse_statements"
        )
    return statements[0]


def _statement(element: Element, position: int) -> Statement:
    statement_id = _text(element, "Id")
    if statement_id is None:
        raise StatementError(f"statement {position} has no Id")
    account = _first_text(element, ("Acct", "Id", "IBAN"), ("Acct", "Id", "Othr", "Id"))
    entries: list[Entry] = []
    for index, entry in enumerate(_children(element, "Ntry"), start=1):
        entries.extend(_entries(entry, statement_id, index))
    return Statement(statement_id=statement_id, account_iban=account.replace(" ", "") if account else None, entries=entries)


def _amount(element: Element | None, where: str) -> tuple[Decimal, str]:
    if element is None or element.text is None:
        raise StatementError(f"{where}: missing Amt")
    try:
        amount = Decimal(element.text.strip())
    except InvalidOperation as exc:
        raise StatementError(f"{where}: amount {element.text.strip()!r} is not a number") from exc
    if not amount.is_finite() or amount < 0:
        raise StatementError(f"{where}: amount {element.text.strip()!r} must be a non-negative number")
    currency = (element.get("Ccy") or "").strip()
    if not currency:
        raise StatementError(f"{where}: amount has no currency (Ccy)")
    return amount, currency


def _credit(indicator: str | None, where: str) -> bool:
    if indicator == "CRDT":
        return True
    if indicator == "DBIT":
        return False
    raise StatementError(f"{where}: CdtDbtInd must be CRDT or DBIT, got {indicator!r}")


def _date(element: Element | None) -> date | None:
    text = _first_text(element, ("Dt",), ("DtTm",))
    if text is None:
        return None
    try:
        # The bank's own calendar day: a DtTm keeps the date as written, whatever its offset.
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _status(entry: Element) -> str | None:
    # .001.02–.001.06 write <Sts>BOOK</Sts>; later versions <Sts><Cd>BOOK</Cd></Sts>.
    return _first_text(entry, ("Sts", "Cd"), ("Sts", "Prtry"), ("Sts",))


def _transaction_amount(transaction: Element, where: str) -> tuple[Decimal, str] | None:
    for path in (("Amt",), ("AmtDtls", "TxAmt", "Amt")):
        element = _child(transaction, *path)
        if element is not None:
            return _amount(element, where)
    return None


def _debtor_name(transaction: Element | None) -> str | None:
    # .001.08 wraps the party: Dbtr/Pty/Nm; earlier versions have Dbtr/Nm.
    return _first_text(transaction, ("RltdPties", "Dbtr", "Nm"), ("RltdPties", "Dbtr", "Pty", "Nm"))


def _remittance_lines(transaction: Element | None) -> list[str]:
    remittance = _child(transaction, "RmtInf")
    return [line.text.strip() for line in _children(remittance, "Ustrd") if line.text and line.text.strip()]


def _structured_reference(transaction: Element | None) -> str | None:
    for structured in _children(_child(transaction, "RmtInf"), "Strd"):
        raw = _text(structured, "CdtrRefInf", "Ref")
        if raw is not None:
            return _unwrap_creditor_reference(raw.replace(" ", ""))
    return None


def _unwrap_creditor_reference(reference: str) -> str:
    """An ISO 11649 ``RFxx`` reference built on a 7-3-1 number carries ours after 4 characters."""
    if reference[:2].upper() == "RF" and iso11649.is_valid(reference):
        inner = normalize_reference(reference[4:])
        if inner is not None:
            return inner
    return reference


def reference_in_free_text(text: str | None) -> str | None:
    """A valid 7-3-1 reference the payer typed into the message, if it is unambiguous.

    Several candidates: the one right after a word like "viitenumber" or "ref" wins;
    otherwise none, because guessing wrong would book money to another employer's invoice.
    """
    if not text:
        return None
    candidates = []
    for found in _FREE_TEXT_NUMBER.finditer(text):
        reference = normalize_reference(found.group())
        if reference is not None:
            after_keyword = bool(_REFERENCE_KEYWORD.search(text[: found.start()]))
            candidates.append((reference, after_keyword))
    distinct = {reference for reference, _ in candidates}
    if len(distinct) == 1:
        return distinct.pop()
    flagged = {reference for reference, after_keyword in candidates if after_keyword}
    return flagged.pop() if len(flagged) == 1 else None


def _payment_details(transaction: Element | None) -> tuple[str | None, str | None, str | None]:
    lines = _remittance_lines(transaction)
    text = " ".join(lines) or None
    reference = _structured_reference(transaction) or reference_in_free_text(text)
    return reference, _debtor_name(transaction), text


def _entries(entry: Element, statement_id: str, index: int) -> list[Entry]:
    entry_ref = _first_text(entry, ("AcctSvcrRef",), ("NtryRef",)) or f"{statement_id}#{index}"
    where = f"statement {statement_id}, entry {index} ({entry_ref})"
    amount, currency = _amount(_child(entry, "Amt"), where)
    credit = _credit(_text(entry, "CdtDbtInd"), where)
    booking_date = _date(_child(entry, "BookgDt")) or _date(_child(entry, "ValDt"))
    if booking_date is None:
        raise StatementError(f"{where}: no readable booking date (BookgDt or ValDt)")
    status = _status(entry)
    booked = status is None or status == BOOKED
    reversal = (_text(entry, "RvslInd") or "").lower() in ("true", "1")
    transactions = [tx for details in _children(entry, "NtryDtls") for tx in _children(details, "TxDtls")]

    def payment(ref: str, tx: Element | None, amount: Decimal, currency: str, credit: bool) -> Entry:
        reference, debtor, text = _payment_details(tx)
        return Entry(ref, amount, currency, credit, booking_date, reference, debtor, text, booked, reversal)

    if len(transactions) <= 1:
        return [payment(entry_ref, transactions[0] if transactions else None, amount, currency, credit)]

    # A batch-booked entry: each payment has its own reference and amount, so each is
    # matched on its own, keyed by its position in the entry.
    amounts = [_transaction_amount(tx, f"{where}, transaction {n}") for n, tx in enumerate(transactions, 1)]
    if all(found is not None for found in amounts):
        payments = []
        for n, (tx, (tx_amount, tx_currency)) in enumerate(zip(transactions, amounts, strict=True), 1):
            indicator = _text(tx, "CdtDbtInd")
            tx_credit = _credit(indicator, f"{where}, transaction {n}") if indicator else credit
            payments.append(payment(f"{entry_ref}/{n}", tx, tx_amount, tx_currency, tx_credit))
        return payments

    # Without per-payment amounts the entry can only be handled whole; keep what all agree on.
    details = [_payment_details(tx) for tx in transactions]
    references = {reference for reference, _, _ in details}
    debtors = {debtor for _, debtor, _ in details}
    text = " ".join(text for _, _, text in details if text) or None
    reference = references.pop() if len(references) == 1 else None
    debtor = debtors.pop() if len(debtors) == 1 else None
    return [Entry(entry_ref, amount, currency, credit, booking_date, reference, debtor, text, booked, reversal)]


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: str
    reference: str
    amount_due: Decimal
    currency: str = "EUR"


@dataclass(frozen=True)
class SettledInvoice:
    """An invoice of ours that owes nothing any more: paid (``credited`` False) or credited."""
    invoice_id: str
    reference: str
    credited: bool = False
    currency: str = "EUR"


class MatchKind(StrEnum):
    PAID = "paid"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    # Money for an invoice paid or credited already: booked on it, all of it a refund due.
    ALREADY_PAID = "already_paid"
    ALREADY_CREDITED = "already_credited"
    UNKNOWN_REFERENCE = "unknown_reference"
    NO_REFERENCE = "no_reference"
    WRONG_CURRENCY = "wrong_currency"


@dataclass(frozen=True)
class PaymentMatch:
    """One incoming payment and what it does to an invoice.

    ``amount_due`` is what was still due when this payment was applied and
    ``difference`` = paid − due (negative: underpaid, positive: overpaid).
    """

    entry: Entry
    kind: MatchKind
    invoice: OpenInvoice | None = None
    amount_due: Decimal | None = None
    difference: Decimal | None = None


@dataclass(frozen=True)
class MatchResult:
    matched: list[PaymentMatch] = field(default_factory=list)
    partial: list[PaymentMatch] = field(default_factory=list)
    unmatched: list[PaymentMatch] = field(default_factory=list)
    settled: list[PaymentMatch] = field(default_factory=list)
    duplicates: list[Entry] = field(default_factory=list)
    ignored: list[Entry] = field(default_factory=list)


def match_payments(entries: Iterable[Entry], open_invoices: Mapping[str, OpenInvoice],
                   settled_invoices: Mapping[str, SettledInvoice] | None = None) -> MatchResult:
    """Sort incoming payments into paid, partly paid, for a settled invoice and not ours.

    Debits, reversals and unbooked entries are not payments to us and land in ``ignored``.
    An entry_ref seen twice is counted once (the rest go to ``duplicates``). Several
    payments for one invoice are applied in order against what is still due, so two
    instalments that add up to the due amount end as one underpaid and one paid.
    A payment whose reference is an invoice of ours paid or credited already (``settled_invoices``)
    goes to ``settled``: nothing was due, so all of it is surplus (``difference``).
    """
    invoices = {key.replace(" ", ""): invoice for key, invoice in open_invoices.items()}
    settled = {key.replace(" ", ""): invoice for key, invoice in (settled_invoices or {}).items()}
    paid_so_far: dict[str, Decimal] = {}
    seen: set[str] = set()
    result = MatchResult()
    for entry in entries:
        if entry.entry_ref in seen:
            result.duplicates.append(entry)
            continue
        seen.add(entry.entry_ref)
        if not entry.credit or entry.reversal or not entry.booked:
            result.ignored.append(entry)
            continue
        if not entry.reference:
            result.unmatched.append(PaymentMatch(entry, MatchKind.NO_REFERENCE))
            continue
        reference = entry.reference.replace(" ", "")
        invoice = invoices.get(reference)
        if invoice is None and reference in settled:
            done = settled[reference]
            nothing_due = OpenInvoice(done.invoice_id, done.reference, Decimal("0.00"), done.currency)
            if entry.currency != done.currency:
                result.unmatched.append(PaymentMatch(entry, MatchKind.WRONG_CURRENCY, nothing_due))
            else:
                kind = MatchKind.ALREADY_CREDITED if done.credited else MatchKind.ALREADY_PAID
                result.settled.append(PaymentMatch(entry, kind, nothing_due, nothing_due.amount_due, entry.amount))
            continue
        if invoice is None:
            result.unmatched.append(PaymentMatch(entry, MatchKind.UNKNOWN_REFERENCE))
            continue
        if entry.currency != invoice.currency:
            result.unmatched.append(PaymentMatch(entry, MatchKind.WRONG_CURRENCY, invoice))
            continue
        due = invoice.amount_due - paid_so_far.get(invoice.invoice_id, Decimal(0))
        paid_so_far[invoice.invoice_id] = paid_so_far.get(invoice.invoice_id, Decimal(0)) + entry.amount
        difference = entry.amount - due
        if difference == 0:
            result.matched.append(PaymentMatch(entry, MatchKind.PAID, invoice, due, difference))
        else:
            kind = MatchKind.UNDERPAID if difference < 0 else MatchKind.OVERPAID
            result.partial.append(PaymentMatch(entry, kind, invoice, due, difference))
    return result
