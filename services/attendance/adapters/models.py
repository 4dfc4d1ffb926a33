"""Attendance's tables. Nothing outside this service reads them.

Three kinds of data live here:
- projections of enrolment's events (editions, groups, sessions, applications, participants,
  organisations), kept correct whatever order the events arrive in;
- facts this service owns (attendance records with their audit trail, make-up bookings);
- what has been told to the others (published outcomes), so each outcome goes out once.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UtcDateTime, declarative_base
from shared.messaging.tables import MessagingTables

Base = declarative_base()
messaging = MessagingTables(Base.metadata)

ID = 64  # ids come from enrolment; uuids or readable slugs


# -- schedule projection (enrolment.edition.published) ---------------------------------------

class Edition(Base):
    __tablename__ = "editions"
    edition_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300), default="")
    # The newest revision applied; an older one arriving late is ignored.
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Group(Base):
    __tablename__ = "groups"
    group_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(ID), index=True)
    city: Mapped[str] = mapped_column(String(100))
    capacity_teams: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ScheduledSession(Base):
    __tablename__ = "sessions"
    session_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(ID), index=True)
    group_id: Mapped[str] = mapped_column(String(ID), index=True)
    city: Mapped[str] = mapped_column(String(100))
    day_number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    venue: Mapped[str] = mapped_column(String(300), default="")
    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    revision: Mapped[int] = mapped_column(Integer)
    # False once a newer revision of the edition no longer lists it (moved or cancelled).
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# -- roster projection (accepted, substituted, withdrawn) ------------------------------------

class Organisation(Base):
    """An employer as enrolment described it; billing needs it in dropped_out."""
    __tablename__ = "organisations"
    organisation_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    registry_code: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(30))
    billing_email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(500), default="")


class Application(Base):
    __tablename__ = "applications"
    application_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    # Null until the acceptance arrives (a withdrawal may come first).
    group_id: Mapped[str | None] = mapped_column(String(ID), nullable=True, index=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    team_name: Mapped[str] = mapped_column(String(300), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # True once a team withdrawal named the members it took along (participant_ids): then
    # nobody else is withdrawn by it, e.g. a member substituted earlier whose acceptance
    # or substitution arrives after the withdrawal.
    withdrawal_named_members: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# NOT_ACCEPTED: withdrawn while the application was still pending, so the acceptance did not
# name them; never on the group's list (no sheet line, no standing, no outcome), like SUBSTITUTED.
# SUBSTITUTED: replaced by another member (the edition's cut-off allowed it, possibly after day I
# or II): no dropout, no claim; what was recorded for them stays, and one with any record is
# still shown (outcome "substituted", the standing as of the substitution).
ACTIVE, WITHDRAWN, SUBSTITUTED, NOT_ACCEPTED = "active", "withdrawn", "substituted", "not_accepted"
GONE_BEFORE_DAY_ONE = (SUBSTITUTED, NOT_ACCEPTED)  # no standing settled, no dropout, no claim


class Participant(Base):
    __tablename__ = "participants"
    participant_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(ID), index=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    organisation_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="et")
    # occurred_at of the event the member data came from: an older one does not overwrite it.
    member_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Sticky: an acceptance arriving after a withdrawal or substitution does not undo it.
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A substitution's time (its occurred_at): when it brought this member into the team (the
    # own sessions begun before are days to make up, and cost nothing), and when it replaced them.
    joined_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    substituted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # When the standing may change by time alone (an open absence's last chance ends);
    # the tick settles everyone whose check_at has passed.
    check_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.participant_id


# -- facts this service owns ------------------------------------------------------------------

class AttendanceRecord(Base):
    """The current presence (or absence) of a participant at a session."""
    __tablename__ = "attendance_records"
    __table_args__ = (UniqueConstraint("participant_id", "session_id", name="uq_attendance_records_pair"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.participant_id"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.session_id"), index=True)
    present: Mapped[bool] = mapped_column(Boolean)
    make_up: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20))  # sheet | api | self_check_in
    recorded_by: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """Every change of a record: who, when, old → new (old is null for the first mark)."""
    __tablename__ = "attendance_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[str] = mapped_column(String(ID), index=True)
    session_id: Mapped[str] = mapped_column(String(ID), index=True)
    old_present: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    new_present: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(254))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class MakeUp(Base):
    """A participant booked into another group's session to make up a missed day."""
    __tablename__ = "make_ups"
    __table_args__ = (UniqueConstraint("participant_id", "session_id", name="uq_make_ups_pair"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.participant_id"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.session_id"), index=True)
    day_number: Mapped[int] = mapped_column(Integer)
    booked_by: Mapped[str] = mapped_column(String(254))
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime())


# -- the edition's make-up rule (attendance's own policy, set by a coordinator) ---------------

class EditionMakeUpRule(Base):
    """An edition's make-up rule as a coordinator set it. No row: the brochure's rule
    (make-ups allowed, before the own group's next day) -- every edition starts on it."""
    __tablename__ = "make_up_rules"
    edition_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    make_ups_allowed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # before_own_next_day | any_later_same_day (domain/makeup.py WINDOWS)
    make_up_window: Mapped[str] = mapped_column(String(30), default="before_own_next_day",
                                                server_default="before_own_next_day")
    changed_by: Mapped[str] = mapped_column(String(254))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MakeUpRuleChange(Base):
    """Every change of an edition's make-up rule: who, when, old → new (like a mark's audit)."""
    __tablename__ = "make_up_rule_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    edition_id: Mapped[str] = mapped_column(String(ID), index=True)
    old_make_ups_allowed: Mapped[bool] = mapped_column(Boolean)
    old_window: Mapped[str] = mapped_column(String(30))
    new_make_ups_allowed: Mapped[bool] = mapped_column(Boolean)
    new_window: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(254))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime())


# -- what the others have been told -------------------------------------------------------------

class PublishedOutcome(Base):
    """One row per outcome told to the others: absent (per day), dropped_out, completed.

    A row with ``cleared_at`` set was taken back (a correction), so the outcome may be
    published again should it become true again.
    """
    __tablename__ = "published_outcomes"
    __table_args__ = (
        UniqueConstraint("participant_id", "kind", "day_number", name="uq_published_outcomes_key"),
        Index("ix_published_outcomes_participant", "participant_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[str] = mapped_column(String(ID))
    kind: Mapped[str] = mapped_column(String(20))  # absent | dropped_out | completed
    day_number: Mapped[int] = mapped_column(Integer, default=0)  # 0 unless kind == absent
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)  # absence | withdrawal
    event_id: Mapped[str] = mapped_column(String(36))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
