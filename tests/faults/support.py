"""What the fault tests drive and count, outside the services they test.

- enrolment's events, built here and published straight onto ``programme.events`` (the
  enrolment service is not needed to feed the others);
- the staff JSON API with a session cookie signed with the Programme's SECRET_KEY;
- counts in each service's PostgreSQL database and in what the SMTP sink received;
- RabbitMQ and PostgreSQL taken away and brought back (always brought back).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.parse
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pika
import psycopg
import requests
from flask import Flask

from services.__main__ import subscriptions
from shared import auth
from shared.events.envelope import Envelope, new_envelope
from shared.events.registry import encode, prepare, spec_for
from shared.messaging import topology
from shared.testing.harness import session_cookie

# Every service that handles some event (the topology's own list: none goes stale).
SERVICES_CONSUMING = tuple(service for service, keys in subscriptions().items() if keys)


def _pg_cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    return (versions[-1] if versions else "15"), "main"


# -- waiting ------------------------------------------------------------------------------------

def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.25):
    """Poll until ``predicate()`` is truthy; fail with ``what`` and the last value otherwise."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    value = predicate()
    if value:
        return value
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {value!r})")


# -- enrolment's events -----------------------------------------------------------------------

def edition(edition_id: str, group_ids: list[str], *, revision: int = 1, day3_shift_days: int = 0,
            now: datetime | None = None) -> dict:
    """enrolment.edition.published: days I and II already held (20 and 10 days ago), day III
    in a month — marks for days I–II are accepted, and nothing is due to time alone (no
    make-up window closes, no session reminder is due) while a test runs on the real clock."""
    now = now or datetime.now(UTC)
    first = (now - timedelta(days=20)).replace(hour=7, minute=0, second=0, microsecond=0)
    days = [first, first + timedelta(days=10), first + timedelta(days=50 + day3_shift_days)]
    groups = [{"group_id": g, "city": f"Linn {i}", "capacity_teams": 50, "sessions": [
        {"session_id": session_id(g, n), "day_number": n, "starts_at": start,
         "ends_at": start + timedelta(hours=7), "venue": "Keskväljak 1", "seats": None}
        for n, start in enumerate(days, start=1)]} for i, g in enumerate(group_ids)]
    return {"edition_id": edition_id, "year": first.year, "name": f"Fault test {edition_id}",
            "application_deadline": first - timedelta(days=30), "groups": groups,
            "revision": revision}


def session_id(group_id: str, day_number: int) -> str:
    return f"{group_id}-d{day_number}"


def city_of(edition_payload: dict, group_id: str) -> str:
    return next(g["city"] for g in edition_payload["groups"] if g["group_id"] == group_id)


def organisation(org_id: str, kind: str = "local_government") -> dict:
    return {"organisation_id": org_id, "name": f"Asutus {org_id}", "registry_code": "75012345",
            "kind": kind, "billing_email": f"arved-{org_id}@example.ee", "address": "Raekoja plats 1"}


def email_of(participant_id: str) -> str:
    return f"{participant_id}@example.ee"


def accepted(application_id: str, group_id: str, city: str, participant_ids: list[str],
             org_id: str | None = None) -> dict:
    """enrolment.application.accepted: a team of these members, all working for one employer."""
    org_id = org_id or f"{application_id}-org"
    return {"application_id": application_id, "edition_id": "", "group_id": group_id, "city": city,
            "team_name": f"Meeskond {application_id}", "contact_email": f"{application_id}-contact@example.ee",
            "organisations": [organisation(org_id)],
            "members": [{"participant_id": p, "first_name": "Mari", "last_name": f"Mets {p}",
                         "email": email_of(p), "organisation_id": org_id} for p in participant_ids]}


