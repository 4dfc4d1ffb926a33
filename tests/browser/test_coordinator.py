"""A coordinator's spring 2019, in the browser: sign in, accept a complete application into a
city, record day I with two absentees, see them at risk and then dropped out, waive one
claim on an employer and approve the other (finance invoices it), download the ESF export.
Then every main page is photographed for review (var/screenshots/)."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.browser import flows

pytestmark = pytest.mark.browser

# Tartu's day I is 11.04.2019; a missed day I can be made up in Rakvere (16.04) or Tallinn
# (17.04), both before Tartu's day II (02.05). Once Tallinn's session is over, it is final.
TARTU_DAY_I = datetime.fromisoformat("2019-04-11T11:00:00+03:00")
AFTER_THE_LAST_MAKE_UP = datetime.fromisoformat("2019-04-18T09:00:00+03:00")
WAIVE_REASON = "Pikaajaline haigus, tõend esitatud."


def row_of(page: Page, text: str):
    return page.locator("tbody tr", has_text=text)


def card(page: Page, heading: str):
    return page.locator(".card", has=page.get_by_role("heading", name=heading))


def download(page: Page, link_name: str, into) -> tuple[str, bytes]:
    """Click a download link as a person would; return the offered file name and the bytes."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    path = into / info.value.suggested_filename
    info.value.save_as(path)
    return info.value.suggested_filename, path.read_bytes()


