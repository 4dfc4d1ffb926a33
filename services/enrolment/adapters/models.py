"""Enrolment's tables. Nothing outside this service reads them.

Times are aware UTC (``UtcDateTime``) and shown in Europe/Tallinn. Ids that other services
keep (edition, group, session, application, organisation, participant) never change once
published: groups and sessions get readable stable ids ("2019-parnu", "2019-parnu-1"),
applications, organisations and participants UUIDs.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.enrolment.domain.application import RegistryCodeRule
from services.enrolment.domain.composition import CompositionRule, SubstitutionRule
from shared.db import UtcDateTime, declarative_base
from shared.messaging.tables import MessagingTables

Base = declarative_base()
messaging = MessagingTables(Base.metadata)

# Application status: submitted → accepted | waitlisted | rejected | withdrawn;
# waitlisted → accepted (promoted) | rejected | withdrawn; accepted → withdrawn.
SUBMITTED, ACCEPTED, WAITLISTED, REJECTED, WITHDRAWN = (
    "submitted", "accepted", "waitlisted", "rejected", "withdrawn")
APPLICATION_STATUSES = (SUBMITTED, ACCEPTED, WAITLISTED, REJECTED, WITHDRAWN)
OPEN_STATUSES = (SUBMITTED, ACCEPTED, WAITLISTED)  # the team is still in the programme

# Member status: active → substituted (replaced before the first day) | withdrawn.
ACTIVE, SUBSTITUTED = "active", "substituted"
MEMBER_STATUSES = (ACTIVE, SUBSTITUTED, WITHDRAWN)


class Edition(Base):
    """One yearly edition; ``revision`` grows with every published change of its schedule or
    of its dropout claim policy (gross EUR, fixed once a member has confirmed the conditions).

    The counselling programme's policy is the edition's too (not published: nobody else needs
    it): ``counselling_deadline`` None means 28 days after the last session, 23:59 in Tallinn.
    Once the selection is announced (``counselling_announced_at``) it is fixed. The row is the
    lock the counselling use cases take: for share to apply or mark a draft, for update to announce.

    ``applications_open_at``: teams may apply from then until ``application_deadline`` (by
    default the moment the edition was saved): a coordinator prepares next year's edition
    without it taking applications yet.

    The team composition rule's minimums (``composition_rule``; the brochure's 4/2/2 unless
    set) are the edition's too, not published: every check of a team reads them from here; so
    are the registry codes' first digits per kind (``registry_code_rule``: 7; 8 or 9 unless set,
    "" not checked) and the substitution cut-off (``substitution_rule``: before the first day).
    ``vat_applies`` (None: billing's own setting) is part of the published claim policy."""
    __tablename__ = "editions"
    edition_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Tallinn")
    application_deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    applications_open_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)
    claim_cap: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    claim_daily_rate: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    counselling_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    counselling_min_selected: Mapped[int] = mapped_column(Integer, default=8)
    counselling_max_selected: Mapped[int] = mapped_column(Integer, default=12)
    counselling_announced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    min_team_members: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    min_local_government_members: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    min_ngo_members: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    vat_applies: Mapped[bool | None] = mapped_column(Boolean)
    # The registry codes' first digits per kind ("89"; "": not checked) and the substitution cut-off.
    local_government_registry_code_digits: Mapped[str] = mapped_column(String(10), default="7", server_default="7")
    ngo_registry_code_digits: Mapped[str] = mapped_column(String(10), default="89", server_default="89")
    substitutions_allowed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    substitution_until_day: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    counselling_announced_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(254), default="")

    groups: Mapped[list[Group]] = relationship(
        back_populates="edition", order_by="Group.ordinal", cascade="all, delete-orphan")

    @property
    def composition_rule(self) -> CompositionRule:
        return CompositionRule(self.min_team_members, self.min_local_government_members, self.min_ngo_members)

    @property
    def registry_code_rule(self) -> RegistryCodeRule:
        return RegistryCodeRule(self.local_government_registry_code_digits, self.ngo_registry_code_digits)

    @property
    def substitution_rule(self) -> SubstitutionRule:
        return SubstitutionRule(self.substitutions_allowed, self.substitution_until_day)


