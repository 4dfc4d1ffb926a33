"""ESF reporting's tables. Nothing outside this service reads them.

Personal codes and the special-category answers live only here (``esf_records``): they never
go on the bus and no other service has a copy. The projection tables (editions, groups,
organisations, applications, participants, attendance_days) are this service's own copy of
enrolment's and attendance's events.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.domain.retention import DEFAULT_RETENTION_YEARS
from shared.db import UtcDateTime, declarative_base
from shared.messaging.tables import MessagingTables

Base = declarative_base()
messaging = MessagingTables(Base.metadata)

DEFAULT_INDICATOR_SET = "esf_plus_2021_2027"
# The ESF data is due at entry (DOMAIN.md): by the participant's first session day.
DEFAULT_DEADLINE_WEEKS = 0

# Participant status in the roster (an exit is recorded apart, from attendance's outcomes).
ACTIVE, SUBSTITUTED, WITHDRAWN = "active", "substituted", "withdrawn"

_ID = 64
_NAME = 200
_EMAIL = 320
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class Edition(Base):
    """An edition and its reporting settings (set by the coordinator, per edition)."""

    __tablename__ = "editions"
    edition_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    year: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(_NAME), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    indicator_set: Mapped[str] = mapped_column(String(60), default=DEFAULT_INDICATOR_SET)
    # The ESF data deadline: a fixed date wins; otherwise this many weeks after each entry
    # (before it, after the group's first day). Notify reminds of it (reporting.esf_data.requested).
    deadline_weeks: Mapped[int | None] = mapped_column(Integer, default=DEFAULT_DEADLINE_WEEKS)
    deadline_date: Mapped[date | None] = mapped_column(Date)
    last_payment_date: Mapped[date | None] = mapped_column(Date)
    retention_years: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_YEARS)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(_EMAIL))
    anonymised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    anonymised_by: Mapped[str | None] = mapped_column(String(_EMAIL))
    settings_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settings_changed_by: Mapped[str | None] = mapped_column(String(_EMAIL))


class Group(Base):
    """A city's group; first and last session day in Tallinn time (the last day is the
    fallback exit date of someone still without an outcome after it)."""

    __tablename__ = "groups"
    group_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    edition_id: Mapped[str | None] = mapped_column(String(_ID), index=True)
    city: Mapped[str] = mapped_column(String(80), default="")
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Organisation(Base):
    __tablename__ = "organisations"
    organisation_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(_NAME), default="")
    registry_code: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str | None] = mapped_column(String(30))
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Application(Base):
    """A team's application: which group its members are in (a substitution may arrive first)."""

    __tablename__ = "applications"
    application_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    group_id: Mapped[str | None] = mapped_column(String(_ID), index=True)
    edition_id: Mapped[str | None] = mapped_column(String(_ID))


class Participant(Base):
    """A team member as enrolment and attendance describe them (no ESF answers here)."""

    __tablename__ = "participants"
    participant_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    application_id: Mapped[str | None] = mapped_column(String(_ID), index=True)
    group_id: Mapped[str | None] = mapped_column(String(_ID), index=True)
    organisation_id: Mapped[str | None] = mapped_column(String(_ID))
    first_name: Mapped[str] = mapped_column(String(_NAME), default="")
    last_name: Mapped[str] = mapped_column(String(_NAME), default="")
    email: Mapped[str] = mapped_column(String(_EMAIL), default="")
    language: Mapped[str] = mapped_column(String(2), default="et")
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    # occurred_at of the event the member data came from: an older event never overwrites it.
    member_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    entry_date: Mapped[date | None] = mapped_column(Date)
    exit_date: Mapped[date | None] = mapped_column(Date)
    exit_status: Mapped[str | None] = mapped_column(String(20))
    # The day attendance settled the outcome, and that event's time (the newest outcome wins).
    outcome_date: Mapped[date | None] = mapped_column(Date)
    outcome_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AttendanceDay(Base):
    """The latest record of one participant at one session."""

    __tablename__ = "attendance_days"
    participant_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    day_number: Mapped[int] = mapped_column(Integer)
    present: Mapped[bool] = mapped_column(Boolean)
    make_up: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)


