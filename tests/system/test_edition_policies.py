"""An edition's policies, set by a coordinator, reach every service that states or applies them.

Every service runs as its own processes on RabbitMQ and PostgreSQL, with e-mail to an SMTP
sink (the ``programme`` fixture). The coordinator takes VAT off the 2019 edition in
enrolment (``enrolment.edition.published`` revision 2, heard by billing and notify) and turns
make-ups off in attendance (``attendance.make_up_rule.changed``, heard by enrolment and
notify). One team applies: the confirmation e-mail (notify) and the confirmation page
(enrolment) state the cap without "koos käibemaksuga" and that a missed day cannot be made
up. A member misses Pärnu's day I, which Tartu's day I two days later would make up under
the brochure's rule: attendance drops her out when the session ends, billing proposes the
claim and issues its invoice without VAT, and notify's e-mails say so. Each effect is
counted once, in the databases and at the SMTP sink.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from shared import clock
from tests.system import year_2019 as y
from tests.system.support import Api, Bus, Mailbox, queues_declared, wait_until

EDITION = "2019"
CITIES = ("Pärnu", "Tartu")  # Tartu's day I (11.04) is Pärnu's make-up under the brochure's rule
TEAM = 1                      # Meeskond 01 (Pärnu, Tartu)
ABSENT = (TEAM, 0)            # misses Pärnu's day I; employer Vallavalitsus 01
NO_MAKE_UP_MAIL = "Vahele jäänud koolituspäeva ei saa järele teha"             # notify
NO_MAKE_UP_PAGE = "Vahele jäänud päeva ei saa korvata: koolituspäevalt puudumine tähendab programmi katkestamist."
CAP_WITHOUT_VAT = re.compile(r"kuni 768,00\s€ ulatuses\.")                     # notify: no "koos käibemaksuga"

EXPECTED_EMAILS = {
    "application_received": 1,           # the contact
    "member_confirmation_request": 4,    # the four members
    "application_accepted": 5,           # contact + four members
    "esf_data_request": 4,
    "session_reminder": 4,               # Pärnu's day I
    "esf_data_reminder": 4,              # nobody gave ESF data before their entry day
    "dropout_notice": 1,                 # the absent member, at once: no absence_make_up
    "invoice_issued": 1,                 # her employer
}
# Each producer's events of the story, from its outbox.
EXPECTED_EVENTS = {
    "enrolment.edition.published": 2,    # created, then VAT taken off
    "attendance.make_up_rule.changed": 1,  # saving the same rule again publishes nothing
    "attendance.participant.absent": 0,  # no make-up to offer: the dropout alone
    "attendance.participant.dropped_out": 1,
    "billing.claim.proposed": 1,
    "billing.invoice.issued": 1,
}


@dataclass
class Story:
    programme: object
    staff: Api    # a coordinator who is also in finance
    public: Api   # the applicants: no session
    mail: Mailbox
    bus: Bus
    sessions: dict[tuple[str, int], dict] = field(default_factory=dict)
    people: dict[tuple[int, int], str] = field(default_factory=dict)  # (team, member) → participant id
    application_id: str = ""
    links: dict[str, str] = field(default_factory=dict)           # member's e-mail → confirmation token

    def at(self, moment: datetime) -> None:
        self.programme.set_now(moment)
        clock.set_now(moment)

    def outbox(self) -> Counter:
        found: Counter = Counter()
        for conn in self.bus.connections.values():
            found.update(dict(conn.execute("SELECT event_type, count(*) FROM outbox GROUP BY event_type")))
        return found

    def consumed(self, service: str, event_type: str) -> int:
        return self.bus.connections[service].execute(
            "SELECT count(*) FROM inbox WHERE event_type = %s", (event_type,)).fetchone()[0]

    def row(self, service: str, sql: str) -> list[tuple]:
        return self.bus.connections[service].execute(sql).fetchall()

    def delivered(self, template: str, count: int) -> list:
        """The SMTP sink's e-mails of ``template`` once it has ``count``; failing, notify's rows
        say why. A retry after a temporary SMTP failure is due 30 s later on the demo clock, so
        the e-mails of the clock's last stops (the dropout notice, the invoice) are awaited here
        only once the clock has moved on."""
        try:
            self.mail.wait_for({template: count})
        except AssertionError as exc:
            rows = self.bus.connections["notify"].execute(
                "SELECT status, attempts, last_error, next_attempt_at FROM emails WHERE template = %s",
                (template,)).fetchall()
            raise AssertionError(f"{exc}; notify's {template} rows: {rows}") from None
        return self.mail.messages(template)


def test_edition_policies_reach_every_service(programme, smtp):
    story = Story(programme, Api(programme, "coordinator", "finance"), Api(programme), Mailbox(smtp),
                  Bus(programme.databases))
    try:
        the_coordinator_sets_the_policies(story)
        a_team_applies_and_reads_the_terms(story)
        the_members_confirm_them(story)
        a_missed_day_is_a_dropout_at_once(story)
        the_claims_invoice_carries_no_vat(story)
        each_effect_once(story)
    finally:
        story.bus.close()


def the_coordinator_sets_the_policies(story: Story) -> None:
    story.at(y.tallinn(1, 15, 9))
    wait_until(lambda: queues_declared(story.programme.bus_url), timeout=60, what="the consumers' queues")
    body = y.edition_body(CITIES)
    created = story.staff.ok(story.staff.post("enrolment", "/api/editions", body), 201)
    assert (created["edition_id"], created["revision"], created["vat_applies"]) == (EDITION, 1, None)
    wait_until(lambda: len(story.staff.ok(story.staff.get("attendance", "/api/sessions"))) == 6, timeout=30,
               what="attendance's copy of the six sessions")
    story.bus.wait_quiet()

    # VAT off on the editions API: the same schedule (its groups by id), a new revision.
    for group, sent in zip(created["groups"], body["groups"], strict=True):
        sent["group_id"] = group["group_id"]
    edited = story.staff.ok(story.staff.put("enrolment", f"/api/editions/{EDITION}", {**body, "vat_applies": False}))
    assert (edited["revision"], edited["vat_applies"]) == (2, False)
    sessions = {(g["city"], s["day_number"]): s for g in edited["groups"] for s in g["sessions"]}
    assert {k: s["session_id"] for k, s in sessions.items()} == {
        (g["city"], s["day_number"]): s["session_id"] for g in created["groups"] for s in g["sessions"]}
    story.sessions = sessions

    # Make-ups off in attendance: nobody to re-judge yet; the same rule again changes nothing.
    path = f"/api/editions/{EDITION}/make-up-rule"
    assert story.staff.ok(story.staff.get("attendance", path))["brochure_rule"] is True
    off = {"make_ups_allowed": False, "window": "before_own_next_day"}
    changed = story.staff.ok(story.staff.put("attendance", path, off))
    assert (changed["make_ups_allowed"], changed["brochure_rule"], changed["changed"], changed["reinstated"],
            changed["dropped_out"]) == (False, False, True, 0, 0)
    assert story.staff.ok(story.staff.put("attendance", path, off))["changed"] is False
    story.bus.wait_quiet()

    # Each consumer's projection, the newest revision of each policy.
    assert story.row("enrolment", "SELECT edition_id, make_ups_allowed, revision FROM make_up_rules") == [
        (EDITION, False, 1)]
    assert story.row("notify", "SELECT edition_id, make_ups_allowed, revision FROM make_up_rules") == [
        (EDITION, False, 1)]
    assert story.row("notify", "SELECT edition_id, revision, vat_applies FROM editions") == [(EDITION, 2, False)]
    assert story.row("billing", "SELECT edition_id, revision, vat_applies FROM edition_policies") == [
        (EDITION, 2, False)]


def a_team_applies_and_reads_the_terms(story: Story) -> None:
    story.at(y.tallinn(1, 15, 10))
    receipt = story.public.ok(story.public.post("enrolment", "/api/applications", y.application(TEAM),
                                                headers={"Idempotency-Key": "system-policies-team"}), 201)
    story.application_id = receipt["application_id"]
    by_email = {y.member_email(TEAM, m): (TEAM, m) for m in range(4)}
    story.people = {by_email[m["email"]]: m["participant_id"] for m in receipt["members"]}
    story.bus.wait_for_emails({"application_received": 1, "member_confirmation_request": 4})
    story.bus.wait_quiet()
    for message in story.delivered("member_confirmation_request", 4):
        text = message.text()
        html = message.message.get_body(("html",)).get_content()
        assert CAP_WITHOUT_VAT.search(text), text
        assert NO_MAKE_UP_MAIL in text, text
        assert "käibemaks" not in text and "käibemaks" not in html, message.recipients
        assert "järele teha teise linna rühmaga" not in text  # the brochure's make-up sentence

    # The personal link from the e-mail: the page and the API state the same terms.
    links = story.mail.links("member_confirmation_request", "enrolment")
    assert set(links) == set(by_email)
    page = story.public.get("enrolment", f"/p/{links[y.member_email(*ABSENT)]}")
    assert page.status_code == 200
    assert NO_MAKE_UP_PAGE in page.text
    assert re.search(r"Kui meeskonnaliige programmi katkestab, on korraldajatel õigus nõuda tema tööandjalt "
                     r"kuni 768,00\s€ tehtud koolituskulude eest", page.text), page.text
    assert re.search(r"kuni 768,00\s€ nõudest, teadlik", page.text)  # the confirm button's sentence
    assert "käibemaks" not in page.text
    shown = story.public.ok(story.public.get("enrolment", f"/api/confirmations/{links[y.member_email(*ABSENT)]}"))
    assert shown["claim_cap"] == "768.00"
    assert NO_MAKE_UP_PAGE in shown["conditions"][1]
    assert not any("käibemaks" in c for c in shown["conditions"])
    story.links = links


def the_members_confirm_them(story: Story) -> None:
    """One on the page (its hidden fields are what it stated), three on the API with the digest."""
    story.at(y.tallinn(1, 20))
    links = story.links
    path = f"/p/{links[y.member_email(*ABSENT)]}"
    html = story.public.get("enrolment", path).text

    def hidden(name: str) -> str:
        found = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html)
        assert found, name
        return found.group(1)

    digest = story.public.ok(story.public.get("enrolment", f"/api/confirmations/{links[y.member_email(*ABSENT)]}"))[
        "conditions_digest"]
    assert hidden("conditions_digest") == digest
    confirmed = story.public.post("enrolment", path, data={
        "csrf_token": hidden("csrf_token"), "claim_cap": hidden("claim_cap"), "conditions_digest": digest})
    assert confirmed.status_code == 200 and "Aitäh! Kinnitus on salvestatud." in confirmed.text, confirmed.text
    for member in (1, 2, 3):
        token = links[y.member_email(TEAM, member)]
        done = story.public.ok(story.public.post("enrolment", f"/api/confirmations/{token}",
                                                 {"conditions_digest": digest}))
    assert done["all_confirmed"] is True
    story.bus.wait_quiet()
    # Confirmed: the VAT clause the members agreed to is fixed now.
    body = story.staff.ok(story.staff.get("enrolment", f"/api/editions/{EDITION}"))
    again = story.staff.put("enrolment", f"/api/editions/{EDITION}", {
        "year": body["year"], "name": body["name"], "application_deadline": body["application_deadline"],
        "vat_applies": True, "groups": [{"group_id": g["group_id"], "city": g["city"],
                                         "capacity_teams": g["capacity_teams"], "sessions": [
            {k: s[k] for k in ("day_number", "starts_at", "ends_at", "venue", "seats")} for s in g["sessions"]]}
            for g in body["groups"]]})
    assert again.status_code == 409 and "claim_policy_confirmed" in again.text, again.text


def a_missed_day_is_a_dropout_at_once(story: Story) -> None:
    story.at(y.tallinn(3, 5))
    accepted = story.staff.ok(story.staff.post("enrolment", f"/api/applications/{story.application_id}/accept",
                                               {"city": "Pärnu"}))
    assert (accepted["status"], accepted["city"]) == ("accepted", "Pärnu")
    story.bus.wait_for_emails({"application_accepted": 5, "esf_data_request": 4})
    story.bus.wait_quiet()

    # Three days before day I: the reminder says a missed day cannot be made up.
    story.at(y.tallinn(4, 8, 11))
    story.bus.wait_for_emails({"session_reminder": 4, "esf_data_reminder": 4})
    story.bus.wait_quiet()
    story.delivered("esf_data_reminder", 4)
    for message in story.delivered("session_reminder", 4):
        assert "vahele jäänud koolituspäeva ei saa järele teha" in message.text(), message.text()

    session = story.sessions[("Pärnu", 1)]
    story.at(y.tallinn(4, 9, 12))
    path = f"/api/sessions/{session['session_id']}"
    sheet = story.staff.ok(story.staff.get("attendance", path))
    own = [line["participant_id"] for line in sheet["lines"] if not line["make_up"]]
    assert sorted(own) == sorted(story.people.values())
    absent = story.people[ABSENT]
    saved = story.staff.ok(story.staff.put("attendance", f"{path}/attendance", {
        "marks": [{"participant_id": pid, "present": pid != absent} for pid in own]}))
    assert len(saved["changed"]) == 4
    story.bus.wait_quiet()

    # The session is over: under the brochure's rule she would be told of Tartu's day I on
    # 11.04; with make-ups off she has dropped out, now.
    ends = datetime.fromisoformat(session["ends_at"])
    story.at(clock.local(ends) + timedelta(minutes=5))
    wait_until(lambda: story.staff.ok(story.staff.get("billing", "/api/claims")), timeout=60,
               what="billing's claim for the dropout")
    story.bus.wait_quiet()
    standing = story.staff.ok(story.staff.get("attendance", f"/api/participants/{absent}"))
    assert (standing["outcome"], standing["reason"], standing["days"][0]["open_make_ups"]) == (
        "dropped_out", "absence", [])
    assert story.staff.ok(story.staff.get("attendance", "/api/at-risk")) == []

    story.bus.wait_for_emails({"dropout_notice": 1})  # at the sink below, once the clock has moved on


def the_claims_invoice_carries_no_vat(story: Story) -> None:
    story.at(y.tallinn(4, 10))
    (notice,) = story.delivered("dropout_notice", 1)
    assert notice.recipients == [y.member_email(*ABSENT)]
    assert f"{NO_MAKE_UP_MAIL}, mistõttu loetakse, et olete arenguprogrammi katkestanud." in notice.text()
    assert CAP_WITHOUT_VAT.search(notice.text()) and "käibemaks" not in notice.text(), notice.text()

    (claim,) = story.staff.ok(story.staff.get("billing", "/api/claims"))
    assert (claim["participant_id"], claim["reason"], claim["days_attended"], claim["days_held"],
            claim["proposed_amount"], claim["status"]) == (story.people[ABSENT], "absence", 0, 1, "256.00", "proposed")
    detail = story.staff.ok(story.staff.get("billing", f"/api/claims/{claim['claim_id']}"))
    assert (detail["vat_applies"], detail["vat_applies_source"]) == (False, "edition")
    assert "käibemaks" not in detail["explanation_et"] and "VAT" not in detail["explanation_en"], detail

    approved = story.staff.ok(story.staff.post("billing", f"/api/claims/{claim['claim_id']}/approve", {}))
    assert (approved["status"], approved["amount"]) == ("approved", "256.00")
    invoice = story.staff.ok(story.staff.post("billing", "/api/invoices", {"claim_id": claim["claim_id"]}), 201)
    assert (Decimal(invoice["vat_rate"]), Decimal(invoice["vat_amount"]), Decimal(invoice["amount_net"]),
            Decimal(invoice["amount_gross"])) == (Decimal(0), Decimal("0.00"), Decimal("256.00"), Decimal("256.00"))
    assert invoice["buyer"]["billing_email"] == y.kov_billing(TEAM)
    story.bus.wait_quiet()
    assert story.row("notify", "SELECT vat_rate, vat_amount FROM invoice_vat") == [(Decimal("0.00"), Decimal("0.00"))]

    story.bus.wait_for_emails({"invoice_issued": 1})
    story.at(y.tallinn(4, 10, 1))  # nothing else falls due before 21.04 (the payment reminder)
    (issued,) = story.delivered("invoice_issued", 1)
    assert issued.recipients == [y.kov_billing(TEAM)]
    text = issued.text()
    assert re.search(r"^Summa: 256,00\s€\r?$", text, re.MULTILINE), text
    assert "Käibemaksu ei lisata: hüvitis ei ole käibemaksuga maksustatav." in text
    assert "Summa koos käibemaksuga" not in text


def each_effect_once(story: Story) -> None:
    story.bus.wait_quiet(mail=True, timeout=120)
    assert story.mail.counts() == EXPECTED_EMAILS
    assert story.bus.email_statuses() == {"sent": sum(EXPECTED_EMAILS.values())}
    assert story.bus.dead_letters() == {}
    produced = story.outbox()
    assert {event: produced[event] for event in EXPECTED_EVENTS} == EXPECTED_EVENTS
    heard = {service: story.consumed(service, "attendance.make_up_rule.changed") for service in ("enrolment", "notify")}
    assert heard == {"enrolment": 1, "notify": 1}
    assert {service: story.consumed(service, "enrolment.edition.published")
            for service in ("attendance", "billing", "notify")} == {"attendance": 2, "billing": 2, "notify": 2}
    assert story.row("billing", "SELECT count(*), sum(vat_amount), sum(amount_gross) FROM invoices") == [
        (1, Decimal("0.00"), Decimal("256.00"))]
