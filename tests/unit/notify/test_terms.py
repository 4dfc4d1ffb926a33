"""The edition's terms as the e-mails word them (services/notify/domain/terms.py), and the
invoice e-mails of an invoice without VAT in both languages."""
import html
import re

import pytest

from services.notify.domain import rendering, terms


def test_only_an_edition_saying_no_drops_the_vat_clause():
    assert terms.cap_includes_vat(True) and terms.cap_includes_vat(None)  # None: billing's default, VAT applies
    assert not terms.cap_includes_vat(False)


def test_the_make_up_rule_defaults_to_the_brochures():
    assert terms.make_up_rule() == "before_own_next_day"
    assert terms.make_up_rule(True, "any_later_same_day") == "any_later_same_day"
    assert terms.make_up_rule(False, "any_later_same_day") == "none"


@pytest.mark.parametrize(("rate", "vat", "carries"), [
    ("0", "0.00", False), ("0.00", "0", False), ("20", "128.00", True), ("24", "148.65", True), (None, None, True)])
def test_billings_mark_of_an_invoice_without_vat(rate, vat, carries):
    assert terms.invoice_carries_vat(rate, vat) is carries


LABELS = {  # (without VAT, with VAT) per template and language
    ("invoice_issued", "et"): ("Summa", "Summa koos käibemaksuga"),
    ("payment_reminder", "et"): ("Summa", "Summa koos käibemaksuga"),
    ("credit_note", "et"): ("Kreeditarve summa", "Kreeditarve summa koos käibemaksuga"),
    ("invoice_issued", "en"): ("Amount", "Amount including VAT"),
    ("payment_reminder", "en"): ("Amount", "Amount including VAT"),
    ("credit_note", "en"): ("Credit note amount", "Credit note amount including VAT"),
}
AMOUNT = {"et": "512,00 €", "en": "€512.00"}
NOTE = {"et": "Käibemaksu ei lisata: hüvitis ei ole käibemaksuga maksustatav.",
        "en": "No VAT is added: the cost recovery is not subject to VAT."}


def _flat_html(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.mark.parametrize(("template", "language"), sorted(LABELS))
def test_invoice_e_mails_name_vat_only_where_the_invoice_carries_it(template, language):
    plain, with_vat = LABELS[template, language]
    sample = rendering.SAMPLE_CONTEXTS[template]
    without = rendering.render(template, language, {**sample, "vat_applied": False})
    assert f"{plain}: {AMOUNT[language]}" in without.text and NOTE[language] in without.text
    assert f"{plain} {AMOUNT[language]}" in _flat_html(without.html) and NOTE[language] in without.html
    assert with_vat not in without.text + without.html
    carrying = rendering.render(template, language, {**sample, "vat_applied": True})
    assert f"{with_vat}: {AMOUNT[language]}" in carrying.text
    assert f"{with_vat} {AMOUNT[language]}" in _flat_html(carrying.html)
    assert NOTE[language] not in carrying.text + carrying.html