def roster(publish: Publisher, tag: str, *, groups: int, teams: int, size: int,
           only: str | None = None) -> tuple[dict, dict[str, list[str]]]:
    """Publish an edition of ``groups`` groups and ``teams`` accepted teams of ``size`` per
    group, as enrolment would; return (edition payload, {group: participant ids})."""
    group_ids = [f"{tag}-g{g:02d}" for g in range(groups)]
    payload = edition(f"{tag}-edition", group_ids)
    publish.event("enrolment.edition.published", payload, only=only)
    members_of: dict[str, list[str]] = {}
    for g in group_ids:
        members_of[g] = []
        for t in range(teams):
            application = f"{g}-a{t:02d}"
            members = [f"{application}-p{m:02d}" for m in range(size)]
            publish.event("enrolment.application.accepted",
                          accepted(application, g, city_of(payload, g), members), only=only)
            members_of[g].extend(members)
    return payload, members_of


def application_of(participant_id: str) -> str:
    return participant_id.rsplit("-p", 1)[0]


def withdrawn(application_id: str, participant_id: str) -> dict:
    return {"application_id": application_id, "participant_id": participant_id, "reason": "töökoha vahetus"}


def envelope(event_type: str, payload: dict) -> Envelope:
    spec = spec_for(event_type)
    wire, _ = prepare(event_type, payload)
    return new_envelope(event_type, wire, producer=spec.producer, schema_version=spec.version)


def same_fact_again(event_type: str, wire_payload: dict) -> Envelope:
    """The payload as it travelled, in a new envelope (new event id, later occurred_at):
    what a producer that published one fact twice would send."""
    spec = spec_for(event_type)
    return new_envelope(event_type, wire_payload, producer=spec.producer, schema_version=spec.version)


# -- the broker -------------------------------------------------------------------------------

