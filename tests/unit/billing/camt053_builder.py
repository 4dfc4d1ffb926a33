"""Writes camt.053 statements the way Estonian banks send them, for parser and matcher tests.

Two layouts: the .001.02 style (``<Sts>BOOK</Sts>``, ``Dbtr/Nm``, amounts per transaction
under ``AmtDtls``) and the .001.08 style (``<Sts><Cd>BOOK</Cd></Sts>``, ``Dbtr/Pty/Nm``,
``TxDtls/Amt``). Text is escaped, never parsed, so no XML library is needed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path

IBAN = "EE382200221020145685"


@dataclass
class Payment:
    """One transaction (TxDtls) inside an entry."""

    reference: str | None = None
    ustrd: list[str] = field(default_factory=list)
    debtor_name: str | None = None
    amount: str | None = None
    currency: str = "EUR"


@dataclass
class EntrySpec:
    amount: str
    credit: bool = True
    booking_date: date = date(2019, 5, 20)
    acct_svcr_ref: str | None = None
    ntry_ref: str | None = None
    currency: str = "EUR"
    status: str = "BOOK"
    reversal: bool = False
    payments: list[Payment] = field(default_factory=list)


def _tag(name: str, content: str | None, attributes: str = "") -> str:
    return "" if content is None else f"<{name}{attributes}>{escape(content)}</{name}>"


def _currency(code: str) -> str:
    return f' Ccy="{escape(code)}"'


def _payment_xml(payment: Payment, layout: int) -> str:
    amount = ""
    if payment.amount is not None:
        amount_tag = _tag("Amt", payment.amount, _currency(payment.currency))
        amount = amount_tag if layout >= 8 else f"<AmtDtls><TxAmt>{amount_tag}</TxAmt></AmtDtls>"
    parties = ""
    if payment.debtor_name is not None:
        name = _tag("Nm", payment.debtor_name)
        debtor = f"<Dbtr><Pty>{name}</Pty></Dbtr>" if layout >= 8 else f"<Dbtr>{name}</Dbtr>"
        parties = f"<RltdPties>{debtor}<DbtrAcct><Id><IBAN>EE471000001020145685</IBAN></Id></DbtrAcct></RltdPties>"
    remittance = "".join(_tag("Ustrd", line) for line in payment.ustrd)
    if payment.reference is not None:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"{_tag('Ref', payment.reference)}</CdtrRefInf></Strd>"
        )
    remittance = f"<RmtInf>{remittance}</RmtInf>" if remittance else ""
    return (
        "<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        f"{amount}{parties}{remittance}</TxDtls>"
    )


def _entry_xml(entry: EntrySpec, layout: int) -> str:
    status = f"<Sts><Cd>{entry.status}</Cd></Sts>" if layout >= 8 else f"<Sts>{entry.status}</Sts>"
    details = "".join(_payment_xml(payment, layout) for payment in entry.payments)
    return (
        "<Ntry>"
        f"{_tag('NtryRef', entry.ntry_ref)}"
        f"{_tag('Amt', entry.amount, _currency(entry.currency))}"
        f"<CdtDbtInd>{'CRDT' if entry.credit else 'DBIT'}</CdtDbtInd>"
        f"{'<RvslInd>true</RvslInd>' if entry.reversal else ''}"
        f"{status}"
        f"<BookgDt><Dt>{entry.booking_date.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{entry.booking_date.isoformat()}</Dt></ValDt>"
        f"{_tag('AcctSvcrRef', entry.acct_svcr_ref)}"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"{f'<NtryDtls>{details}</NtryDtls>' if details else ''}"
        "</Ntry>"
    )


def camt053_xml(
    entries: list[EntrySpec],
    *,
    version: str = "camt.053.001.02",
    statement_id: str = "STMT-2019-05-20",
    iban: str = IBAN,
    statements: int = 1,
) -> bytes:
    layout = int(version.rsplit(".", 1)[-1])
    entries_xml = "".join(_entry_xml(entry, layout) for entry in entries)
    statement_xml = "".join(
        "<Stmt>"
        f"<Id>{escape(statement_id if n == 1 else f'{statement_id}-{n}')}</Id>"
        "<ElctrncSeqNb>140</ElctrncSeqNb>"
        "<CreDtTm>2019-05-21T06:00:00+03:00</CreDtTm>"
        "<FrToDt><FrDtTm>2019-05-20T00:00:00+03:00</FrDtTm><ToDtTm>2019-05-20T23:59:59+03:00</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{escape(iban)}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2019-05-20</Dt></Dt></Bal>"
        f"{entries_xml}"
        "</Stmt>"
        for n in range(1, statements + 1)
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<BkToCstmrStmt>"
        "<GrpHdr><MsgId>MSG-20190521-1</MsgId><CreDtTm>2019-05-21T06:00:00+03:00</CreDtTm></GrpHdr>"
        f"{statement_xml}"
        "</BkToCstmrStmt></Document>\n"
    )
    return document.encode("utf-8")


def write_camt053(path: Path, entries: list[EntrySpec], **options) -> Path:
    path.write_bytes(camt053_xml(entries, **options))
    return path