class MakeUpRuleSeen(Base):
    """Projection of ``attendance.make_up_rule.changed``: the make-up rule attendance set for an
    edition, as the conditions a member confirms state it. One row per edition, the highest
    ``revision`` seen; no row = the brochure's rule (make-ups allowed, before the own group's
    next day). The confirmation takes the row for share, the handler for update."""
    __tablename__ = "make_up_rules"
    edition_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # as attendance names it
    make_ups_allowed: Mapped[bool] = mapped_column(Boolean)
    # before_own_next_day | any_later_same_day ("window" is a reserved word in PostgreSQL)
    window: Mapped[str] = mapped_column("make_up_window", String(40))
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Group(Base):
    """The group of one city. Its row is the lock every placement takes (capacity)."""
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("edition_id", "city", name="uq_groups_edition_city"),)
    group_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    edition_id: Mapped[str] = mapped_column(ForeignKey("editions.edition_id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(100))
    capacity_teams: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)  # the order applicants see the cities in

    edition: Mapped[Edition] = relationship(back_populates="groups")
    sessions: Mapped[list[ScheduledSession]] = relationship(
        back_populates="group", order_by="ScheduledSession.day_number", cascade="all, delete-orphan")

    @property
    def first_session_starts_at(self) -> datetime:
        return min(s.starts_at for s in self.sessions)


class ScheduledSession(Base):
    """One workshop day of a group; id "<group_id>-<day>"."""
    __tablename__ = "sessions"
    session_id: Mapped[str] = mapped_column(String(90), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.group_id"), index=True)
    day_number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    venue: Mapped[str] = mapped_column(String(300), default="")
    seats: Mapped[int | None] = mapped_column(Integer)

    group: Mapped[Group] = relationship(back_populates="sessions")


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_edition_status", "edition_id", "status"),
                      Index("ix_applications_group_status", "group_id", "status"))
    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    edition_id: Mapped[str] = mapped_column(ForeignKey("editions.edition_id"))
    # A double-submitted form or a retried API call carries the same key: one application.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    team_name: Mapped[str] = mapped_column(String(300))
    idea_title: Mapped[str] = mapped_column(String(300))
    idea_description: Mapped[str] = mapped_column(Text)
    idea_kind: Mapped[str] = mapped_column(String(20))
    intends_to_delegate: Mapped[bool] = mapped_column(Boolean)
    ngo_experience: Mapped[str] = mapped_column(Text)
    contact_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="et")
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    # The group the team is accepted into or waits for (None while only submitted).
    group_id: Mapped[str | None] = mapped_column(ForeignKey("groups.group_id"))
    waitlisted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Set when every active member has confirmed; cleared when an unconfirmed member joins.
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    group: Mapped[Group | None] = relationship()
    edition: Mapped[Edition] = relationship(viewonly=True)
    preferences: Mapped[list[CityPreference]] = relationship(
        order_by="CityPreference.rank", cascade="all, delete-orphan")
    organisations: Mapped[list[Organisation]] = relationship(
        order_by="Organisation.ordinal", cascade="all, delete-orphan")
    members: Mapped[list[Member]] = relationship(order_by="Member.ordinal", cascade="all, delete-orphan")

    @property
    def preferred_cities(self) -> list[str]:
        return [p.city for p in self.preferences]

    @property
    def active_members(self) -> list[Member]:
        return [m for m in self.members if m.status == ACTIVE]

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


class CityPreference(Base):
    """A city the team can attend; rank 1 is the first choice."""
    __tablename__ = "city_preferences"
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.application_id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    city: Mapped[str] = mapped_column(String(100), index=True)


class Organisation(Base):
    """A member's employer as the application names it: a dropout claim is addressed to it."""
    __tablename__ = "organisations"
    organisation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.application_id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    registry_code: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(20))  # local_government | ngo
    address: Mapped[str] = mapped_column(String(300))
    billing_email: Mapped[str] = mapped_column(String(254))


class Member(Base):
    __tablename__ = "members"
    participant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.application_id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    first_name: Mapped[str] = mapped_column(String(300))
    last_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(Text, default="")  # separators are free-form: no length limit
    job_title: Mapped[str] = mapped_column(String(300), default="")
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.organisation_id"))
    language: Mapped[str] = mapped_column(String(2), default="et")
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    left_reason: Mapped[str | None] = mapped_column(Text)
    replaces_participant_id: Mapped[str | None] = mapped_column(String(36))

    organisation: Mapped[Organisation] = relationship()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Decision(Base):
    """Every coordinator action on an application: who, when, what, why (the audit trail)."""
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.application_id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class CounsellingApplication(Base):
    """A local government's (or a group's) application to the counselling programme.
    ``selected`` is the coordinator's draft (None: not decided) until the edition's selection
    is announced; then it is the decision."""
    __tablename__ = "counselling_applications"
    counselling_application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    edition_id: Mapped[str] = mapped_column(ForeignKey("editions.edition_id"), index=True)
    # A double-submitted form or a retried API call carries the same key: one application.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    planned_services: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(300))
    contact_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="et")
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    selected: Mapped[bool | None] = mapped_column(Boolean)
    marked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    marked_by: Mapped[str | None] = mapped_column(String(254))

    local_governments: Mapped[list[CounsellingLocalGovernment]] = relationship(
        order_by="CounsellingLocalGovernment.ordinal", cascade="all, delete-orphan")
    ngo_partners: Mapped[list[CounsellingNgo]] = relationship(
        order_by="CounsellingNgo.ordinal", cascade="all, delete-orphan")

    @property
    def lead(self) -> CounsellingLocalGovernment:
        return self.local_governments[0]


class CounsellingLocalGovernment(Base):
    """A local government of a counselling application; ordinal 0 leads. One application per
    local government and edition: the unique key holds it under concurrency too."""
    __tablename__ = "counselling_local_governments"
    __table_args__ = (UniqueConstraint("edition_id", "registry_code", name="uq_counselling_lg_edition_code"),)
    counselling_application_id: Mapped[str] = mapped_column(ForeignKey(
        "counselling_applications.counselling_application_id", name="fk_counselling_lg_application"),
        primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[str] = mapped_column(ForeignKey("editions.edition_id"))
    name: Mapped[str] = mapped_column(String(300))
    registry_code: Mapped[str] = mapped_column(String(8))


class CounsellingNgo(Base):
    """An NGO the local government(s) intend to work with."""
    __tablename__ = "counselling_ngos"
    counselling_application_id: Mapped[str] = mapped_column(ForeignKey(
        "counselling_applications.counselling_application_id", name="fk_counselling_ngos_application"),
        primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    registry_code: Mapped[str] = mapped_column(String(8))
