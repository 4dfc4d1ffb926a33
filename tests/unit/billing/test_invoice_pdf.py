from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from services.billing.documents.invoice_pdf import (
    CreditNoteDocument,
    DocumentError,
    InvoiceDocument,
    Line,
    Party,
    render_credit_note_pdf,
    render_invoice_pdf,
)
from services.billing.domain.reference import reference_number
from services.billing.domain.vat import split_gross

SELLER = Party(
    name="MTÜ Koosloome Keskus",
    address="Õpetajate 5\n50409 Tartu",
    registry_code="80123456",
    vat_number="EE101234567",
    iban="EE382200221020145685",
    bank="Swedbank",
    email="arved@koosloome.ee",
)
BUYER = Party(name="Pärnu Linnavalitsus", address="Suur-Sepa 16, 80098 Pärnu", registry_code="75028745")
REFERENCE = reference_number("20190001")


def claim_line(gross: str = "768.00", rate: str = "20") -> Line:
    split = split_gross(Decimal(gross), Decimal(rate))
    return Line(
        description="Katkestanud osaleja koolituskulude hüvitis: 3 päeva (Jüri Šokk, Žanna Õunapuu)",
        net=split.net,
        vat_rate=split.rate,
        vat=split.vat,
        gross=split.gross,
    )


def an_invoice(**changes) -> InvoiceDocument:
    line = changes.pop("line", claim_line())
    fields = dict(
        number="2019-0001",
        issue_date=date(2019, 5, 10),
        due_date=date(2019, 5, 24),
        supply_date=date(2019, 5, 9),
        seller=SELLER,
        buyer=BUYER,
        lines=[line],
        amount_net=line.net,
        vat_rate=line.vat_rate,
        vat_amount=line.vat,
        amount_gross=line.gross,
        reference_number=REFERENCE,
        notes="Arve on koostatud elektrooniliselt ja kehtib allkirjata.",
    )
    fields.update(changes)
    return InvoiceDocument(**fields)


