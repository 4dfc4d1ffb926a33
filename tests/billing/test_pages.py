"""Issue 5, point 6: the pages for coordinators and finance (forms with CSRF, errors by the field)."""
from __future__ import annotations

import io
import re

from tests.billing.helpers import approved_claim, issued_invoice, propose, set_day
from tests.unit.billing.camt053_builder import EntrySpec, Payment, camt053_xml


def text(response) -> str:
    return response.get_data(as_text=True)


def field_error(html: str) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]+)<', html)


def test_the_index_shows_claims_to_decide_and_outstanding_and_overdue_invoices(billing):
    h = billing
    propose(h, "p-1", days_held=2)
    issued_invoice(h, "p-2", application="a-2", days_held=3)
    set_day(2019, 5, 30)
    h.login("coordinator")
    page = text(h.client.get("/"))
    assert "Otsustamist ootavad nõuded" in page
    assert "2 päeva × 256,00 € = 512,00 €" in page  # why that amount
    assert "PO-00001" in page and "Tähtaja ületanud arved" in page
    assert "768,00 €" in page
    english = text(h.client.get("/?lang=en"))
    assert "Claims to decide" in english and "€512.00" in english


def test_the_coordinator_lowers_a_claim_through_the_form_and_sees_errors_next_to_the_field(billing):
    h = billing
    claim_id = propose(h, days_held=3)
    h.login("coordinator")
    page = f"/claims/{claim_id}"
    assert "3 päeva × 256,00 € = 768,00 €" in text(h.client.get(page))
    token = h.csrf_token(page)

    too_much = h.client.post(f"{page}/approve", data={"csrf_token": token, "amount": "900,00"})
    assert too_much.status_code == 422
    assert field_error(text(too_much))[0].startswith("Nõude summa 900,00 € ületab ülempiiri 768,00 €")
    assert 'value="900,00"' in text(too_much)  # what was typed stays
    garbage = h.client.post(f"{page}/approve", data={"csrf_token": token, "amount": "palju"})
    assert garbage.status_code == 422 and field_error(text(garbage))
    no_token = h.client.post(f"{page}/approve", data={"amount": "500"})
    assert no_token.status_code == 400

    lowered = h.client.post(f"{page}/approve", data={"csrf_token": token, "amount": "500,00", "note": "osaline"})
    assert lowered.status_code == 302
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["amount"] == "500.00"
    assert "Nõue kinnitatud: 500,00 €" in text(h.client.get(page))


def test_the_form_refuses_an_amount_above_the_proposal_next_to_the_field(billing):
    h = billing
    claim_id = propose(h, days_held=1)
    h.login("coordinator")
    page = f"/claims/{claim_id}"
    token = h.csrf_token(page)

    raised = h.client.post(f"{page}/approve", data={"csrf_token": token, "amount": "768,00"})
    assert raised.status_code == 422
    assert field_error(text(raised))[0].startswith("Nõude summa 768,00 € ületab pakutud summat 256,00 €")
    english = h.client.post(f"{page}/approve?lang=en", data={"csrf_token": token, "amount": "300"})
    assert english.status_code == 422
    assert field_error(text(english))[0].startswith("Claim amount €300.00 is above the proposed €256.00")
    assert h.client.get(f"/api/claims/{claim_id}").get_json()["status"] == "proposed"


