"""Where personal data is kept, what kind it is, and what erasure and retention do with it.

/forget and retention's pseudonymization erase by this list, /mydata exports by it and
retention's free-text erasure follows it; a test fails while a column that looks personal
(encrypted, a name, a note, a Telegram or chat id) is in no entry. Closed choices kept for
de-identified counts (topics, languages, urgency, scores) are not listed: once the person is
forgotten they describe a pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from peerbot.storage.enums import CaseStatus
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Case,
    CaseMessage,
    Checkin,
    Consent,
    ContactNote,
    Conversation,
    Escalation,
    EscalationEvent,
    Invite,
    Match,
    OutboxMessage,
    Person,
    ProcessedUpdate,
    RoleAssignment,
    SupporterDeparture,
    SupporterProfile,
    SupportRequest,
)

Column = InstrumentedAttribute[Any]
#: Which rows of a column belong to a case closed before a moment (for Expiry.AFTER_CLOSE).
ClosedBefore = Callable[[datetime], ColumnElement[bool]]


class Kind(StrEnum):
    """What a column tells about a person."""

    FREE_TEXT = "free_text"  # what someone wrote; encrypted at rest
    MESSAGE = "message"  # what the bot is sending a person: sealed while queued, emptied once sent
    NAME = "name"
    CONTACT = "contact"
    IDENTIFIER = "identifier"  # a Telegram id or pseudonym that points at the person
    ABOUT = "about"  # facts about the person and their answers to closed questions


class Erasure(StrEnum):
    """What /forget (and retention, for people gone quiet) does with a column."""

    CLEARED = "cleared"
    NEW_PSEUDONYM = "new_pseudonym"
    ROW_DELETED = "row_deleted"
    KEPT = "kept"  # the entry says why


class Expiry(StrEnum):
    """What retention does with a column while the person still takes part."""

    AFTER_CLOSE = "after_close"  # erased free_text_days after its case, invite or update closed
    CONVERSATION_OVER = "conversation_over"  # sealed answers go free_text_days after the end
    PRUNED = "pruned"  # the row is deleted by a prune tick soon after it has served
    WITH_THE_PERSON = "with_the_person"  # erased only when the person is forgotten


@dataclass(frozen=True)
class PersonalColumn:
    """One column holding personal data."""

    column: Column
    kind: Kind
    erasure: Erasure
    expiry: Expiry = Expiry.WITH_THE_PERSON
    cleared_to: Any = None
    why_kept: str = ""
    # AFTER_CLOSE: its rows whose case closed before a moment, when the entry says so itself
    closed_before: ClosedBefore | None = None

    @property
    def place(self) -> str:
        """Table and column as stored (a sealed payload's column is named for it)."""
        return f"{self.column.class_.__tablename__}.{self.column.expression.name}"


@dataclass(frozen=True)
class PersonalTable:
    """A table with rows about one person: how to find them, where /mydata shows them, and
    its personal columns.

    ``person`` holds the person's id, in this table or (with ``through``: this table's key
    and the key it refers to) in the table it belongs to; ``chat`` holds their Telegram chat.
    ``about``: rows others wrote about the person (a supporter's notes on their match), erased
    with the person but not exported as theirs.
    """

    model: Any
    columns: tuple[PersonalColumn, ...] = ()
    person: Column | None = None
    through: tuple[Column, Column] | None = None
    chat: Column | None = None
    export_as: str | None = None
    about: Callable[[int], ColumnElement[bool]] | None = None

    @property
    def rows_deleted(self) -> bool:
        return any(entry.erasure is Erasure.ROW_DELETED for entry in self.columns)

    def cleared(self) -> dict[str, Any]:
        """The values /forget writes over the person's rows."""
        return {
            entry.column.key: entry.cleared_to
            for entry in self.columns
            if entry.erasure is Erasure.CLEARED
        }

    def rows_of(
        self, person_id: int, telegram_id: int | None, *, chat_rows: bool
    ) -> ColumnElement[bool] | None:
        """The person's rows, or None if the table has none to find.

        With ``chat_rows`` (erasing) also the rows of their chat (a conversation begun before
        they consented has no person yet) and the rows about them; without (exporting), the
        chat is used only where there is no person column.
        """
        clauses = []
        if self.person is not None:
            clauses.append(self._of_person(person_id))
        if self.about is not None and chat_rows:
            clauses.append(self.about(person_id))
        if self.chat is not None and telegram_id is not None and (chat_rows or not clauses):
            clauses.append(self.chat == telegram_id)
        return or_(*clauses) if clauses else None

    def _of_person(self, person_id: int) -> ColumnElement[bool]:
        assert self.person is not None
        if self.through is None:
            return self.person == person_id
        key, referred = self.through
        return key.in_(select(referred).where(self.person == person_id))


def _kept(column: Column, kind: Kind, why: str, expiry: Expiry) -> PersonalColumn:
    return PersonalColumn(column, kind, Erasure.KEPT, expiry, why_kept=why)


def _notes_about(person_id: int) -> ColumnElement[bool]:
    """Supporters' contact notes on the matches of the person's requests."""
    requests = select(SupportRequest.id).where(SupportRequest.person_id == person_id)
    matches = select(Match.id).where(Match.support_request_id.in_(requests))
    return ContactNote.match_id.in_(matches)


def _case_closed(before: datetime) -> ColumnElement[bool]:
    """Messages of a case closed before the moment."""
    closed = select(Case.id).where(Case.status == CaseStatus.CLOSED, Case.closed_at < before)
    return CaseMessage.case_id.in_(closed)


def _case_message(column: Column) -> PersonalColumn:
    return PersonalColumn(
        column, Kind.FREE_TEXT, Erasure.ROW_DELETED, Expiry.AFTER_CLOSE, closed_before=_case_closed
    )


PERSON = PersonalTable(
    Person,
    (
        PersonalColumn(Person.telegram_user_id, Kind.IDENTIFIER, Erasure.CLEARED),
        PersonalColumn(Person.pseudonym, Kind.IDENTIFIER, Erasure.NEW_PSEUDONYM),
        PersonalColumn(Person.display_name_enc, Kind.NAME, Erasure.CLEARED),
        PersonalColumn(Person.username_enc, Kind.CONTACT, Erasure.CLEARED),
        PersonalColumn(Person.referral_source, Kind.ABOUT, Erasure.CLEARED),
        PersonalColumn(Person.country, Kind.ABOUT, Erasure.CLEARED),
        PersonalColumn(Person.last_seen_at, Kind.ABOUT, Erasure.CLEARED),
    ),
    person=Person.id,
)

#: Every table with personal data, in the order /mydata's file lists them.
TABLES: tuple[PersonalTable, ...] = (
    PERSON,
    PersonalTable(RoleAssignment, person=RoleAssignment.person_id, export_as="roles"),
    PersonalTable(Consent, person=Consent.person_id, export_as="consents"),
    PersonalTable(
        Conversation,
        (
            PersonalColumn(Conversation.chat_id, Kind.IDENTIFIER, Erasure.ROW_DELETED),
            PersonalColumn(
                Conversation.state, Kind.FREE_TEXT, Erasure.ROW_DELETED, Expiry.CONVERSATION_OVER
            ),
        ),
        person=Conversation.person_id,
        chat=Conversation.chat_id,
        export_as="conversations",
    ),
    PersonalTable(
        Answer,
        (
            PersonalColumn(
                Answer.value_enc, Kind.FREE_TEXT, Erasure.ROW_DELETED, Expiry.AFTER_CLOSE
            ),
            PersonalColumn(Answer.value, Kind.ABOUT, Erasure.ROW_DELETED),
        ),
        person=Answer.person_id,
        export_as="answers",
    ),
    PersonalTable(
        SupportRequest,
        (
            PersonalColumn(
                SupportRequest.summary_enc, Kind.FREE_TEXT, Erasure.CLEARED, Expiry.AFTER_CLOSE
            ),
            PersonalColumn(SupportRequest.referral_source, Kind.ABOUT, Erasure.CLEARED),
        ),
        person=SupportRequest.person_id,
        export_as="support_requests",
    ),
    PersonalTable(
        SupporterProfile,
        (
            PersonalColumn(SupporterProfile.bio_enc, Kind.FREE_TEXT, Erasure.CLEARED),
            PersonalColumn(SupporterProfile.region_enc, Kind.ABOUT, Erasure.CLEARED),
            PersonalColumn(
                SupporterProfile.lived_experience, Kind.ABOUT, Erasure.CLEARED, cleared_to=[]
            ),
            PersonalColumn(SupporterProfile.age_band, Kind.ABOUT, Erasure.CLEARED),
            PersonalColumn(SupporterProfile.gender, Kind.ABOUT, Erasure.CLEARED),
        ),
        person=SupporterProfile.person_id,
        export_as="supporter_profile",
    ),
    PersonalTable(
        SupporterDeparture,
        (PersonalColumn(SupporterDeparture.reason_enc, Kind.FREE_TEXT, Erasure.CLEARED),),
        person=SupporterDeparture.person_id,
    ),
    PersonalTable(Match, person=Match.supporter_id, export_as="matches_as_supporter"),
    PersonalTable(
        ContactNote,
        (
            PersonalColumn(
                ContactNote.note_enc, Kind.FREE_TEXT, Erasure.CLEARED, Expiry.AFTER_CLOSE
            ),
        ),
        person=ContactNote.author_id,
        export_as="contact_notes",
        about=_notes_about,
    ),
    PersonalTable(
        Checkin,
        (PersonalColumn(Checkin.answers, Kind.ABOUT, Erasure.CLEARED),),
        person=Checkin.person_id,
        export_as="checkins",
    ),
    PersonalTable(Escalation, person=Escalation.person_id, export_as="escalations"),
    PersonalTable(
        EscalationEvent,
        (
            PersonalColumn(
                EscalationEvent.note_enc, Kind.FREE_TEXT, Erasure.CLEARED, Expiry.AFTER_CLOSE
            ),
        ),
        person=Escalation.person_id,
        through=(EscalationEvent.escalation_id, Escalation.id),
        export_as="escalation_history",
    ),
    PersonalTable(Case, person=Case.person_id, export_as="cases"),
    PersonalTable(
        CaseMessage,
        (_case_message(CaseMessage.body_enc), _case_message(CaseMessage.file_id_enc)),
        person=Case.person_id,
        through=(CaseMessage.case_id, Case.id),
        export_as="case_messages",
    ),
    PersonalTable(AuditEvent, person=AuditEvent.subject_person_id, export_as="audit_events"),
    PersonalTable(
        OutboxMessage,
        (
            PersonalColumn(
                OutboxMessage.chat_id, Kind.IDENTIFIER, Erasure.ROW_DELETED, Expiry.PRUNED
            ),
            # encrypted while it waits, emptied once sent or failed (storage/outbox.py)
            PersonalColumn(
                OutboxMessage.payload, Kind.MESSAGE, Erasure.ROW_DELETED, Expiry.PRUNED
            ),
            PersonalColumn(
                OutboxMessage.telegram_message_id,
                Kind.IDENTIFIER,
                Erasure.ROW_DELETED,
                Expiry.PRUNED,
            ),
        ),
        chat=OutboxMessage.chat_id,
        export_as="messages_to_you",
    ),
    PersonalTable(
        ProcessedUpdate,
        (
            _kept(
                ProcessedUpdate.payload_enc,
                Kind.FREE_TEXT,
                "cleared as soon as the update is handled; retention erases any left, "
                "handled or not",
                Expiry.AFTER_CLOSE,
            ),
            _kept(
                ProcessedUpdate.chat_id,
                Kind.IDENTIFIER,
                "an update id's chat, pruned a week after the update was handled",
                Expiry.PRUNED,
            ),
        ),
    ),
    PersonalTable(
        Invite,
        (
            _kept(
                Invite.note_enc,
                Kind.FREE_TEXT,
                "a coordinator's note on an invitation, not part of anyone's record",
                Expiry.AFTER_CLOSE,
            ),
        ),
    ),
)

#: Columns that look personal by name or type but are not, and why.
NOT_PERSONAL: dict[str, str] = {
    "consents.text_hash": "the hash of the consent wording shown, the same for everyone",
    "matches.participant_shares_name": "a yes or no on the match (the decision is a consent)",
    "matches.supporter_shares_name": "a yes or no on the match (the decision is a consent)",
}


def columns() -> Iterator[PersonalColumn]:
    """Every personal column, table by table."""
    for table in TABLES:
        yield from table.columns


def expiring(expiry: Expiry) -> tuple[PersonalColumn, ...]:
    """The personal columns retention treats this way."""
    return tuple(entry for entry in columns() if entry.expiry is expiry)
