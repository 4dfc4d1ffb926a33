"""The claim page states the cap (and the proposal's sum, and the approve field) "incl. VAT"
only where VAT applies to the claim's invoice: the edition's vat_applies, else
BILLING_VAT_APPLIES (GET /api/claims/<id> vat_applies). The amounts are gross either way."""
from __future__ import annotations

import html
import re

from tests.billing.helpers import DROPOUT_2019, billing_harness, deliver_at, dropout, set_day
from tests.billing.test_edition_vat import VIEW_2020, edition


def proposed(h, participant: str, group_id: str) -> str:
    """A dropout of ``group_id`` with three days held: 768.00 proposed, at the cap."""
    payload = {**dropout(participant, f"a-{participant}", days_held=3), "group_id": group_id}
    deliver_at(h, "attendance.participant.dropped_out", payload, DROPOUT_2019)
    return h.payloads("billing.claim.proposed")[-1]["claim_id"]


def cap_texts(h, claim_id: str, lang: str) -> tuple[str, str]:
    """(the 'Why this amount' card down to the VAT note: the explanation, the proposal and the
    cap line; the approve field's label) as the coordinator reads them."""
    page = h.client.get(f"/claims/{claim_id}?lang={lang}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    card = re.search(r"<h2>[^<]*</h2>(.*?)<p class=\"muted\" id=\"vat-applies\">", text, re.S)
    label = re.search(r"<label for=\"amount\">(.*?)</label>", text, re.S)
    assert card and label, text
    flat = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card.group(1))).split())
    return flat, " ".join(html.unescape(label.group(1)).split())


def test_the_claim_page_states_the_cap_without_vat_where_the_edition_has_none(billing):
    h = billing
    h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",), vat_applies=False))
    h.deliver("enrolment.edition.published", edition("2020", (VIEW_2020,), vat_applies=True))
    h.deliver("enrolment.edition.published", edition("2018", ("g-tartu",)))  # says nothing: the setting (yes)
    no_vat, with_vat, by_setting = (proposed(h, "p-1", "g-parnu"), proposed(h, "p-2", VIEW_2020),
                                    proposed(h, "p-3", "g-tartu"))
    h.login("coordinator", "finance")

    card, label = cap_texts(h, no_vat, "et")
    assert "Ülempiir 768,00 €" in card and "768,00 € ." not in card
    assert "käibemaks" not in card.lower() and label == "Summa (€)"
    card, label = cap_texts(h, no_vat, "en")
    assert "Cap €768.00" in card and "VAT" not in card and label == "Amount (€)"

    for claim_id in (with_vat, by_setting):
        card, label = cap_texts(h, claim_id, "et")
        assert "Ülempiir 768,00 € koos käibemaksuga" in card and "(koos käibemaksuga)." in card
        assert label == "Summa koos käibemaksuga (€)"
        card, label = cap_texts(h, claim_id, "en")
        assert "Cap €768.00 incl. VAT" in card and "(incl. VAT)." in card and label == "Amount incl. VAT (€)"
    # The proposal itself and its stored explanation are what they were (the API shows them as written).
    claim = h.client.get(f"/api/claims/{no_vat}").get_json()
    assert claim["proposed_amount"] == "768.00" and claim["vat_applies"] is False


def test_billing_setting_without_vat_reads_plainly_where_the_edition_leaves_it_to_billing(stack):
    set_day(2019, 5, 10)
    h = billing_harness(stack, vat_applies="false")
    try:
        h.deliver("enrolment.edition.published", edition("2019", ("g-parnu",)))
        h.deliver("enrolment.edition.published", edition("2020", (VIEW_2020,), vat_applies=True))
        by_setting, by_edition = proposed(h, "p-1", "g-parnu"), proposed(h, "p-2", VIEW_2020)
        h.login("coordinator")
        card, label = cap_texts(h, by_setting, "et")
        assert "käibemaks" not in card.lower() and label == "Summa (€)"
        card, label = cap_texts(h, by_edition, "en")
        assert "Cap €768.00 incl. VAT" in card and label == "Amount incl. VAT (€)"
    finally:
        h.close()
