"""SQLAlchemy models of the whole domain; free text lives only in ``*_enc`` (ciphertext) columns.

Foreign keys are chosen so erasing a person works: rows that are the person's own data
cascade, references to a person as an actor (granted by, approved by, claimed by, …) are
set to NULL so counts and audit trails survive. Relationships are ``lazy="raise"``: load
them explicitly (``selectinload``), never by accident in async code. JSON columns are not
mutation-tracked: assign a new value instead of changing one in place.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from peerbot.storage.clock import utcnow
from peerbot.storage.enums import (
    CaseDirection,
    CaseMessageKind,
    CaseStatus,
    CheckinKind,
    CheckinStatus,
    ConsentDecision,
    ConsentKind,
    ConversationStatus,
    EscalationCategory,
    EscalationEventKind,
    EscalationSeverity,
    EscalationStatus,
    MatchStatus,
    OutboxStatus,
    PersonStatus,
    Role,
    SupporterStatus,
    SupportRequestStatus,
    Urgency,
)
from peerbot.storage.sealed import SealedJSON
from peerbot.storage.types import IdType, UTCDateTime

__all__ = [
    "AuditEvent",
    "Base",
    "Case",
    "CaseDirection",
    "CaseMessage",
    "CaseMessageKind",
    "CaseStatus",
    "Checkin",
    "CheckinKind",
    "CheckinStatus",
    "Consent",
    "ConsentDecision",
    "ConsentKind",
    "ContactNote",
    "Conversation",
    "ConversationStatus",
    "Digest",
    "Answer",
    "Escalation",
    "EscalationCategory",
    "EscalationEvent",
    "EscalationEventKind",
    "EscalationSeverity",
    "EscalationStatus",
    "Invite",
    "KeyFingerprint",
    "Match",
    "MatchStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "PersonStatus",
    "ProcessedUpdate",
    "Role",
    "RoleAssignment",
    "SupportRequest",
    "SupportRequestStatus",
    "SupporterProfile",
    "SupporterStatus",
    "Urgency",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Nullable JSON: Python ``None`` is stored as SQL NULL, not as the JSON literal ``null``.
NullableJSON = JSON(none_as_null=True)


def enum_type(enum_class: type[StrEnum]) -> Enum:
    """Store a StrEnum as its value in a VARCHAR(32), validated in Python.

    No CHECK constraint: adding a value then needs no migration (which on SQLite would
    mean rebuilding the table).
    """
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def person_fk(*, ondelete: str) -> ForeignKey:
    """Return a foreign key to ``people.id`` with the given delete rule."""
    return ForeignKey("people.id", ondelete=ondelete)


class Base(DeclarativeBase):
    """Declarative base with the project's constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Person(Base):
    """Anyone the bot knows: participant, supporter or coordinator (see ``roles``)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # ISO 3166 alpha-2 code chosen in the intake: picks the crisis lines the person is given.
    country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[PersonStatus] = mapped_column(
        enum_type(PersonStatus), default=PersonStatus.ACTIVE, server_default="active"
    )
    display_name_enc: Mapped[str | None] = mapped_column(Text)
    username_enc: Mapped[str | None] = mapped_column(Text)  # Telegram @username, for intros
    referral_source: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    stopped_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]

    roles: Mapped[list[RoleAssignment]] = relationship(
        foreign_keys="RoleAssignment.person_id",
        back_populates="person",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )
    supporter_profile: Mapped[SupporterProfile | None] = relationship(
        foreign_keys="SupporterProfile.person_id",
        back_populates="person",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class RoleAssignment(Base):
    """A role held by a person; roles come from here, never from callback data."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))

    person: Mapped[Person] = relationship(
        foreign_keys=[person_id], back_populates="roles", lazy="raise"
    )