def test_coordinator_accepts_records_attendance_decides_the_claims_and_exports(
        office, new_context, screenshots, tmp_path):
    team = flows.team("Emajõe", members=4, cities=("Tartu", "Pärnu"))
    waived, approved = team.members[3], team.members[1]  # Jaan Saar (SA …), Peeter Kask (MTÜ …)
    attended = [m for m in team.members if m not in (waived, approved)]
    flows.submit_application(new_context().new_page(), team)
    links = flows.confirmation_links(office, team)
    for member in team.members:
        flows.confirm(new_context(), links[member.email], member, team)

    # Signed in, the coordinator lands on the dashboard; its figure leads to the application.
    page = new_context().new_page()
    flows.sign_in(page, office)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ülevaade")
    undecided = page.locator("tr", has=page.get_by_role("link", name="Otsustamata taotlusi", exact=True))
    expect(undecided.locator("td")).to_have_text("1")
    undecided.locator("td a").click()
    expect(page).to_have_url(re.compile(r"/enrolment/applications\?status=submitted$"))
    page.get_by_role("link", name=team.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(team.name)
    summary = page.locator(".card").first
    expect(summary).to_contain_text("Kõik liikmed on kinnitanud")
    expect(summary).to_contain_text("Eelistused: Tartu, Pärnu")
    expect(summary).to_contain_text("Kirjavahetuse keel: eesti")
    page.screenshot(path=screenshots / "application-detail.png", full_page=True)

    # Accept into Tartu, the team's first choice (preselected).
    accept = page.locator("form", has=page.get_by_role("heading", name="Võta vastu"))
    expect(accept.get_by_label("Linn")).to_have_value("Tartu")
    accept.get_by_role("button", name="Võta rühma vastu").click()
    expect(page.get_by_role("status")).to_have_text("Meeskond võeti vastu rühma Tartu.")
    expect(summary).to_contain_text("Vastu võetud · Tartu")
    # Let the acceptance e-mails go out on the day of the decision before the weeks pass.
    flows.wait_until(lambda: sum("vastu võetud" in m.subject for m in office.mails()) == 1 + len(team.members),
                     timeout=15, what="the acceptance e-mails to the contact and every member")

    # Day I in Tartu: the sheet lists the team (from the acceptance event) once it has arrived.
    office.set_clock(TARTU_DAY_I)
    flows.sign_in(page, office, "/attendance/")  # two months later: signed out long ago
    row_of(page, "11.04.2019").filter(has_text="Tartu").get_by_role("link", name="Kohalolekuleht").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tartu · 11.04.2019 · I päev")
    flows.reload_until(page, lambda: page.locator("tbody tr").count() == len(team.members), timeout=15,
                       what="the accepted team on the sheet")
    for member in team.members:
        row_of(page, member.name).get_by_label("kohal" if member in attended else "puudus").check()
    page.get_by_role("button", name="Salvesta", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Salvestatud. Muudetud märkeid: 4.")
    for member in team.members:
        now = row_of(page, member.name).locator("td").nth(3)  # the "Praegu" column: what is recorded
        expect(now).to_have_text("kohal (kohalolekuleht)" if member in attended else "puudus (kohalolekuleht)")
    page.screenshot(path=screenshots / "attendance-sheet.png", full_page=True)

    # Both absentees are at risk, with the two make-up chances left.
    page.get_by_role("link", name="Kohalolek", exact=True).click()
    page.get_by_role("link", name="Riskis osalejad").click()
    for member in (waived, approved):
        expect(page.locator("li", has_text=member.name)).to_contain_text(
            "järele saab teha Rakvere 16.04.2019, Tallinn 17.04.2019")

    # After Tallinn's day I nothing can make day I up: the tick drops them out, and billing
    # proposes a claim on each one's employer.
    office.set_clock(AFTER_THE_LAST_MAKE_UP)
    flows.sign_in(page, office, "/billing/claims")
    flows.reload_until(page, lambda: page.locator("tbody tr").count() == 3, timeout=20,  # heading row + 2
                       what="a claim for each absentee")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nõuded: ootab otsust")
    claim = row_of(page, waived.name)
    expect(claim).to_contain_text(team.organisations[3].name)
    expect(claim).to_contain_text("1 päev × 256,00 € = 256,00 € (koos käibemaksuga).")
    claim.get_by_role("link", name="Ava").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Nõue: {waived.name}")
    expect(page.locator("h1 .pill")).to_have_text("ootab otsust")
    expect(card(page, "Tööandja")).to_contain_text(team.organisations[3].name)
    expect(card(page, "Tööandja")).to_contain_text(team.organisations[3].billing_email)
    expect(card(page, "Katkestamine")).to_contain_text("Grupi koolituspäevi toimunud: 1 · osales: 0")
    page.screenshot(path=screenshots / "claim.png", full_page=True)

    # Waiving needs a reason; with one, the claim is closed and the reason kept.
    card(page, "Loobu nõudest").get_by_role("button", name="Loobu").click()
    expect(card(page, "Loobu nõudest").locator(".field-error")).to_have_text("Põhjus on kohustuslik.")
    card(page, "Loobu nõudest").get_by_label("Põhjus").fill(WAIVE_REASON)
    card(page, "Loobu nõudest").get_by_role("button", name="Loobu").click()
    expect(page.get_by_role("status")).to_have_text("Nõudest loobuti.")
    expect(page.locator("h1 .pill")).to_have_text("loobutud")
    expect(page.locator(".card", has_text="Loobumise põhjus")).to_contain_text(WAIVE_REASON)
    expect(page.get_by_role("button", name="Loobu")).to_have_count(0)

    # The other claim is approved as proposed; issuing the invoice is finance's, not the coordinator's.
    page.get_by_role("link", name="← Nõuded").click()
    row_of(page, approved.name).get_by_role("link", name="Ava").click()
    card(page, "Kinnita (võib vähendada)").get_by_role("button", name="Kinnita nõue").click()
    expect(page.get_by_role("status")).to_have_text("Nõue kinnitatud: 256,00 €.")
    expect(page.locator("h1 .pill")).to_have_text("kinnitatud")
    expect(page.get_by_role("button", name=re.compile("Esita arve"))).to_have_count(0)
    finance = new_context().new_page()
    flows.sign_in(finance, office, "/billing/claims?status=approved",
                  office.create_user("raamatupidaja@example.ee", "Rita Raamatupidaja", "finance"))
    row_of(finance, approved.name).get_by_role("link", name="Ava").click()
    finance.get_by_role("button", name="Esita arve (256,00 €)").click()
    expect(finance.get_by_role("status")).to_have_text("Arve esitatud.")
    expect(finance.get_by_role("heading", level=1)).to_contain_text("tasumata")
    expect(card(finance, "Ostja")).to_contain_text(team.organisations[1].name)
    expect(card(finance, "Summad")).to_contain_text("Kokku: 256,00 €")
    finance.screenshot(path=screenshots / "invoice.png", full_page=True)

    # The ESF export: from the reporting front page to the edition, then the files.
    page.get_by_role("link", name="ESF aruandlus", exact=True).click()
    page.get_by_role("link", name=re.compile("Avalike teenuste delegeerimise")).click()
    name, data = download(page, "Osalejad (CSV)", tmp_path)
    assert re.fullmatch(r"esf-osalejad-.+\.csv", name), name
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    headings = rows[0]
    assert {"Eesnimi", "Perekonnanimi", "Isikukood", "Linn", "Sisenemise kuupäev",
            "Väljumise staatus"} <= set(headings)
    by_name = {(r[headings.index("Eesnimi")], r[headings.index("Perekonnanimi")]): r for r in rows[1:]}
    # The absentees never attended a day: they never entered the ESF operation, so they are
    # not reported. The others entered on Tartu's day I and have not left yet.
    assert set(by_name) == {(m.first_name, m.last_name) for m in attended}
    for row in by_name.values():
        assert row[headings.index("Linn")] == "Tartu"
        assert row[headings.index("Sisenemise kuupäev")] == "2019-04-11"
        assert row[headings.index("Väljumise staatus")] == ""

    name, data = download(page, "Osalejad (XLSX, koodiraamatuga)", tmp_path)
    assert re.fullmatch(r"esf-osalejad-.+\.xlsx", name), name
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["Osalejad", "Koodiraamat"]
    sheet_rows = list(workbook["Osalejad"].iter_rows(values_only=True))
    assert list(sheet_rows[0]) == headings  # the same columns as the CSV
    assert len(sheet_rows) == 1 + len(attended)

    # Back on the dashboard, the spring at a glance; each figure leads to the page behind it.
    page.get_by_role("link", name="Ülevaade", exact=True).click()

    def figure(label: str):
        return page.locator("tr", has=page.get_by_role("link", name=label, exact=True)).locator("td")

    expect(figure("Tartu: meeskondi (ootel)")).to_have_text("1/7 (0)")
    expect(figure("Tartu: otsustamata taotlusi")).to_have_text("0")
    expect(figure("2019 Tartu: lõpetanud / katkestanud / riskis")).to_contain_text("0 / 2 / 0")
    expect(figure("Otsustamata nõudeid")).to_have_text("0")
    expect(figure("Tasumata arveid")).to_have_text("1")
    expect(figure("Tasumata summa")).to_have_text("256,00 €")
    expect(figure("ESF andmed puudu (2019)")).to_have_text(str(len(attended)))
    page.screenshot(path=screenshots / "dashboard-after-spring.png", full_page=True)
    figure("Tasumata arveid").locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arved")
    expect(row_of(page, team.organisations[1].name)).to_contain_text("256,00")


MAIN_PAGES = [
    # (file, path, the h1 a coordinator must see)
    ("dashboard", "/", "Ülevaade"),
    ("applications", "/enrolment/applications", "Taotlused"),
    ("attendance-sessions", "/attendance/", "Koolituspäevad"),
    ("claims", "/billing/claims?status=all", "Nõuded: kõik"),
    ("invoices", "/billing/invoices", "Arved"),
    ("email-outbox", "/notify/", "E-kirjad"),
    ("esf-reporting", "/reporting/", "ESF aruandlus"),
    ("dead-letters", "/notify/dead-letters", "Töötlemata sõnumid — E-kirjad"),
]


def test_every_main_page_for_review(office, new_context, screenshots):
    """Each page answers, shows its heading, and is photographed (after the scenario above,
    with its data; alone, the pages are photographed empty)."""
    office.dead_letter("notify")  # so the dead-letter page has a message to show
    page = new_context().new_page()
    flows.sign_in(page, office)
    for name, path, heading in MAIN_PAGES:
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading if name != "applications"
                                                                  else re.compile(r"Taotlused \d{4}"))
        if name == "dead-letters":
            flows.reload_until(page, lambda: page.locator("tbody tr").count() == 2, timeout=15,
                               what="the dead-lettered message")
            row = page.locator("tbody tr").nth(1)
            expect(row).to_contain_text("enrolment.application.submitted")
            expect(row).to_contain_text("lepinguga vastuolus")
        page.screenshot(path=screenshots / f"{name}.png", full_page=True)
    # The ESF pages are per edition: reached through the front page's links.
    for link, name, heading in (("näitajad", "esf-indicators", "Näitajad"),
                                ("täielikkus", "esf-completeness", "ESF andmete täielikkus")):
        page.goto("/reporting/")
        # Reporting learns the edition from enrolment's event (at once after a fresh start).
        flows.reload_until(page, lambda link=link: page.get_by_role("link", name=link, exact=True).count() > 0,
                           timeout=15, what="the edition")
        page.get_by_role("link", name=link, exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        page.screenshot(path=screenshots / f"{name}.png", full_page=True)


PHONE_PAGES = ["dashboard", "applications", "attendance-sessions", "claims", "email-outbox", "esf-reporting"]


def test_staff_pages_fit_a_phone(office, new_context, screenshots):
    """390×844, as a coordinator on the road: the layout wraps (navigation, user, language)
    and no page scrolls sideways as a whole; wide tables scroll inside their own box."""
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    flows.sign_in(page, office)
    for name, path, _heading in (p for p in MAIN_PAGES if p[0] in PHONE_PAGES):
        assert page.goto(path).status == 200, path
        expect(page.get_by_role("link", name="English")).to_be_visible()
        page.screenshot(path=screenshots / f"phone-{name}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone's screen"