def test_waiving_through_the_form_needs_a_reason(billing):
    h = billing
    claim_id = propose(h)
    h.login("coordinator")
    page = f"/claims/{claim_id}"
    token = h.csrf_token(page)
    empty = h.client.post(f"{page}/waive", data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422
    assert field_error(text(empty)) == ["Põhjus on kohustuslik."]
    done = h.client.post(f"{page}/waive", data={"csrf_token": token, "reason": "Tööandja likvideeriti"})
    assert done.status_code == 302
    assert "Tööandja likvideeriti" in text(h.client.get(page))
    assert len(h.payloads("billing.claim.waived")) == 1


def test_finance_issues_pays_and_credits_through_the_pages(billing):
    h = billing
    claim_id = approved_claim(h, days_held=3)
    h.login("finance")
    page = f"/claims/{claim_id}"
    token = h.csrf_token(page)
    issued = h.client.post(f"{page}/invoice", data={"csrf_token": token})
    assert issued.status_code == 302
    invoice_page = issued.headers["Location"]
    twice = h.client.post(f"{page}/invoice", data={"csrf_token": token})
    assert twice.status_code == 409 and "ainult kinnitatud nõude kohta" in text(twice)
    html = text(h.client.get(invoice_page))
    assert "PO-00001" in html and "640,00 €" in html and "128,00 €" in html and "/pdf" in html

    wrong_date = h.client.post(f"{invoice_page}/paid", data={"csrf_token": token, "paid_on": "eile"})
    assert wrong_date.status_code == 422 and field_error(text(wrong_date)) == ["Kuupäev kujul PP.KK.AAAA."]
    future = h.client.post(f"{invoice_page}/paid", data={"csrf_token": token, "paid_on": "01.06.2019"})
    assert future.status_code == 422 and field_error(text(future)) == ["Makse kuupäev on tulevikus"]
    part = h.client.post(f"{invoice_page}/paid", data={"csrf_token": token, "amount": "68", "paid_on": "09.05.2019"})
    assert part.status_code == 302
    html = text(h.client.get(invoice_page))
    assert "Osamakse registreeritud" in html and "09.05.2019" in html and "700,00 €" in html
    no_reason = h.client.post(f"{invoice_page}/credit", data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 422 and field_error(text(no_reason)) == ["Põhjus on kohustuslik."]
    credited = h.client.post(f"{invoice_page}/credit", data={"csrf_token": token, "reason": "Topelt"})
    assert credited.status_code == 302
    html = text(h.client.get(invoice_page))
    assert "KR-00001" in html and "tagasimakse" in html

    listing = text(h.client.get("/invoices?status=credited"))
    assert "PO-00001" in listing and "Laadi alla CSV" in listing


def test_finance_imports_a_statement_through_the_page_and_sees_the_result(billing):
    h = billing
    invoice = issued_invoice(h, days_held=1)
    h.login("finance")
    token = h.csrf_token("/statements")
    missing = h.client.post("/statements/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert missing.status_code == 422 and field_error(text(missing))
    broken = h.client.post("/statements/import", data={"csrf_token": token, "file": (io.BytesIO(b"<a/>"), "x.xml")},
                           content_type="multipart/form-data")
    assert broken.status_code == 422 and "camt.053" in field_error(text(broken))[0]

    xml = camt053_xml([EntrySpec("256.00", acct_svcr_ref="R1", payments=[Payment(reference=invoice["reference_number"])]),
                       EntrySpec("50.00", acct_svcr_ref="R2", payments=[Payment(ustrd=["liikmemaks"])])])
    done = h.client.post("/statements/import", data={"csrf_token": token, "file": (io.BytesIO(xml), "mai.xml")},
                         content_type="multipart/form-data")
    assert done.status_code == 302
    result = text(h.client.get(done.headers["Location"]))
    assert "Seotud ja tasutud (1)" in result and "Sidumata (1)" in result and "viitenumber puudub" in result
    again = h.client.post("/statements/import", data={"csrf_token": token, "file": (io.BytesIO(xml), "mai.xml")},
                          content_type="multipart/form-data")
    assert "Juba varem imporditud (2)" in text(h.client.get(again.headers["Location"]))

    h.login("coordinator")
    assert h.client.post("/statements/import", data={"csrf_token": h.csrf_token("/claims")},
                         content_type="multipart/form-data").status_code == 403


def test_the_claim_list_filters_by_status(billing):
    h = billing
    approved_claim(h, "p-1")
    propose(h, "p-2", application="a-2")
    h.login("coordinator")
    assert text(h.client.get("/claims?status=approved")).count(">Ava<") == 1
    assert text(h.client.get("/claims")).count(">Ava<") == 1  # default: the ones to decide
    assert text(h.client.get("/claims?status=all")).count(">Ava<") == 2
    assert text(h.client.get("/claims?status=waived")).count(">Ava<") == 0


def test_the_dashboard_summary_shows_what_waits(billing):
    h = billing
    propose(h, "p-1")
    issued_invoice(h, "p-2", application="a-2", days_held=3)
    set_day(2019, 6, 1)
    h.login("coordinator")
    figures = {f["key"]: f["value"] for f in h.client.get("/api/summary").get_json()["figures"]}
    assert figures["billing.claims_to_decide"] == 1
    assert figures["billing.invoices_overdue"] == 1
    assert figures["billing.outstanding_amount"] == "768,00 €"
    h.login("trainer")
    assert not [f for f in h.client.get("/api/summary").get_json()["figures"] if f["key"].startswith("billing.")]


def test_every_date_and_time_on_the_pages_is_day_month_year_in_tallinn_in_both_languages(billing):
    """A claim's history and an import's time read 03.05.2019 17:05 (Tallinn), not Babel's short
    03.05.19 17:05 or 5/3/19, 5:05 PM; an English page's dates are 03.05.2019 too, not ISO (shared/dates.py)."""
    from shared import clock
    from tests.billing.helpers import set_day
    h = billing
    claim_id = propose(h)
    set_day(2019, 5, 3, 17)
    clock.set_now(clock.now().replace(minute=5))  # 14:05 UTC
    h.login("coordinator", "finance")
    assert h.client.post(f"/api/claims/{claim_id}/approve", json={}).status_code == 200
    invoice = h.client.post("/api/invoices", json={"claim_id": claim_id}).get_json()
    xml = camt053_xml([EntrySpec("512.00", acct_svcr_ref="R1", payments=[Payment(reference=invoice["reference_number"])])])
    done = h.client.post("/statements/import", data={"csrf_token": h.csrf_token("/statements"),
                                                     "file": (io.BytesIO(xml), "mai.xml")},
                         content_type="multipart/form-data")
    assert done.status_code == 302
    pages = [f"/claims/{claim_id}", f"/invoices/{invoice['invoice_id']}", "/statements", done.headers["Location"],
             "/claims?status=all", "/invoices"]
    for lang in ("", "?lang=en"):
        for page in pages:
            html = text(h.client.get(page + (lang if "?" not in page else lang.replace("?", "&"))))
            shown = re.sub(r"<[^>]*>", " ", html)  # what the page reads (a bank's STMT-2019-05-20 id aside)
            assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b|(?<![\w-])\d{4}-\d{2}-\d{2}\b|\b\d{2}\.\d{2}\.\d{2}\b(?!\.)"
                                 r"|\d [AP]M\b", shown), (page, lang)
        claim = text(h.client.get(f"/claims/{claim_id}{lang}"))
        assert "03.05.2019 17:05" in claim and "02.05.2019" in claim  # the decision; the dropout day
        assert "03.05.2019" in text(h.client.get(f"/invoices/{invoice['invoice_id']}{lang}"))  # issued
        assert "03.05.2019 17:05" in text(h.client.get(f"/statements{lang}"))
        assert "03.05.2019 17:05" in text(h.client.get(done.headers["Location"] + lang))


def test_what_the_system_wrote_in_a_claims_history_reads_in_the_pages_language(billing):
    """The history keeps the system's English text (the API shows it as recorded); the claim
    page shows it, the actor included, in Estonian by default and in English on request."""
    from datetime import timedelta

    from tests.billing.helpers import DROPOUT_2019, deliver_at, dropout
    h = billing
    early = DROPOUT_2019 - timedelta(days=60)
    deliver_at(h, "attendance.participant.dropped_out", dropout("p-0", days_held=0, at=early), early)
    deliver_at(h, "attendance.participant.reinstated",
               {"participant_id": "p-0", "application_id": "a-1", "reason": "schedule_change"},
               early + timedelta(days=1))
    deliver_at(h, "attendance.participant.dropped_out", dropout("p-0", days_held=2, at=DROPOUT_2019), DROPOUT_2019)
    h.login("coordinator")
    [claim] = h.client.get("/api/claims").get_json()
    recorded = [d["reason"] for d in h.client.get(f"/api/claims/{claim['claim_id']}").get_json()["decisions"]]
    assert recorded == ["no session day was held before the dropout: no costs to recover",
                        "dropped out again after reinstatement (waived before: no session day was held before "
                        "the dropout: no costs to recover)"]
    estonian = text(h.client.get(f"/claims/{claim['claim_id']}"))
    assert "enne katkestamist ei toimunud ühtegi õppepäeva: hüvitatavaid kulusid ei ole" in estonian
    assert ("katkestas pärast ennistamist uuesti (varem loobuti: enne katkestamist ei toimunud ühtegi "
            "õppepäeva: hüvitatavaid kulusid ei ole)") in estonian
    assert "süsteem" in estonian
    assert "no session day" not in estonian and "after reinstatement" not in estonian
    assert ">attendance<" not in estonian
    english = text(h.client.get(f"/claims/{claim['claim_id']}?lang=en"))
    assert recorded[1] in english and ">system<" in english


def test_a_reinstatement_after_a_decision_and_its_undoing_read_in_the_pages_language(billing):
    from datetime import timedelta

    from tests.billing.helpers import DROPOUT_2019, deliver_at, dropout
    h = billing
    claim_id = approved_claim(h, days_held=2)
    deliver_at(h, "attendance.participant.reinstated", {"participant_id": "p-1", "application_id": "a-1"},
               DROPOUT_2019 + timedelta(days=1))
    deliver_at(h, "attendance.participant.dropped_out", dropout(days_held=2, at=DROPOUT_2019 + timedelta(days=2)),
               DROPOUT_2019 + timedelta(days=2))
    h.login("coordinator")
    estonian = text(h.client.get(f"/claims/{claim_id}"))
    assert "osaleja ennistati (parandus)" in estonian and "ennistamine võeti tagasi" in estonian
    assert "participant reinstated" not in estonian and "undone" not in estonian
    english = text(h.client.get(f"/claims/{claim_id}?lang=en"))
    assert "participant reinstated (correction)" in english and "the reinstatement was undone" in english