class Consent(Base):
    """One consent decision on one version of a consent text; withdrawal is recorded."""

    __tablename__ = "consents"
    __table_args__ = (Index(None, "person_id", "kind"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(enum_type(ConsentKind))
    version: Mapped[str] = mapped_column(String(64))
    text_hash: Mapped[str] = mapped_column(String(64))
    decision: Mapped[ConsentDecision] = mapped_column(enum_type(ConsentDecision))
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    # The follow-up prompts the text agreed to promised (participation only; None: agreed
    # before any was promised). Kept on the row, so a later rewording changes no one's.
    promises: Mapped[list[str] | None] = mapped_column(NullableJSON)


class Conversation(Base):
    """Where a chat stands in a flow; ``version`` guards against concurrent updates."""

    __tablename__ = "conversations"
    __table_args__ = (Index(None, "chat_id", "status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(person_fk(ondelete="CASCADE"), index=True)
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[ConversationStatus] = mapped_column(
        enum_type(ConversationStatus), default=ConversationStatus.ACTIVE, server_default="active"
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    reminder_due_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class Answer(Base):
    """One answer to one question: closed answers in ``value``, free text encrypted."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    support_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_requests.id", ondelete="SET NULL"), index=True
    )
    flow: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any | None] = mapped_column(NullableJSON)
    value_enc: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupportRequest(Base):
    """A participant's request for support, known to coordinators by its ``code``."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[SupportRequestStatus] = mapped_column(
        enum_type(SupportRequestStatus),
        default=SupportRequestStatus.NEW,
        server_default="new",
        index=True,
    )
    referral_source: Mapped[str | None] = mapped_column(String(64))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    support_format: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgency: Mapped[Urgency] = mapped_column(
        enum_type(Urgency), default=Urgency.ROUTINE, server_default="routine"
    )
    summary_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    # Why it waits for a coordinator (dialogs/eligibility.py reasons); empty when it does not.
    hold_reasons: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # "We are still looking" messages sent, and when the next is due (None: none planned).
    still_looking_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    still_looking_due_at: Mapped[datetime | None] = mapped_column(index=True)

    matches: Mapped[list[Match]] = relationship(
        back_populates="support_request",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class SupporterProfile(Base):
    """What matching and the well-being check-ins need to know about a supporter."""

    __tablename__ = "supporter_profiles"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)

    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"), primary_key=True)
    lived_experience: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    status: Mapped[SupporterStatus] = mapped_column(
        enum_type(SupporterStatus), default=SupporterStatus.ACTIVE, server_default="active"
    )
    break_until: Mapped[datetime | None]
    break_started_at: Mapped[datetime | None]
    checkin_weekday: Mapped[str] = mapped_column(String(3), default="mon", server_default="mon")
    checkin_time: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    next_checkin_at: Mapped[datetime | None] = mapped_column(index=True)
    age_band: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(32))
    region_enc: Mapped[str | None] = mapped_column(Text)
    formats: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    availability: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # what the supporter said (completed, in_progress, not_yet); a coordinator confirms it
    training: Mapped[str] = mapped_column(String(16), default="not_yet", server_default="not_yet")
    training_confirmed_at: Mapped[datetime | None]
    training_confirmed_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    bio_enc: Mapped[str | None] = mapped_column(Text)
    # when a long break's participants were handed over (once per break)
    handed_over_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship(
        back_populates="supporter_profile", lazy="raise", foreign_keys=[person_id]
    )


class SupporterDeparture(Base):
    """A coordinator releasing or deactivating a supporter: asked, then confirmed or
    cancelled. The reason is the coordinators' own (encrypted; never shown to the supporter)."""

    __tablename__ = "supporter_departures"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"), index=True)
    how: Mapped[str] = mapped_column(String(16))  # released or deactivated
    status: Mapped[str] = mapped_column(String(16), default="asked")  # done, cancelled
    reason_enc: Mapped[str | None] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class Match(Base):
    """A proposed or actual pairing of a support request with a supporter."""

    __tablename__ = "matches"
    __table_args__ = (Index(None, "supporter_id", "status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    support_request_id: Mapped[int] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    supporter_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    status: Mapped[MatchStatus] = mapped_column(
        enum_type(MatchStatus), default=MatchStatus.PROPOSED, server_default="proposed"
    )
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rank: Mapped[int | None] = mapped_column(SmallInteger)  # 1 = the best of its proposal
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    ended_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    # each side's answer, at the introduction, to giving the other their Telegram name
    participant_shares_name: Mapped[bool | None]
    supporter_shares_name: Mapped[bool | None]

    support_request: Mapped[SupportRequest] = relationship(back_populates="matches", lazy="raise")


class ContactNote(Base):
    """A supporter's log of one contact within a match; the note itself is encrypted."""

    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    contact_at: Mapped[datetime]
    # False: the supporter tried to reach the participant and could not (no talk to describe)
    reached: Mapped[bool] = mapped_column(Boolean, default=True, server_default=expression.true())
    minutes: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str | None] = mapped_column(String(16))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    concerns: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    note_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Checkin(Base):
    """A scheduled prompt (well-being, follow-up, feedback) claimed by the scheduler."""

    __tablename__ = "checkins"
    __table_args__ = (Index(None, "status", "due_at"), Index(None, "person_id", "kind"))

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"))
    kind: Mapped[CheckinKind] = mapped_column(enum_type(CheckinKind))
    match_id: Mapped[int | None] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime]
    status: Mapped[CheckinStatus] = mapped_column(
        enum_type(CheckinStatus), default=CheckinStatus.SCHEDULED, server_default="scheduled"
    )
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)
    answers: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    claimed_until: Mapped[datetime | None]


class Escalation(Base):
    """A red flag coordinators must claim and resolve; re-raised until claimed."""

    __tablename__ = "escalations"
    __table_args__ = (CheckConstraint("reminders_sent >= 0", name="reminders_sent_not_negative"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"), index=True)
    support_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_requests.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[EscalationCategory] = mapped_column(enum_type(EscalationCategory))
    severity: Mapped[EscalationSeverity] = mapped_column(enum_type(EscalationSeverity))
    status: Mapped[EscalationStatus] = mapped_column(
        enum_type(EscalationStatus),
        default=EscalationStatus.OPEN,
        server_default="open",
        index=True,
    )
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(32))
    next_reminder_at: Mapped[datetime | None] = mapped_column(index=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Reminders about a claimed escalation still unresolved (to the claimer, then the group).
    claimed_reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_reminded_at: Mapped[datetime | None]
    # What raised it (an update, or a message edited later): the same cause never raises twice,
    # so a flag committed before the rest of its update failed is not raised again on a retry.
    cause_key: Mapped[str | None] = mapped_column(String(96), unique=True)

    events: Mapped[list[EscalationEvent]] = relationship(
        back_populates="escalation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EscalationEvent.id",
        lazy="raise",
    )


class EscalationEvent(Base):
    """One step in an escalation's history: raised, notified, claimed, resolved, …"""

    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EscalationEventKind] = mapped_column(enum_type(EscalationEventKind))
    actor_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note_enc: Mapped[str | None] = mapped_column(Text)

    escalation: Mapped[Escalation] = relationship(back_populates="events", lazy="raise")


class Case(Base):
    """A person's thread with the coordinators: opened by an escalation, a request for contact
    or the person writing to the program; closed by a coordinator with an outcome.

    In the coordinators' group a case is its card (``card_key``: the outbox dedupe key of the
    card, ``card_message_id`` once Telegram gave it an id) and the replies to it; a forum
    topic's ``thread_id`` is kept for when the group is a forum. A message after the case was
    closed opens a new case: each row is one episode, so retention can erase a closed one's
    messages while the new one goes on.
    """

    __tablename__ = "cases"
    __table_args__ = (Index(None, "person_id", "status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    person_id: Mapped[int] = mapped_column(person_fk(ondelete="CASCADE"))
    status: Mapped[CaseStatus] = mapped_column(
        enum_type(CaseStatus), default=CaseStatus.OPEN, server_default="open"
    )
    reason: Mapped[str] = mapped_column(String(32))  # escalation, wrote, checkin_contact, ...
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    closed_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    card_key: Mapped[str | None] = mapped_column(String(128))
    card_message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)  # a forum topic, later
    # when the person was last told their message was passed on (not on every message)
    acknowledged_at: Mapped[datetime | None]


class CaseMessage(Base):
    """One message relayed in a case, either way; its words and file are encrypted.

    ``relayed_at`` None: held until the person confirms (the case is pending).
    ``group_message_id``: the message's id in the coordinators' group (the relayed copy, or the
    coordinator's own message), so a reply to it finds the case; ``private_message_id``: its id
    in the person's chat (their own message, or the copy the bot sent).
    """

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    direction: Mapped[CaseDirection] = mapped_column(enum_type(CaseDirection))
    author_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    kind: Mapped[CaseMessageKind] = mapped_column(
        enum_type(CaseMessageKind), default=CaseMessageKind.TEXT, server_default="text"
    )
    body_enc: Mapped[str | None] = mapped_column(Text)
    file_id_enc: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    relayed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # Telegram refused it for good (e.g. the bot blocked)
    group_message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    private_message_id: Mapped[int | None] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """A Telegram call waiting to be made; committed with its cause, sent by one sender.

    ``priority``: a lower number is sent first. ``claimed_until`` is a lease so two
    replicas never send the same row. ``last_error`` holds an error code, never text.
    ``payload`` is sealed at rest and, once the row is finished, purged of what was said.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(None, "status", "next_attempt_at", "priority"),
        # the sender's "oldest pending row of its chat" check
        Index(None, "chat_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(
        String(32), default="sendMessage", server_default="sendMessage"
    )
    #: The Bot API call's parameters, encrypted; emptied once the row is finished (see outbox).
    payload: Mapped[dict[str, Any] | None] = mapped_column("payload_enc", SealedJSON)
    priority: Mapped[int] = mapped_column(SmallInteger, default=50, server_default="50")
    status: Mapped[str] = mapped_column(
        String(16), default=OutboxStatus.PENDING.value, server_default=OutboxStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ProcessedUpdate(Base):
    """A Telegram update: stored (encrypted) when fetched, marked processed once handled.

    ``processed_at`` set: a redelivery of this ``update_id`` has no effect. Not set: the
    update was received but not handled yet, and is replayed from ``payload_enc`` after a
    restart; the payload is cleared once processed.

    Webhook replicas share it as their inbox: ``chat_id`` keeps one chat in order, and
    ``claimed_until``/``claimed_by`` lease an unprocessed update to one replica.
    """

    __tablename__ = "processed_updates"
    __table_args__ = (Index(None, "chat_id", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    payload_enc: Mapped[str | None] = mapped_column(Text)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Who read or changed whose record, and when; ``details`` holds ids and codes only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    subject_person_id: Mapped[int | None] = mapped_column(
        person_fk(ondelete="SET NULL"), index=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Invite(Base):
    """A one-time invitation to a role; only the SHA-256 of its code is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))
    created_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_by_id: Mapped[int | None] = mapped_column(person_fk(ondelete="SET NULL"))
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    note_enc: Mapped[str | None] = mapped_column(Text)


class Digest(Base):
    """One weekly digest posted to the coordinators' group, once per due time.

    The unique ``due_at`` is the claim: the row goes in with the digest's outbox rows, so a
    restart or a second replica finds it and does not post that week again. ``posted_at``
    None: the due time came before the program's first digest tick and nothing was posted.
    """

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    due_at: Mapped[datetime] = mapped_column(unique=True)
    posted_at: Mapped[datetime | None]


class KeyFingerprint(Base):
    """Which encryption key this database's free text is encrypted with: its fingerprint only.

    One row (id 1), written on first use and after ``peerbot keys rotate``; every command
    that opens the database compares it with the configured keys before decrypting anything.
    """

    __tablename__ = "key_fingerprints"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
