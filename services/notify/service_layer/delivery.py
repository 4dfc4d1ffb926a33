"""The delivery job: send queued e-mails whose time has come, retry, record, publish.

At most once, as far as a mail server allows. A row is *claimed* before it is sent: one
committed UPDATE moves it to ``sending`` with a random claim token and a lease
(``claimed_until``), and only if it was still due — so two workers never send the same row.
Then the message goes out (no transaction held open meanwhile), and a second transaction
marks it sent (or queued again, or failed), again only if the claim is still ours, and
publishes notify.email.sent / notify.email.failed through the outbox.

The one gap left: a crash (or a lost database) *after* the server accepted the message and
*before* the row is marked sent. The row stays ``sending`` until its lease expires, is then
claimed again and sent a second time — at worst once more, with the same Message-ID (the
row's id), so mail software can recognise the duplicate. Closing that gap needs the mail
server to take part in the transaction, which SMTP cannot. The lease is longer than any
SMTP session may take, so a slow send is never mistaken for a crash.

A payment reminder of an invoice notify knows is settled (``settled_invoices``) is cancelled
here instead of sent. The paid/credited handler cancels the queued reminders itself, but a
reminder stage handled at the same moment in another transaction saw neither the mark nor
was seen by the cancellation; checking once more just before sending (one query per batch)
closes that, short of a mark committed while the batch is already being sent.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select, update

from services.notify.adapters.models import Email, SettledInvoice
from services.notify.domain.rendering import RenderedEmail
from services.notify.mail.backends import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    next_attempt_delay,
    should_retry,
)
from services.notify.mail.message import InvalidAddress, build_message
from services.notify.service_layer import emails
from shared import clock

log = logging.getLogger(__name__)


def _due(now: datetime):
    """Queued and due, or claimed by a worker that has not finished within its lease."""
    return or_(and_(Email.status == "queued", Email.next_attempt_at <= now),
               and_(Email.status == "sending", Email.claimed_until <= now))


def deliver_due(kit, limit: int = 200) -> dict[str, int]:
    """Tick job: compose waiting rows, then send what is due, oldest first, up to ``limit``."""
    emails.compose_waiting(kit)
    outcome = {"sent": 0, "retry": 0, "failed": 0, "cancelled": 0}
    backend = kit.backend
    done = 0
    with backend.session():  # one SMTP session for the run, not one per e-mail
        while done < limit:
            with kit.db.transaction() as session:
                batch = session.execute(select(Email.id, Email.template, Email.cause_key).where(_due(clock.now()))
                                        .order_by(Email.next_attempt_at, Email.created_at).limit(20)).all()
                if not batch:
                    break
                cancelled = _cancel_settled_reminders(session, batch)
            outcome["cancelled"] += len(cancelled)
            done += len(cancelled)
            ids = [row.id for row in batch if row.id not in cancelled]
            for email_id in ids:
                result = deliver_one(kit, email_id, backend)
                if result:
                    outcome[result] += 1
                done += 1
    return outcome


def invoice_of_reminder(cause_key: str) -> str | None:
    """The invoice id in a payment reminder's cause key ``invoice:<invoice_id>:<stage>``."""
    invoice_id, sep, stage = cause_key.removeprefix("invoice:").rpartition(":")
    return invoice_id if cause_key.startswith("invoice:") and sep and invoice_id and stage else None


def _cancel_settled_reminders(session, batch) -> set[str]:
    """Cancel the batch's payment reminders whose invoice is settled; returns their ids.

    One query for the whole batch (none without a payment reminder in it). The cancellation
    takes a row only while it is still due, so never one another worker is sending."""
    invoices = {row.id: invoice_of_reminder(row.cause_key) for row in batch if row.template == "payment_reminder"}
    wanted = {invoice_id for invoice_id in invoices.values() if invoice_id}
    if not wanted:
        return set()
    settled = dict(session.execute(select(SettledInvoice.invoice_id, SettledInvoice.settled_by)
                                   .where(SettledInvoice.invoice_id.in_(wanted))).all())
    doomed = [email_id for email_id, invoice_id in invoices.items() if invoice_id in settled]
    if not doomed:
        return set()
    now = clock.now()
    cancelled = set(session.scalars(
        update(Email).where(Email.id.in_(doomed), _due(now))
        .values(status="cancelled", updated_at=now, next_attempt_at=None, claim_token=None, claimed_until=None)
        .returning(Email.id).execution_options(synchronize_session=False)))
    for email_id in doomed:
        if email_id in cancelled:
            invoice_id = invoices[email_id]
            log.info("payment reminder of a settled invoice cancelled, not sent", extra={
                "email_id": email_id, "invoice_id": invoice_id, "settled_by": settled[invoice_id]})
    return cancelled


