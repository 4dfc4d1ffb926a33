"""A small 2019 programme for the fuzzer to work on: every service seeded through its own API,
use cases and event handlers, never by writing rows.

Each service is a ``ServiceHarness`` on its own SQLite database; ``Programme.flow`` carries
the events each one wrote to its outbox to the services that subscribe to them (their
handler tables), through their consumers, until nothing new is published, as the bus would.

The story (Tallinn time), small on purpose:

- 15.02 enrolment loads the 2019 edition from its data file; five teams apply through the
  public API and their members confirm by their personal links (team 5 only half of them);
  the coordinator accepts team 1 into Pärnu and team 2 into Tartu and puts team 3 on Pärnu's
  waiting list (team 4 stays undecided, complete); a member of team 1 withdraws (a 0.00
  dropout, which billing waives itself) and one of team 2 is substituted by a newcomer who
  confirms.
- 20.03 most participants give their ESF data on reporting's personal form.
- April attendance saves the sheets of day I: in Pärnu E and F are absent, E makes the day
  up in Rakvere (booked, then marked present), F never does; in Tartu A and B are absent; on
  18.04 the tick drops A, B and F out (one day held each: 256.00 claims).
- 19.04 billing: A's claim approved and invoiced, B's approved, invoiced and credited (so
  approved again), F's left to decide; a bank statement with one stranger's payment.
- 30.04 Pärnu's day II: E absent, at risk (make-ups in Tartu, Rakvere and Tallinn left).
- notify's tick sends what is due along the way, to an SMTP server on loopback that has no
  mailbox for team 4's contact (a failed e-mail).

``counselling_enrolment`` seeds a second enrolment the same way and moves on to the
counselling programme's window (after the last session, 06.06.2019 17:00), where three local
governments apply (one that took part, one outsider leading a group, one in English) and
the coordinator marks one draft.

What the fuzzer draws from, per service: ``ids``, a list of records, each a dict of path
parameter names to values that belong together (an application and one of its members; an
edition and one of its counselling applications); ``values``, body fields by name (a city, a
participant, a claim); ``bodies``, whole request bodies by operation, for the bodies no
generator gets right (a team's application, an edition).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from services.notify.domain.rendering import TEMPLATES
from services.reporting.entrypoints.views import EXPORT_KINDS
from shared import clock
from shared.clock import TALLINN
from shared.config import SERVICES
from shared.testing.harness import ServiceHarness
from shared.testing.processes import free_port
from tests.enrolment.helpers import application_json, edition_body, submitted, token_of
from tests.reporting.builders import answers, form_path
from tests.unit.billing.camt053_builder import EntrySpec, Payment, camt053_xml
from tests.unit.enrolment.builders import registry_code

EDITION = "2019"
APPLICATION_WINDOW = datetime(2019, 2, 15, 12, 0, tzinfo=TALLINN)   # before the deadline (01.03)
MID_PROGRAMME = datetime(2019, 5, 2, 12, 0, tzinfo=TALLINN)        # Tartu's day II under way
COUNSELLING_WINDOW = datetime(2019, 6, 10, 12, 0, tzinfo=TALLINN)  # 06.06 17:00 – 04.07 23:59
# Valid personal codes (checksums), born well before 2019.
PERSONAL_CODES = ("60104180178", "50104170126", "48904170154", "36404180217", "46404170102",
                  "38703120227", "46805280103", "49602290124")
STAFF = ("coordinator", "finance")
MISSING_MAILBOX = "kontakt4@parnu.ee"  # team 4's contact: its receipt fails, permanently


def tallinn(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2019, month, day, hour, minute, tzinfo=TALLINN)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:2000])
    return response.get_json()


class Mailboxes:
    """An SMTP server on loopback for notify: it takes every message, except that one mailbox
    does not exist (550), so the outbox holds a failed e-mail a coordinator may resend."""

    def __init__(self, missing: str):
        self.missing = missing

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address == self.missing:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        return "250 2.0.0 Message accepted for delivery"


class Programme:
    """The five services, each on its own database, and the events between them."""

    def __init__(self, tmp: Path, services=SERVICES):
        self.tmp = tmp
        self.harness: dict[str, ServiceHarness] = {}
        self.smtp = None
        for service in services:
            settings = {}
            if service == "notify":
                self.smtp = Controller(Mailboxes(MISSING_MAILBOX), hostname="127.0.0.1", port=free_port())
                self.smtp.start()
                settings = {"extra": {"smtp_host": "127.0.0.1", "smtp_port": str(self.smtp.port),
                                      "smtp_security": "none", "mail_from": "programm@example.ee"}}
            self.harness[service] = ServiceHarness(service, f"sqlite:///{tmp}/{service}.sqlite",
                                                   f"sqlite-bus:///{tmp}/bus.sqlite", **settings)
            self.harness[service].login(*STAFF, name="Kati Koordinaator", email="kati@example.ee")
        self._delivered = dict.fromkeys(self.harness, 0)
        self.ids: dict[str, list[dict]] = {service: [] for service in self.harness}
        self.values: dict[str, dict[str, list]] = {service: {} for service in self.harness}
        self.bodies: dict[str, dict[str, list]] = {service: {} for service in self.harness}

    def at(self, moment: datetime) -> None:
        clock.set_now(moment)

    def flow(self) -> int:
        """Deliver every event published since the last flow to its subscribers, until quiet."""
        delivered = 0
        while True:
            moved = False
            for producer, h in self.harness.items():
                envelopes = h.published()[self._delivered[producer]:]
                self._delivered[producer] += len(envelopes)
                for envelope in envelopes:
                    moved = True
                    for consumer, c in self.harness.items():
                        if consumer != producer and envelope["event_type"] in c.kit.handlers:
                            c.deliver(body=json.dumps(envelope).encode())
                            delivered += 1
            if not moved:
                return delivered

    def tick(self, *services: str) -> None:
        for service in services:
            self.harness[service].tick()
        self.flow()

    def close(self) -> None:
        for h in self.harness.values():
            h.close()
        if self.smtp is not None:
            self.smtp.stop()


# -- enrolment ---------------------------------------------------------------------------------------

def seed_enrolment(p: Programme) -> dict:
    """The edition and five applications (see the module's story). Returns who is who."""
    h = p.harness["enrolment"]
    p.at(tallinn(2, 15, 9))
    load_edition_file(h.kit, EDITION_2019)
    edition = ok(h.client.get(f"/api/editions/{EDITION}"))
    groups = {g["city"]: g["group_id"] for g in edition["groups"]}
    apps, members, tokens = {}, {}, {}
    for n in range(1, 6):
        p.at(tallinn(2, 15, 9, n))
        apps[n] = ok(h.client.post("/api/applications", json=application_json(n)), 201)["application_id"]
        people = submitted(h, apps[n])["members"]
        members[n] = [m["participant_id"] for m in people]
        for m in people:
            tokens[m["participant_id"]] = token_of(m["confirm_url"])
        for m in people if n != 5 else people[:2]:
            ok(h.client.post(f"/api/confirmations/{tokens[m['participant_id']]}", json={}))
    p.at(tallinn(2, 15, 10))
    ok(h.client.post(f"/api/applications/{apps[1]}/accept", json={"city": "Pärnu"}))
    ok(h.client.post(f"/api/applications/{apps[2]}/accept", json={"city": "Tartu"}))
    ok(h.client.post(f"/api/applications/{apps[3]}/waitlist", json={"city": "Pärnu"}))
    p.at(tallinn(2, 15, 11))
    withdrawn = members[1][1]  # Jüri, of the local government: the team keeps one
    ok(h.client.post(f"/api/applications/{apps[1]}/members/{withdrawn}/withdraw",
                     json={"reason": "Vahetas töökohta"}))
    detail = ok(h.client.get(f"/api/applications/{apps[2]}"))
    ngo = next(o for o in detail["organisations"] if o["kind"] == "ngo")
    left = members[2][3]
    ok(h.client.post(f"/api/applications/{apps[2]}/members/{left}/substitute", json={
        "first_name": "Malle", "last_name": "Mets", "email": "malle2@abikasi.ee", "phone": "",
        "position": "vabatahtlik", "organisation_id": ngo["organisation_id"]}))
    substituted = h.payloads("enrolment.member.substituted")[-1]
    newcomer = substituted["member"]
    tokens[newcomer["participant_id"]] = token_of(substituted["confirm_url"])
    ok(h.client.post(f"/api/confirmations/{tokens[newcomer['participant_id']]}", json={}))
    members[2] = [*members[2][:3], newcomer["participant_id"], left]

    ids = [{"edition_id": EDITION}, *({"group_id": g} for g in groups.values())]
    for n, app in apps.items():
        ids.append({"application_id": app})
        ids.extend({"application_id": app, "participant_id": pid} for pid in members[n])
    ids.extend({"token": token} for token in tokens.values())
    p.ids["enrolment"] = ids
    organisations = [o["organisation_id"] for app in apps.values()
                     for o in ok(h.client.get(f"/api/applications/{app}"))["organisations"]]
    p.values["enrolment"] = {"city": list(groups), "organisation_id": organisations,
                             "claim_cap": [edition["claim_cap"]]}
    # New teams (their members' e-mails differ from the seeded ones), and the edition as it is.
    p.bodies["enrolment"] = {"POST /api/applications": [application_json(n) for n in range(6, 9)],
                             "PUT /api/editions/{edition_id}": [edition_body(edition)],
                             "POST /api/counselling/applications": [counselling_json(n) for n in range(6, 9)]}
    return {"groups": groups, "apps": apps, "members": members, "withdrawn": withdrawn, "left": left}


def counselling_json(n: int, partners: tuple[int, ...] = (), *, language: str = "et",
                     lead: dict | None = None) -> dict:
    def lg(k: int) -> dict:
        return {"name": f"Vald {k}", "registry_code": registry_code("7", 600 + k)}
    return {"local_governments": [lead or lg(n), *(lg(k) for k in partners)],
            "ngo_partners": [{"name": f"MTÜ Koostöö {n}", "registry_code": registry_code("8", 600 + n)}],
            "planned_services": f"Vald {n} soovib koos MTÜ-ga pakkuma hakata eakate koduteenust.",
            "contact_name": f"Kontakt {n}", "contact_email": f"kontakt{n}@vald.ee", "language": language}


def counselling_enrolment(tmp: Path) -> Programme:
    """Enrolment alone, seeded as in the programme, then in the counselling window with three
    applications (one of a local government that took part) and one draft mark."""
    p = Programme(tmp, services=("enrolment",))
    who = seed_enrolment(p)
    h = p.harness["enrolment"]
    took_part = next(o for o in ok(h.client.get(f"/api/applications/{who['apps'][1]}"))["organisations"]
                     if o["kind"] == "local_government")
    bodies = [counselling_json(1, lead={"name": took_part["name"], "registry_code": took_part["registry_code"]}),
              counselling_json(2, partners=(3, 4)), counselling_json(5, language="en")]
    chosen = []
    for i, body in enumerate(bodies):
        p.at(COUNSELLING_WINDOW - timedelta(days=3, minutes=-i))
        chosen.append(ok(h.client.post("/api/counselling/applications", json=body), 201)
                      ["counselling_application_id"])
    p.at(COUNSELLING_WINDOW - timedelta(days=1))
    ok(h.client.put(f"/api/editions/{EDITION}/counselling/applications/{chosen[0]}/decision",
                    json={"selected": True}))
    p.ids["enrolment"].extend({"edition_id": EDITION, "counselling_application_id": c} for c in chosen)
    p.at(COUNSELLING_WINDOW)
    return p


# -- the others, from enrolment's events -------------------------------------------------------------

def seed_programme(tmp: Path) -> Programme:
    p = Programme(tmp)
    who = seed_enrolment(p)
    p.flow()
    p.tick("notify")
    sessions = seed_reporting_and_attendance(p, who)
    seed_billing(p, who)
    p.at(tallinn(4, 30, 17, 30))  # Pärnu's day II: C present, E absent (F dropped out)
    team1 = [pid for pid in who["members"][1] if pid != who["withdrawn"]]
    sheet(p, sessions[("Pärnu", 2)], {team1[0]: True, team1[1]: False})
    p.at(MID_PROGRAMME)
    p.tick("attendance", "notify")

    a = p.harness["attendance"]
    p.ids["attendance"] = [*({"session_id": s} for s in sessions.values()),
                           *({"group_id": g} for g in who["groups"].values()),
                           *({"participant_id": line["participant_id"]}
                             for s in (sessions[("Pärnu", 1)], sessions[("Tartu", 1)])
                             for line in ok(a.client.get(f"/api/sessions/{s}"))["lines"])]
    p.values["attendance"] = {"participant_id": [r["participant_id"] for r in p.ids["attendance"]
                                                 if "participant_id" in r]}
    r = p.harness["reporting"]
    people = [row["participant_id"] for row in ok(r.client.get(f"/api/editions/{EDITION}/participants"))]
    p.ids["reporting"] = [{"edition_id": EDITION}, *({"group_id": g} for g in who["groups"].values()),
                          *({"participant_id": pid} for pid in people),
                          *({"edition_id": EDITION, "action": action} for action in ("lock", "unlock")),
                          *({"edition_id": EDITION, "kind": kind} for kind in EXPORT_KINDS)]
    n = p.harness["notify"]
    # One e-mail of each template and status, the failed one (which may be resent) first.
    emails = sorted(ok(n.client.get("/api/emails")), key=lambda e: e["status"] != "failed")
    kinds = {(e["template"], e["status"]): e["id"] for e in reversed(emails)}
    p.ids["notify"] = [*({"email_id": e["id"]} for e in emails if kinds[(e["template"], e["status"])] == e["id"]),
                       *({"template": t, "language": lang} for t in TEMPLATES for lang in ("et", "en"))]
    return p


def sheet(p: Programme, session_id: str, marks: dict[str, bool]) -> None:
    a = p.harness["attendance"]
    ok(a.client.put(f"/api/sessions/{session_id}/attendance",
                    json={"marks": [{"participant_id": pid, "present": present} for pid, present in marks.items()]}))
    p.flow()


def seed_reporting_and_attendance(p: Programme, who: dict) -> dict:
    r, a = p.harness["reporting"], p.harness["attendance"]
    p.at(tallinn(3, 20, 12))
    accepted = [pid for n in (1, 2) for pid in who["members"][n] if pid not in (who["withdrawn"], who["left"])]
    for pid, code in zip(accepted[:-1], PERSONAL_CODES, strict=False):  # the last one never fills it in
        path = form_path(r, pid)
        response = r.client.post(path, data={**answers(personal_code=code), "csrf_token": r.csrf_token(path)})
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    p.flow()

    sessions = {(s["city"], s["day_number"]): s["session_id"] for s in ok(a.client.get("/api/sessions"))}
    team1 = [pid for pid in who["members"][1] if pid != who["withdrawn"]]  # 3 people: C, E, F
    team2 = [pid for pid in who["members"][2] if pid != who["left"]]       # A, B and two more
    p.at(tallinn(4, 9, 17, 30))
    sheet(p, sessions[("Pärnu", 1)], {team1[0]: True, team1[1]: False, team1[2]: False})
    p.at(tallinn(4, 11, 17, 30))
    sheet(p, sessions[("Tartu", 1)], {team2[0]: False, team2[1]: False, team2[2]: True, team2[3]: True})
    p.at(tallinn(4, 12, 9))
    ok(a.client.post(f"/api/sessions/{sessions[('Rakvere', 1)]}/make-ups", json={"participant_id": team1[1]}), 201)
    p.flow()
    p.at(tallinn(4, 16, 17, 30))
    sheet(p, sessions[("Rakvere", 1)], {team1[1]: True})
    p.at(tallinn(4, 18, 9))
    p.tick("attendance", "notify")
    who["dropouts"] = {"A": team2[0], "B": team2[1], "F": team1[2]}
    return sessions


def seed_billing(p: Programme, who: dict) -> None:
    b = p.harness["billing"]
    p.at(tallinn(4, 19, 10))
    claims = {c["participant_id"]: c["claim_id"] for c in ok(b.client.get("/api/claims"))}
    assert len(claims) == 4, claims  # the withdrawal's (waived) and A's, B's, F's
    a_claim, b_claim = claims[who["dropouts"]["A"]], claims[who["dropouts"]["B"]]
    invoices = {}
    for claim in (a_claim, b_claim):
        ok(b.client.post(f"/api/claims/{claim}/approve", json={"note": "Kinnitatud"}))
        invoices[claim] = ok(b.client.post("/api/invoices", json={"claim_id": claim}), 201)
    p.flow()
    credited = ok(b.client.post(f"/api/invoices/{invoices[b_claim]['invoice_id']}/credit-note",
                                json={"reason": "Osaleja tuli tagasi"}), 201)
    statement = camt053_xml([EntrySpec("100.00", acct_svcr_ref="201904190001", booking_date=date(2019, 4, 19),
                                       payments=[Payment(reference="1232", debtor_name="Keegi Teine")])],
                            statement_id="STMT-2019-04-19")
    report = ok(b.client.post("/api/statements", data=statement, content_type="application/xml"), 201)
    p.flow()
    p.tick("notify")
    p.ids["billing"] = [*({"claim_id": c} for c in claims.values()),
                        *({"invoice_id": i["invoice_id"]} for i in invoices.values()),
                        {"credit_note_id": credited["credit_note"]["credit_note_id"]},
                        {"import_id": report["import_id"]}]
    p.values["billing"] = {"claim_id": list(claims.values())}
