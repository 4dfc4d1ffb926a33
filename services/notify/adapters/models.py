"""Notify's tables. Nothing outside this service reads them.

Two kinds: projections of other services' events (whom to write to, in which language,
and the schedule the reminders follow) and ``emails``, one row per e-mail, which is both
the work queue of the delivery job and the coordinator's outbox page.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UtcDateTime, declarative_base
from shared.messaging.tables import MessagingTables

Base = declarative_base()
messaging = MessagingTables(Base.metadata)


# -- the schedule (enrolment.edition.published) --------------------------------------------
class Edition(Base):
    __tablename__ = "editions"
    edition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    application_deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The edition's claim cap, quoted in the confirmation request; None from an older event.
    claim_cap: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Whether VAT applies to the edition's claim invoices (the cap is stated "koos käibemaksuga"
    # / "including VAT" unless False); None: the edition leaves it to billing's setting
    # (BILLING_VAT_APPLIES, default true), or an older event did not say.
    vat_applies: Mapped[bool | None] = mapped_column(Boolean)


class MakeUpRule(Base):
    """The edition's make-up rule (attendance.make_up_rule.changed), as the e-mails state it. No
    row: the brochure's rule (allowed, before the own group's next day). The highest revision wins."""
    __tablename__ = "make_up_rules"
    edition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    make_ups_allowed: Mapped[bool] = mapped_column(Boolean)
    # before_own_next_day | any_later_same_day
    window: Mapped[str] = mapped_column(String(30))
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Group(Base):
    __tablename__ = "groups"
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(64), index=True)
    city: Mapped[str] = mapped_column(String(80))


class WorkshopDay(Base):
    """A session day of a group (the brochure calls them workshop days)."""
    __tablename__ = "sessions"
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    edition_id: Mapped[str] = mapped_column(String(64), index=True)
    day_number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    venue: Mapped[str] = mapped_column(String(300), default="")


class MakeUpBooking(Base):
    """A participant booked into another group's session (attendance.make_up.booked/cancelled):
    they get that session's reminder too, unless the booking was cancelled."""
    __tablename__ = "make_up_bookings"
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    booked: Mapped[bool] = mapped_column(Boolean)
    # The time of the newest event about the booking: an older one arriving late never wins.
    as_of: Mapped[datetime] = mapped_column(UtcDateTime())


class AttendanceDay(Base):
    """A participant's presence at a session (attendance.attendance.recorded, the newest record or
    correction per session winning): one who was present at any is an ESF participant for
    reporting, whose form stays open also after they left the team (substituted or withdrawn), so
    the ESF data reminder still goes to them."""
    __tablename__ = "attendance_days"
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime())