def a_credit_note(**changes) -> CreditNoteDocument:
    line = claim_line()
    fields = dict(
        number="KR-2019-0001",
        issue_date=date(2019, 6, 3),
        original_invoice_number="2019-0001",
        original_invoice_date=date(2019, 5, 10),
        seller=SELLER,
        buyer=BUYER,
        lines=[line],
        amount_net=line.net,
        vat_rate=line.vat_rate,
        vat_amount=line.vat,
        amount_gross=line.gross,
        reason="Koordinaator loobus nõudest: osaleja haigestus.",
    )
    fields.update(changes)
    return CreditNoteDocument(**fields)


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Paragraphs may wrap anywhere; compare with the line breaks taken out."""
    return " ".join(text.split())


def test_invoice_shows_every_particular_the_vat_act_requires():
    text = pdf_text(render_invoice_pdf(an_invoice()))
    for expected in [
        "ARVE",
        "2019-0001",  # number
        "10.05.2019",  # issue date
        "09.05.2019",  # date of supply
        "24.05.2019",  # due date
        "MTÜ Koosloome Keskus", "Õpetajate 5", "50409 Tartu", "80123456", "EE101234567",  # seller
        "Pärnu Linnavalitsus", "Suur-Sepa 16, 80098 Pärnu", "75028745",  # buyer
        "640,00 €",  # net
        "20 %",  # rate
        "128,00 €",  # VAT
        "768,00 €",  # gross
        REFERENCE,
        "EE382200221020145685",
        "Swedbank",
    ]:
        assert expected in text, expected
    assert "Katkestanud osaleja koolituskulude hüvitis" in flat(text)


def test_labels_are_estonian_with_english():
    text = pdf_text(render_invoice_pdf(an_invoice()))
    for label in ["Arve kuupäev", "Issue date", "Käibe toimumise kuupäev", "Date of supply", "Maksetähtaeg",
                  "Viitenumber", "Reference number", "Registrikood", "KMKR", "Summa käibemaksuta",
                  "Käibemaks 20 %", "Tasuda kokku", "Total due"]:
        assert label in text, label


def test_estonian_letters_and_euro_sign_survive():
    text = flat(pdf_text(render_invoice_pdf(an_invoice(notes="Täpitähed: õ ä ö ü š ž Õ Ä Ö Ü Š Ž €"))))
    assert "Täpitähed: õ ä ö ü š ž Õ Ä Ö Ü Š Ž €" in text
    assert "Jüri Šokk, Žanna Õunapuu" in text


def test_the_rate_of_the_date_of_supply_is_printed():
    text = pdf_text(render_invoice_pdf(an_invoice(line=claim_line(rate="24"), supply_date=date(2025, 7, 1))))
    for expected in ["619,35 €", "148,65 €", "768,00 €", "24 %"]:
        assert expected in text, expected


def test_markup_characters_in_names_are_printed_as_text():
    buyer = replace(BUYER, name="MTÜ <Kiri> & Kaasa")
    assert "MTÜ <Kiri> & Kaasa" in pdf_text(render_invoice_pdf(an_invoice(buyer=buyer)))


def test_missing_seller_vat_number_is_visible():
    text = pdf_text(render_invoice_pdf(an_invoice(seller=replace(SELLER, vat_number=None))))
    assert "VAT number: —" in text


def test_several_lines():
    first, second = claim_line("256.00"), claim_line("512.00")
    invoice = an_invoice(
        lines=[first, second], amount_net=first.net + second.net, vat_amount=first.vat + second.vat,
        amount_gross=Decimal("768.00"),
    )
    text = pdf_text(render_invoice_pdf(invoice))
    for expected in ["213,33 €", "42,67 €", "256,00 €", "426,67 €", "85,33 €", "512,00 €", "768,00 €"]:
        assert expected in text, expected


def test_deterministic_rendering_gives_identical_bytes():
    assert render_invoice_pdf(an_invoice(), deterministic=True) == render_invoice_pdf(an_invoice(), deterministic=True)


def test_pdf_metadata():
    reader = PdfReader(BytesIO(render_invoice_pdf(an_invoice())))
    assert reader.metadata.title == "Arve 2019-0001"
    assert reader.metadata.author == "MTÜ Koosloome Keskus"


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_gross": Decimal("767.99")},
        {"vat_amount": Decimal("128.01"), "amount_gross": Decimal("768.01")},
        {"lines": []},
        {"line": Line("x", Decimal("640.00"), Decimal("20"), Decimal("128.00"), Decimal("768.01"))},
    ],
)
def test_figures_that_do_not_add_up_are_refused(changes):
    with pytest.raises(DocumentError):
        an_invoice(**changes)


def test_credit_note_names_the_invoice_it_corrects():
    text = pdf_text(render_credit_note_pdf(a_credit_note()))
    for expected in [
        "KREEDITARVE", "KR-2019-0001", "03.06.2019",
        "2019-0001 (10.05.2019)",
        "MTÜ Koosloome Keskus", "80123456", "EE101234567",
        "Pärnu Linnavalitsus", "75028745",
        "-640,00 €", "-128,00 €", "-768,00 €", "20 %",
        "Koordinaator loobus nõudest",
    ]:
        assert expected in text, expected
    assert "Kreeditarve tühistab arve nr 2019-0001" in flat(text)


def test_credit_note_totals_are_checked_too():
    with pytest.raises(DocumentError):
        a_credit_note(amount_net=Decimal("600.00"))


def test_names_beyond_winansi_switch_to_an_embedded_font():
    buyer = replace(BUYER, name="Нарвская городская управа", address="Peetri plats 5, Narva")
    pdf = render_invoice_pdf(an_invoice(buyer=buyer))
    assert b"FontFile2" in pdf  # a TrueType font is embedded
    text = pdf_text(pdf)
    for expected in ["Нарвская городская управа", "Õpetajate 5", "768,00 €", REFERENCE]:
        assert expected in text, expected


def test_the_usual_invoice_embeds_no_font():
    assert b"FontFile2" not in render_invoice_pdf(an_invoice())


def test_characters_no_font_can_show_are_refused_not_printed_as_boxes():
    with pytest.raises(DocumentError, match="中"):
        render_invoice_pdf(an_invoice(notes="中文"))


def test_long_documents_flow_onto_more_pages_with_the_seller_on_each():
    lines = [claim_line("256.00")] * 40
    invoice = an_invoice(
        lines=lines,
        amount_net=sum((line.net for line in lines), Decimal(0)),
        vat_amount=sum((line.vat for line in lines), Decimal(0)),
        amount_gross=Decimal("10240.00"),
        buyer=replace(BUYER, name="Väga pika nimega kohaliku omavalitsuse asutus " * 4),
    )
    reader = PdfReader(BytesIO(render_invoice_pdf(invoice)))
    assert len(reader.pages) > 1
    for page in reader.pages:
        assert "Registrikood 80123456" in page.extract_text()
    assert "10 240,00 €" in pdf_text(render_invoice_pdf(invoice))