class Publisher:
    """Publishes onto programme.events as a producer's relay would: persistent, confirmed."""

    def __init__(self, bus_url: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(bus_url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def event(self, event_type: str, payload: dict, *, only: str | None = None) -> Envelope:
        env = envelope(event_type, payload)
        self.envelope(env, only=only)
        return env

    def envelope(self, env: Envelope, *, only: str | None = None) -> None:
        """Onto programme.events, routed by type to every service bound to it — or, with
        ``only``, straight into that one service's queue (the default exchange)."""
        if only is None:
            self.raw(encode(env), env.event_type, message_id=env.event_id, type_=env.event_type)
        else:
            self.raw(encode(env), topology.queue_name(only), message_id=env.event_id, type_=env.event_type,
                     exchange="")

    def raw(self, body: bytes, routing_key: str, *, message_id: str | None = None,
            type_: str | None = None, exchange: str = topology.EXCHANGE) -> None:
        self.channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(
            content_type="application/json", delivery_mode=2, message_id=message_id or str(uuid.uuid4()),
            type=type_ or routing_key), mandatory=False)

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - the broker may have gone away in the test
            pass


@contextmanager
def publisher(bus_url: str):
    p = Publisher(bus_url)
    try:
        yield p
    finally:
        p.close()


def queue_depth(bus_url: str, queue: str) -> int:
    conn = pika.BlockingConnection(pika.URLParameters(bus_url))
    try:
        return conn.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        conn.close()


def queues_declared(bus_url: str, services=SERVICES_CONSUMING) -> bool:
    """True once every consuming service's worker has declared (and bound) its queue."""
    try:
        conn = pika.BlockingConnection(pika.URLParameters(bus_url))
    except pika.exceptions.AMQPError:
        return False
    try:
        for service in services:
            try:
                conn.channel().queue_declare(topology.queue_name(service), passive=True)
            except pika.exceptions.ChannelClosedByBroker:
                return False
        return True
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass


def unacked(bus_url: str, queue: str) -> int:
    """Messages the broker delivered from ``queue`` and has not seen acked yet."""
    vhost = urllib.parse.unquote(bus_url.rsplit("/", 1)[1])
    for line in rabbitmqctl("list_queues", "-p", vhost, "name", "messages_unacknowledged",
                            "--no-table-headers").splitlines():
        name, _, count = line.strip().partition("\t")
        if name == queue:
            return int(count)
    raise AssertionError(f"no queue {queue} in {vhost}")


def queues_idle(bus_url: str, services=SERVICES_CONSUMING) -> bool:
    """No message waiting in, or delivered and unacked from, any service's queue."""
    vhost = urllib.parse.unquote(bus_url.rsplit("/", 1)[1])
    counts = dict(line.strip().split("\t") for line in rabbitmqctl(
        "list_queues", "-p", vhost, "name", "messages", "--no-table-headers").splitlines() if line.strip())
    return all(counts.get(topology.queue_name(s)) == "0" for s in services)


def rabbitmqctl(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def broker_pid() -> int:
    return int(rabbitmqctl("eval", "os:getpid().").strip().strip('"'))


def kill_broker_hard() -> None:
    """SIGKILL the Erlang VM of the node: no clean shutdown, no flush."""
    pid = broker_pid()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=30, what="beam.smp to die", interval=0.1)


def start_broker() -> None:
    subprocess.run(["rabbitmq-server", "-detached"], capture_output=True, timeout=60)
    await_broker()


def await_broker(timeout: float = 180) -> None:
    """-detached returns before the node exists; await_startup fails until the node has
    registered, then waits for the boot to finish — so ask again until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rabbitmqctl("await_startup", "--timeout", "120", timeout=180)
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def restore_broker() -> None:
    """Whatever a test did to RabbitMQ, leave it running, its app started, no disk alarm."""
    try:
        rabbitmqctl("status", timeout=60)
    except Exception:  # noqa: BLE001 - node down (killed): start it
        start_broker()
    rabbitmqctl("start_app")
    await_broker()
    rabbitmqctl("set_disk_free_limit", "50MB")


def disk_alarm_raised() -> bool:
    return "disk" in rabbitmqctl("eval", "rabbit_alarm:get_alarms().")


# -- PostgreSQL -------------------------------------------------------------------------------

def restart_postgresql() -> None:
    """Restart the one PostgreSQL server every service's database lives on (fast mode:
    every open connection is cut)."""
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *_pg_cluster(), "restart"],
                   check=True, capture_output=True, timeout=120)


def postgresql_up(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


# -- the services' databases --------------------------------------------------------------------

class Databases:
    """Read-only SQL against each service's own database (a fresh connection per query, so a
    restarted PostgreSQL never leaves the test with a dead one)."""

    def __init__(self, urls: dict[str, str]):
        self.urls = urls

    def rows(self, service: str, sql: str, params: tuple | dict = ()) -> list[tuple]:
        with psycopg.connect(self.urls[service], autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, service: str, sql: str, params: tuple | dict = ()):
        return self.rows(service, sql, params)[0][0]

    def count(self, service: str, sql_from: str, params: tuple | dict = ()) -> int:
        return self.scalar(service, f"SELECT count(*) FROM {sql_from}", params)

    def unpublished(self, service: str) -> int:
        return self.count(service, "outbox WHERE published_at IS NULL")

    def outbox_ids(self, service: str, event_type: str, like: str) -> set[str]:
        """Event ids this service published of one type whose body mentions ``like``."""
        return {r[0] for r in self.rows(service, "SELECT event_id FROM outbox WHERE event_type = %s AND body LIKE %s",
                                        (event_type, f"%{like}%"))}

    def inbox_hits(self, service: str, event_ids: set[str]) -> int:
        if not event_ids:
            return 0
        return self.count(service, "inbox WHERE event_id = ANY(%s)", (list(event_ids),))

    def max_dead_letter_ids(self) -> dict[str, int]:
        return {s: self.scalar(s, "SELECT coalesce(max(id), 0) FROM dead_letters") for s in SERVICES_CONSUMING}

    def dead_letters_after(self, marks: dict[str, int]) -> dict[str, list[tuple]]:
        return {s: self.rows(s, "SELECT id, reason, event_type, error FROM dead_letters WHERE id > %s ORDER BY id",
                             (marks[s],)) for s in SERVICES_CONSUMING}


# -- e-mail -----------------------------------------------------------------------------------

def received(smtp, tag: str) -> list:
    """What the SMTP sink received for recipients of this test (their addresses carry the tag)."""
    return [m for m in list(smtp.messages) if any(tag in r for r in m.recipients)]


def message_id(m) -> str:
    return str(m.message["Message-ID"]).strip("<>").split("@")[0]


def await_mail_settled(db: Databases, tag: str, timeout: float = 60) -> None:
    wait_until(lambda: not db.count("notify", "emails WHERE recipient LIKE %s AND status <> 'sent'", (f"%{tag}%",)),
               timeout=timeout, what="notify to send every e-mail of the test")


def assert_mail_matches_notify(db: Databases, smtp, tag: str, *, resends: bool = False) -> dict[str, int]:
    """Every e-mail notify created for this test was sent, received by SMTP once, and nothing
    else was received. Returns the number of e-mails per template.

    With ``resends``: a send whose "sent" mark was lost (a worker killed, the database gone
    between the server's 250 and the commit) is sent once more after its lease, with the same
    Message-ID (the e-mail row's id) — the one duplicate SMTP leaves possible, and one the
    recipient's mail software recognises. Then each row is counted by its Message-ID.
    """
    rows = db.rows("notify", "SELECT id, template, recipient, cause_key, status FROM emails WHERE recipient LIKE %s",
                   (f"%{tag}%",))
    unsent = [r for r in rows if r[4] != "sent"]
    assert not unsent, f"e-mails not sent: {unsent[:5]}"
    by_id = Counter(message_id(m) for m in received(smtp, tag))
    assert set(by_id) == {r[0] for r in rows}, "SMTP received other e-mails than notify's rows"
    twice = {k: v for k, v in by_id.items() if v > 1}
    assert all(v == 2 for v in twice.values()) if resends else not twice, f"received more than once: {twice}"
    keys = Counter((r[1], r[2].lower(), r[3]) for r in rows)
    assert max(keys.values(), default=1) == 1  # one e-mail per cause, recipient and template
    return dict(Counter(r[1] for r in rows))


# -- dropouts end to end ------------------------------------------------------------------------

DROPPED_OUT = "attendance.participant.dropped_out"


def withdraw_all(publish: Publisher, participants: list[str], pace: float = 0.0) -> None:
    for participant in participants:
        publish.event("enrolment.member.withdrawn", withdrawn(application_of(participant), participant))
        if pace:
            time.sleep(pace)


def claims_of(db: Databases, tag: str) -> int:
    return db.count("billing", "claims WHERE participant_id LIKE %s", (f"{tag}%",))


def dropout_notices_of(db: Databases, tag: str) -> int:
    return db.count("notify", "emails WHERE template = 'dropout_notice' AND recipient LIKE %s", (f"{tag}%",))


def await_dropouts_settled(db: Databases, tag: str, count: int, timeout: float = 120) -> None:
    wait_until(lambda: claims_of(db, tag) == count and dropout_notices_of(db, tag) == count
               and not db.count("notify", "emails WHERE recipient LIKE %s AND status <> 'sent'", (f"%{tag}%",))
               and all(db.unpublished(s) == 0 for s in SERVICES_CONSUMING),
               timeout=timeout, what=f"{count} claims, {count} dropout e-mails sent, every outbox drained")


def accepted_roster(programme, db: Databases, tag: str, teams: int, size: int) -> list[str]:
    """Edition and teams through programme.events to every service; wait until they are known."""
    with publisher(programme.bus_url) as publish:
        _, members_of = roster(publish, tag, groups=1, teams=teams, size=size)
    participants = [p for members in members_of.values() for p in members]
    n = len(participants)
    wait_until(lambda: db.count("attendance", "participants WHERE participant_id LIKE %s", (f"{tag}%",)) == n
               and db.count("billing", "employers WHERE organisation_id LIKE %s", (f"{tag}%",)) == teams
               and db.count("notify", "participants WHERE participant_id LIKE %s AND email <> ''", (f"{tag}%",)) == n,
               timeout=120, what="attendance, billing and notify to know the teams")
    return participants


def assert_each_dropout_took_effect_once(db: Databases, smtp, tag: str, participants: list[str], teams: int,
                                         *, resends: bool = True) -> None:
    """Withdrawn members: one dropped_out from attendance, in each consumer's inbox once,
    one claim each, one dropout e-mail each — and every e-mail received by SMTP once (with
    ``resends``, a send whose "sent" mark a killed worker or database lost may arrive twice
    with one Message-ID; see ``assert_mail_matches_notify``)."""
    n = len(participants)
    dropouts = db.outbox_ids("attendance", DROPPED_OUT, f'"participant_id":"{tag}')
    assert len(dropouts) == n  # attendance said it once per participant
    for service in ("billing", "notify", "reporting"):
        assert db.inbox_hits(service, dropouts) == n, service
    claims = db.rows("billing", "SELECT participant_id, status, proposed_amount, reason FROM claims "
                                "WHERE participant_id LIKE %s", (f"{tag}%",))
    assert sorted(c[0] for c in claims) == sorted(participants)  # one claim per dropout
    assert {(c[1], str(c[2]), c[3]) for c in claims} == {("proposed", "512.00", "withdrawal")}  # 2 days held
    assert db.count("reporting", "participants WHERE participant_id LIKE %s AND exit_status = 'dropped_out'",
                    (f"{tag}%",)) == n
    templates = assert_mail_matches_notify(db, smtp, tag, resends=resends)
    assert templates == {"application_accepted": n + teams, "esf_data_request": n, "dropout_notice": n}
    assert all(db.unpublished(s) == 0 for s in SERVICES_CONSUMING)


# -- the staff API ----------------------------------------------------------------------------

def staff_cookie(secret_key: str) -> str:
    """A coordinator's session cookie, signed as the gateway signs it (harness.session_cookie)."""
    app = Flask("faults")
    app.config.update(SECRET_KEY=secret_key, SESSION_COOKIE_NAME=auth.SESSION_COOKIE)
    user = auth.StaffUser("u-faults", "Fault Tester", "faults@example.ee", (auth.Grant("coordinator", None),))
    return session_cookie(app, user)


class Staff:
    """A signed-in coordinator talking to the services over HTTP, as a browser would."""

    def __init__(self, programme, timeout: float = 20.0):
        self.programme = programme
        self.timeout = timeout
        self.http = requests.Session()
        self.http.cookies.set(auth.SESSION_COOKIE, staff_cookie(programme.secret_key), domain="127.0.0.1",
                              path="/")

    def put_sheet(self, session: str, marks: dict[str, bool]) -> requests.Response:
        return self.http.put(self.programme.url("attendance", f"/api/sessions/{session}/attendance"),
                             json={"marks": [{"participant_id": p, "present": v} for p, v in marks.items()]},
                             timeout=self.timeout)

    def post_mark(self, session: str, participant_id: str, present: bool) -> requests.Response:
        return self.http.post(self.programme.url("attendance", f"/api/sessions/{session}/attendance"),
                              json={"participant_id": participant_id, "present": present}, timeout=self.timeout)

    def get(self, service: str, path: str) -> requests.Response:
        return self.http.get(self.programme.url(service, path), timeout=self.timeout)

    def post_json(self, service: str, path: str, body: dict | None = None) -> requests.Response:
        return self.http.post(self.programme.url(service, path), json=body or {}, timeout=self.timeout)

    def post_form(self, service: str, page: str, path: str) -> requests.Response:
        """A form post as the page's button sends it: the CSRF token from the page first."""
        html = self.get(service, page).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert token, f"no csrf_token on /{service}{page}"
        return self.http.post(self.programme.url(service, path), data={"csrf_token": token.group(1)},
                              timeout=self.timeout, allow_redirects=False)