# -- contacts ------------------------------------------------------------------------------
class Application(Base):
    """A team and its contact. Fields stay None until the event that carries them arrives."""
    __tablename__ = "applications"
    application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    edition_id: Mapped[str | None] = mapped_column(String(64))
    team_name: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="et")
    # submitted | accepted | waitlisted | rejected | withdrawn; None: only heard of so far
    status: Mapped[str | None] = mapped_column(String(20))
    all_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(80))
    # When it was submitted (the event's time): a deadline reminder stage already past then is skipped.
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Participant(Base):
    """A team member, from the application on; one row per participant id."""
    __tablename__ = "participants"
    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="et")
    organisation_id: Mapped[str | None] = mapped_column(String(64))
    group_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # applicant | accepted | completed | dropped_out | withdrawn | substituted; None: only heard of
    status: Mapped[str | None] = mapped_column(String(20))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    esf_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    esf_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Reporting's ESF data deadline (reporting.esf_data.requested) and that event's time:
    # the request waits for it, the reminder counts back from it; an older event never wins.
    esf_deadline: Mapped[date | None] = mapped_column(Date)
    esf_deadline_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The member's personal confirmation link (enrolment's), quoted again in deadline reminders.
    confirm_url: Mapped[str | None] = mapped_column(String(1000))
    # The cap billing applied to this participant's dropout claim (billing.claim.proposed/waived):
    # the dropout notice quotes it, so notify keeps no copy of billing's setting.
    claim_cap: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Whether billing's newest claim event for them is a waiver (billing.claim.waived: by the
    # coordinator, or by billing itself for a 0.00 claim), and that event's time: the dropout
    # notice then says no claim is made, instead of the employer's liability. None: not heard.
    claim_waived: Mapped[bool | None] = mapped_column(Boolean)
    claim_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When a newcomer joined the team (enrolment.member.substituted): a session of their group
    # that began before is one they missed before joining, which the absence notice says so.
    joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The participant's dropouts heard of (attendance.participant.dropped_out), counted so each
    # gets its own notice (cause key ``dropout:<participant>``, then ``…:2``, ``…:3``): the number of
    # the current one; 0 or None: none yet. ``dropout_state`` (dropped_out | reinstated) and
    # ``dropout_as_of`` are the newest dropout or reinstatement event and its time: a dropout after
    # a reinstatement is a new one, the same dropout again (or one older than what is known) is not.
    dropouts: Mapped[int | None] = mapped_column(Integer)
    dropout_state: Mapped[str | None] = mapped_column(String(20))
    dropout_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Organisation(Base):
    """Employers: where a claim invoice goes."""
    __tablename__ = "organisations"
    organisation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    registry_code: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(20))
    billing_email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(500), default="")


class SettledInvoice(Base):
    """An invoice billing reported paid or credited. Events may arrive out of order: a reminder
    stage (``billing.invoice.overdue``) handled after this queues no payment reminder."""
    __tablename__ = "settled_invoices"
    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # paid | credited: the first of them notify heard of, and that event's time.
    settled_by: Mapped[str] = mapped_column(String(10))
    settled_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InvoiceVat(Base):
    """How billing.invoice.issued split an invoice: the invoice e-mails label its amount "including
    VAT" unless it was issued without VAT (rate 0 and VAT 0.00, as billing marks it)."""
    __tablename__ = "invoice_vat"
    invoice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vat_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))


# -- the counselling programme (enrolment.counselling.applied) ------------------------------
class CounsellingApplication(Base):
    """Whom an application to the counselling programme names, kept from
    ``enrolment.counselling.applied`` (which an application publishes once and never changes):
    the decision e-mails name the whole group, while ``enrolment.counselling.decided`` carries only
    the leading local government. No row: the decision names the applicant alone."""
    __tablename__ = "counselling_applications"
    counselling_application_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # [{name, registry_code}] in the application's order; the first one leads.
    local_governments: Mapped[list] = mapped_column(JSON, default=list)
    ngo_partners: Mapped[list] = mapped_column(JSON, default=list)
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())


# -- e-mails -------------------------------------------------------------------------------
class Email(Base):
    """One e-mail to one recipient, created at most once per (cause, recipient, template).

    status: waiting (its data, e.g. the schedule, has not arrived yet) → queued → sending
    (claimed by a delivery job until ``claimed_until``) → sent | failed; queued again after
    a temporary failure or a coordinator's resend; cancelled when it became pointless
    before it went out (the ESF data arrived, every member confirmed).
    """
    __tablename__ = "emails"
    __table_args__ = (
        UniqueConstraint("cause_key", "recipient", "template", name="uq_emails_cause_recipient_template"),
        Index("ix_emails_due", "status", "next_attempt_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    template: Mapped[str] = mapped_column(String(60), index=True)
    language: Mapped[str] = mapped_column(String(2))
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(300), default="")
    # Composed from ``params`` (+ the projections) once everything is known.
    subject: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # The personal link the e-mail carries (confirmation, ESF data, invoice PDF), if any.
    link: Mapped[str | None] = mapped_column(String(1000))
    cause_key: Mapped[str] = mapped_column(String(200))
    cause_event_id: Mapped[str | None] = mapped_column(String(36))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resends: Mapped[int] = mapped_column(Integer, default=0)
    resent_by: Mapped[str | None] = mapped_column(String(254))
