"""An applicant fills in the public form with mistakes, corrects them and sends it; every
member confirms through the personal link e-mailed to them. With and without JavaScript:
the form's only dynamic part, more rows, is a submit button, so both must work the same."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import flows
from tests.browser.flows import Organisation, field_errors

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_applicant_corrects_the_mistakes_and_every_member_confirms(office, new_context, screenshots, javascript):
    tag = "Selge" if javascript else "Skriptita"
    # Five employers: the form's four organisation rows are not enough, so "add rows" is needed.
    team = flows.team(tag, members=5)
    team.organisations.append(Organisation(f"MTÜ {tag} Noored", "ngo", flows.NGO_CODES[3], "Pikk 7, Tartu",
                                           f"arved.noored.{tag.lower()}@example.ee"))
    team.members[4].organisation = 5
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/enrolment/apply")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Taotlus: avalike teenuste delegeerimise")

    # The first try: a registry code with a wrong check digit, three members, delegation not ticked.
    flows.fill_team(page, team)
    for row, org in enumerate(team.organisations[:4]):
        flows.fill_organisation(page, row, org)
    page.fill("#organisations-0-registry_code", "75006547")
    for row, member in enumerate(team.members[:3]):
        flows.fill_member(page, row, member)
    page.get_by_role("button", name="Saada taotlus").click()

    expect(page).to_have_url(re.compile(r"/enrolment/apply$"))
    expect(page.locator("#errors")).to_contain_text("Taotlust ei saadetud: palun parandage vead (4).")
    expect(field_errors(page, "organisations-0-registry_code")).to_have_text(
        ["Registrikoodi kontrollnumber ei klapi – palun kontrollige koodi."])
    expect(field_errors(page, "intends_to_delegate")).to_have_text(
        ["Kinnitage kindel kavatsus teenus vabaühendusele delegeerida."])
    # The composition is a problem of the whole member list: shown above the members' rows.
    members_box = page.locator("fieldset", has=page.locator("legend", has_text="Meeskonnaliikmed"))
    expect(members_box.locator(":scope > .field-error")).to_have_text([
        "Meeskonnas peab olema vähemalt 4 liiget (praegu 3).",
        "Meeskonnas peab olema vähemalt 2 liiget vabaühendusest (praegu 1).",
    ])
    # Everything typed is still there, the wrong code included (to be corrected, not retyped).
    expect(page.locator("#team_name")).to_have_value(team.name)
    expect(page.locator("#organisations-0-registry_code")).to_have_value("75006547")
    expect(page.locator("#organisations-3-name")).to_have_value(team.organisations[3].name)
    expect(page.locator("#members-2-email")).to_have_value(team.members[2].email)
    expect(page.locator("#members-2-organisation_key")).to_have_value("3")
    expect(page.locator("#idea_description")).to_have_value(team.idea_description)
    expect(page.locator("input[name=idea_kind][value=new]")).to_be_checked()
    expect(page.locator("#preferred_cities-1")).to_have_value("Tallinn")
    expect(page.locator("#intends_to_delegate")).not_to_be_checked()
    if javascript:
        page.screenshot(path=screenshots / "application-form-errors.png", full_page=True)

    # The corrections; the fifth employer needs a fifth organisation row.
    page.fill("#organisations-0-registry_code", team.organisations[0].registry_code)
    page.check("#intends_to_delegate")
    expect(page.locator("#organisations-4-name")).to_have_count(0)
    page.get_by_role("button", name="Lisa ridu (organisatsioonid ja liikmed)").click()
    expect(page.locator("#organisations-5-name")).to_have_count(1)  # two more organisations
    expect(page.locator("#members-11-first_name")).to_have_count(1)  # four more members
    expect(page.locator("#errors")).to_have_count(0)  # adding rows is not sending
    expect(page.locator("#organisations-0-registry_code")).to_have_value(team.organisations[0].registry_code)
    expect(page.locator("#members-0-first_name")).to_have_value(team.members[0].first_name)
    expect(page.locator("#intends_to_delegate")).to_be_checked()
    flows.fill_organisation(page, 4, team.organisations[4])
    flows.fill_member(page, 3, team.members[3])
    flows.fill_member(page, 4, team.members[4])
    page.get_by_role("button", name="Saada taotlus").click()

    expect(page).to_have_url(re.compile(r"/enrolment/apply/thanks/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aitäh! Taotlus on saadetud")
    receipt = page.get_by_role("status")
    expect(receipt).to_contain_text(team.name)
    expect(receipt).to_contain_text(team.contact_email)
    # Local governments' members first, then NGOs', each by employer and then name (the names
    # here sort alike in Estonian and in code points).
    def employer(m):
        return team.organisations[m.organisation - 1]
    listed = sorted(team.members, key=lambda m: (employer(m).kind != "local_government", employer(m).name,
                                                  m.last_name, m.first_name))
    expect(receipt.locator("p", has_text="omavalitsustest")).to_have_count(1)
    expect(receipt.locator("li")).to_have_text([f"{m.name}, {employer(m).name} ({m.email})" for m in listed])

    # Each member, in their own browser, follows the link from their own e-mail.
    links = flows.confirmation_links(office, team)
    for member in team.members:
        assert links[member.email].startswith(office.base_url + "/enrolment/p/")
        member_page = flows.confirm(new_context(java_script_enabled=javascript), links[member.email], member, team)
        expect(member_page.get_by_role("button", name="Kinnitan")).to_have_count(0)
    expect(member_page.get_by_role("status")).to_contain_text(
        "Kõik meeskonnaliikmed on kinnitanud: taotlus on täielik.")
    # Opened again later, the link says what was done instead of asking again.
    first = new_context(java_script_enabled=javascript).new_page()
    first.goto(links[team.members[0].email])
    expect(first.get_by_role("status")).to_contain_text("Kinnitasite tingimused")
    expect(first.get_by_role("button", name="Kinnitan")).to_have_count(0)


def test_the_form_fits_a_phone(office, new_context, screenshots):
    """390×844: nothing wider than the screen (no sideways scrolling), errors still by the fields."""
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    page.goto("/enrolment/apply")
    page.screenshot(path=screenshots / "application-form-phone.png", full_page=True)
    page.get_by_role("button", name="Saada taotlus").click()
    expect(field_errors(page, "team_name")).to_have_text(["See väli on kohustuslik."])
    page.screenshot(path=screenshots / "application-form-phone-errors.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone's screen"


def test_the_sign_in_page_needs_no_account_to_reach_the_form(page, screenshots):
    page.goto("/auth/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Töötaja sisselogimine")
    page.screenshot(path=screenshots / "login.png", full_page=True)
    page.get_by_role("link", name="taotlusvorm").click()
    expect(page).to_have_url(re.compile(r"/enrolment/apply$"))
