"""No personal codes and no passwords in the logs.

Everything logged at any level while a member of staff signs in and while a participant
gives their personal code is captured and formatted as production formats it
(shared.observability.JsonFormatter); neither secret appears, while the events themselves
are logged (so the tests would see a leak). The formatter is also checked on its own:
sensitive keys at any depth of ``extra``, personal codes inside text and tracebacks.
"""
from __future__ import annotations

import io
import json
import logging
import re

import pytest

from shared import clock
from shared.observability import REDACTED, JsonFormatter

PASSWORD = "correct horse battery"
WRONG = "Tr0ub4dor&3-not-it"
CODE = "36805280109"         # a valid personal code (python-stdnum's example)
OTHER_CODE = "46805280103"


@pytest.fixture
def logs():
    """Every record of every logger, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)
    keeper = Keep(logging.DEBUG)
    root.addHandler(keeper)
    yield stream, records
    root.removeHandler(handler)
    root.removeHandler(keeper)
    root.setLevel(old_level)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def format_record(**extra) -> dict:
    record = logging.LogRecord("test", logging.INFO, __file__, 1, "message %s", ("arg",), None)
    record.__dict__.update(extra)
    return json.loads(JsonFormatter().format(record))


def test_signing_in_logs_the_attempts_but_never_the_password(tmp_path, logs):
    from gateway import accounts
    from gateway.app import create_app
    stream, _ = logs
    db = accounts.database(f"sqlite:///{tmp_path}/accounts.sqlite")
    db.migrate()
    accounts.create_user(db, "mari@example.ee", "Mari", PASSWORD, ["coordinator"])
    client = create_app({"TESTING": True}, db=db).test_client()

    def sign_in(password):
        html = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        return client.post("/auth/login", data={"email": "mari@example.ee", "password": password, "csrf_token": token})

    assert sign_in(WRONG).status_code == 401
    assert sign_in(PASSWORD).status_code == 302
    written = stream.getvalue()
    messages = [line["message"] for line in lines(stream)]
    assert "sign-in refused" in messages and "signed in" in messages  # the attempts are there …
    assert PASSWORD not in written and WRONG not in written           # … the passwords are not
    assert "scrypt:" not in written


def test_a_participants_personal_code_reaches_no_log(embedded_stack, logs):
    from tests.reporting.builders import BEFORE_START, accept, fill, member, organisation, publish_edition
    stream, records = logs
    h = embedded_stack.harness("reporting")
    publish_edition(h)
    accept(h, "app-1", "Tallinn", [member("P1", "Mari", "Maasikas", "L1")], [organisation("L1")])
    clock.set_now(BEFORE_START)
    assert fill(h, "P1", personal_code=CODE).status_code == 303
    assert fill(h, "P1", personal_code=OTHER_CODE[:-1] + "9").status_code == 422  # a wrong check digit
    # The coordinator reveals it (logged, as an audited act) — the page shows it, the log must not.
    h.login("coordinator")
    page = h.client.get("/participants/P1").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    revealed = h.client.post("/participants/P1/reveal", data={"csrf_token": token, "reason": "ESF audit check"})
    assert CODE in revealed.get_data(as_text=True)
    h.close()

    messages = [line["message"] for line in lines(stream)]
    assert "ESF data saved" in messages and "personal code revealed" in messages
    assert CODE not in stream.getvalue() and OTHER_CODE[:-1] not in stream.getvalue()
    # Not even in a record's raw fields, where a handler other than ours could pick it up.
    assert not [r for r in records if CODE in repr(r.__dict__)]


def test_sensitive_keys_are_redacted_at_any_depth():
    entry = format_record(
        personal_code=CODE, password=PASSWORD,
        form={"email": "mari@example.ee", "password": PASSWORD, "new_password": PASSWORD,
              "members": [{"name": "Mari", "personalCode": CODE}, {"isikukood": OTHER_CODE}]},
        headers={"Cookie": "po_session=abc", "Authorization": "Bearer abc"},
        csrf_token="abc", SECRET_KEY="abc")
    assert entry["personal_code"] == entry["password"] == entry["csrf_token"] == entry["SECRET_KEY"] == REDACTED
    assert entry["form"]["email"] == "mari@example.ee"  # everything else stays readable
    assert entry["form"]["password"] == entry["form"]["new_password"] == REDACTED
    assert entry["form"]["members"] == [{"name": "Mari", "personalCode": REDACTED}, {"isikukood": REDACTED}]
    assert entry["headers"] == {"Cookie": REDACTED, "Authorization": REDACTED}
    assert PASSWORD not in json.dumps(entry) and CODE not in json.dumps(entry)


def test_personal_codes_are_masked_inside_text_and_tracebacks_but_other_numbers_are_not():
    record = logging.LogRecord("test", logging.ERROR, __file__, 1, "refused %s for %s", (CODE, "P1"), None)
    try:
        raise ValueError(f"duplicate key (personal_code)=({OTHER_CODE})")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    record.__dict__.update(detail=f"code {CODE} in a sentence", count=int(CODE), invoice="20190013",
                           phone="51234567890")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == f"refused {REDACTED} for P1"
    assert OTHER_CODE not in entry["exception"] and REDACTED in entry["exception"]
    assert entry["detail"] == f"code {REDACTED} in a sentence" and entry["count"] == REDACTED
    # Numbers that fail the personal code's check digit are not personal codes.
    assert entry["invoice"] == "20190013" and entry["phone"] == "51234567890"


def test_a_database_error_carries_no_values_of_the_statement(tmp_path):
    """Tracebacks are logged; SQLAlchemy would put the statement's parameters into them."""
    from sqlalchemy import Column, MetaData, String, Table, insert
    from sqlalchemy.exc import IntegrityError

    from shared.db import make_engine
    engine = make_engine(f"sqlite:///{tmp_path}/x.sqlite")
    table = Table("people", MetaData(), Column("code", String, primary_key=True))
    table.metadata.create_all(engine)
    with pytest.raises(IntegrityError) as error, engine.begin() as conn:
        conn.execute(insert(table), [{"code": "secret-value-1"}, {"code": "secret-value-1"}])
    assert "secret-value-1" not in str(error.value)