def deliver_one(kit, email_id: str, backend) -> str | None:
    claim = _claim(kit, email_id)
    if claim is None:
        return None  # another worker has it, or it is no longer due
    token, email = claim
    config = kit.config
    try:
        message = build_message(
            (config.mail_from_name, config.mail_from), (email.recipient_name, email.recipient),
            RenderedEmail(email.subject or "", email.text or "", email.html or ""),
            message_id=email.id, date=clock.now(),
            # Lets a mail filter (or a test) tell the kinds apart without parsing the subject.
            headers={"X-Notify-Template": email.template})
        # After the body: setting the content clears every Content-* header.
        message["Content-Language"] = "en" if email.language == "en" else "et"
        backend.send(message)
    except (InvalidAddress, ValueError) as error:
        return _finish(kit, email, token, PermanentDeliveryError(f"cannot build the message: {error}"))
    except DeliveryError as error:
        return _finish(kit, email, token, error)
    except Exception as error:  # noqa: BLE001 - a surprise in a backend: retry, do not strand the row
        log.exception("unexpected delivery error", extra={"email_id": email.id})
        return _finish(kit, email, token, TemporaryDeliveryError(f"{type(error).__name__}: {error}"))
    return _finish(kit, email, token, None)


def _claim(kit, email_id: str) -> tuple[str, Email] | None:
    """Compare-and-set to ``sending``; committed before anything is sent."""
    token = str(uuid.uuid4())
    now = clock.now()
    with kit.db.transaction() as session:
        claimed = session.execute(
            update(Email).where(Email.id == email_id, _due(now))
            .values(status="sending", claim_token=token, claimed_until=now + kit.config.send_lease,
                    attempts=Email.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            return None
        email = session.get(Email, email_id, populate_existing=True)
        return token, email


def _finish(kit, email: Email, token: str, error: DeliveryError | None) -> str | None:
    now = clock.now()
    with kit.unit_of_work(correlation_id=email.correlation_id) as uow:
        row = uow.session.get(Email, email.id, populate_existing=True, with_for_update=True)
        if row is None or row.status != "sending" or row.claim_token != token:
            # Our lease ran out and another worker took the row over: it records the outcome.
            log.warning("lost the claim on an e-mail", extra={"email_id": email.id})
            return None
        row.claim_token, row.claimed_until, row.updated_at = None, None, now
        if error is None:
            row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, None, None
            uow.publish("notify.email.sent", _event(row))
            log.info("e-mail sent", extra={"email_id": row.id, "template": row.template, "attempts": row.attempts})
            return "sent"
        row.last_error = str(error)[:4000]
        if isinstance(error, TemporaryDeliveryError) and should_retry(row.attempts):
            row.status, row.next_attempt_at = "queued", now + next_attempt_delay(row.attempts)
            log.warning("e-mail delivery failed, will retry",
                        extra={"email_id": row.id, "attempts": row.attempts, "error": row.last_error,
                               "retry_at": row.next_attempt_at.isoformat()})
            return "retry"
        row.status, row.next_attempt_at = "failed", None
        uow.publish("notify.email.failed", {**_event(row), "error": row.last_error})
        log.error("e-mail failed", extra={"email_id": row.id, "attempts": row.attempts, "error": row.last_error})
        return "failed"


def _event(row: Email) -> dict:
    return {"email_id": row.id, "template": row.template, "recipient": row.recipient,
            "causation_event_id": row.cause_event_id, "cause_key": row.cause_key, "attempts": row.attempts}