class EsfRecord(Base):
    """What the participant told us on the ESF form. Personal and special-category data:
    shown masked in lists, never put on the bus, dropped by anonymisation."""

    __tablename__ = "esf_records"
    participant_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    personal_code: Mapped[str | None] = mapped_column(String(11))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(12))
    # True when sex was taken from the personal code rather than stated.
    sex_from_code: Mapped[bool] = mapped_column(Boolean, default=False)
    employment_status: Mapped[str | None] = mapped_column(String(30))
    isced: Mapped[str | None] = mapped_column(String(10))  # "0".."8" or "declined"
    disability: Mapped[str | None] = mapped_column(String(10))
    third_country_national: Mapped[str | None] = mapped_column(String(10))
    foreign_background: Mapped[str | None] = mapped_column(String(10))
    minority: Mapped[str | None] = mapped_column(String(10))
    homeless: Mapped[str | None] = mapped_column(String(10))
    rural_area: Mapped[str | None] = mapped_column(String(10))
    county: Mapped[str | None] = mapped_column(String(60))
    municipality: Mapped[str | None] = mapped_column(String(120))
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    privacy_version: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="et")
    first_submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    # Set with the outbox row of reporting.esf_data.completed: that event goes out once.
    completed_published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EsfDeadline(Base):
    """The ESF data deadline last published for a participant (``reporting.esf_data.requested``):
    a deadline goes on the bus when it is new or has changed, once."""

    __tablename__ = "esf_deadlines"
    participant_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    deadline: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExportLog(Base):
    """Every file or data export: who, when, what, how many rows."""

    __tablename__ = "export_log"
    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_id: Mapped[str] = mapped_column(String(_EMAIL))
    actor_email: Mapped[str] = mapped_column(String(_EMAIL), default="")
    actor_name: Mapped[str] = mapped_column(String(_NAME), default="")
    kind: Mapped[str] = mapped_column(String(40))
    edition_id: Mapped[str | None] = mapped_column(String(_ID))
    group_id: Mapped[str | None] = mapped_column(String(_ID))
    participant_id: Mapped[str | None] = mapped_column(String(_ID))
    row_count: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))


class RevealLog(Base):
    """Every time a coordinator looked at a full personal code, and why."""

    __tablename__ = "reveal_log"
    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_id: Mapped[str] = mapped_column(String(_EMAIL))
    actor_email: Mapped[str] = mapped_column(String(_EMAIL), default="")
    actor_name: Mapped[str] = mapped_column(String(_NAME), default="")
    participant_id: Mapped[str] = mapped_column(String(_ID), index=True)
    reason: Mapped[str] = mapped_column(Text)


class AnonymisedRecord(Base):
    """What is left of a participant after the retention period (``retention.AnonymisedRecord``):
    enough for every shipped indicator set, nothing that identifies the person."""

    __tablename__ = "anonymised_records"
    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    edition_id: Mapped[str] = mapped_column(String(_ID), index=True)
    sex: Mapped[str | None] = mapped_column(String(12))
    age_low: Mapped[int | None] = mapped_column(Integer)
    age_high: Mapped[int | None] = mapped_column(Integer)  # None: no upper end (or no age)
    entry_month: Mapped[date | None] = mapped_column(Date)
    exit_month: Mapped[date | None] = mapped_column(Date)
    exit_status: Mapped[str | None] = mapped_column(String(20))
    employment_status: Mapped[str | None] = mapped_column(String(30))
    isced: Mapped[str | None] = mapped_column(String(10))
    disability: Mapped[str | None] = mapped_column(String(10))
    third_country_national: Mapped[str | None] = mapped_column(String(10))
    foreign_background: Mapped[str | None] = mapped_column(String(10))
    minority: Mapped[str | None] = mapped_column(String(10))
    homeless: Mapped[str | None] = mapped_column(String(10))
    rural_area: Mapped[str | None] = mapped_column(String(10))
    organisation_kind: Mapped[str | None] = mapped_column(String(30))
    organisation_alias: Mapped[str | None] = mapped_column(String(20))


class IndicatorSnapshot(Base):
    """A group's indicator table frozen at anonymisation (anonymised records carry no group)."""

    __tablename__ = "indicator_snapshots"
    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    edition_id: Mapped[str] = mapped_column(String(_ID), index=True)
    group_id: Mapped[str] = mapped_column(String(_ID))
    indicator_set: Mapped[str] = mapped_column(String(60))
    rows: Mapped[list] = mapped_column(JSON)
    participants_entered: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ForgottenParticipant(Base):
    """A one-way digest of each anonymised participant's id, so that a late or replayed
    event cannot bring their personal data back."""

    __tablename__ = "forgotten_participants"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
