"""Retention: erase the free text of cases closed long ago, pseudonymize people gone quiet.

Which columns go, and when, is the personal-data inventory's (``storage.personal_data``):
columns that expire after their case closes are erased here (this module knows how to tell a
closed case for each), sealed answers in a conversation's state once it is over, and people
gone quiet are forgotten as /forget does. Counts survive: rows stay, only their text goes.
What was sent (outbox payloads) is deleted by the outbox prune tick, not here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Row,
    Select,
    Text,
    cast,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import inspect as inspect_model
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from peerbot.dialogs.policy import RetentionPolicy
from peerbot.services.conversations.flows import SEALED
from peerbot.services.matching.match_features import HOLDING_A_PLACE
from peerbot.services.privacy import data_rights
from peerbot.services.privacy.data_rights import OPEN_REQUEST_STATUSES
from peerbot.storage import audit, personal_data
from peerbot.storage.dialect import skip_locked
from peerbot.storage.enums import (
    ConversationStatus,
    EscalationStatus,
    MatchStatus,
    PersonStatus,
    Role,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    ContactNote,
    Conversation,
    Escalation,
    EscalationEvent,
    Invite,
    Match,
    Person,
    ProcessedUpdate,
    RoleAssignment,
    SupportRequest,
)
from peerbot.storage.personal_data import Expiry

BATCH_SIZE = 200  # rows to a transaction: short, so the bot's own writes get their turn
RAN = "retention.ran"  # the audit action of a finished run; the daily tick reads the last one
CLOSED_REQUEST_STATUSES = (SupportRequestStatus.CLOSED, SupportRequestStatus.WITHDRAWN)
OPEN_MATCH_STATUSES = (MatchStatus.PROPOSED, *HOLDING_A_PLACE)
log = logging.getLogger(__name__)

Closed = Callable[[datetime], ColumnElement[bool]]


def _request_closed(before: datetime) -> ColumnElement[bool]:
    """Requests closed or withdrawn before the moment."""
    closed_at = func.coalesce(SupportRequest.closed_at, SupportRequest.updated_at)
    return SupportRequest.status.in_(CLOSED_REQUEST_STATUSES) & (closed_at < before)


def _closed_requests(before: datetime) -> Select[Any]:
    return select(SupportRequest.id).where(_request_closed(before))


def _answer_closed(before: datetime) -> ColumnElement[bool]:
    """Intake and feedback answers go with their request; the rest (a check-in's note) were
    given as their check-in was answered, which closed it."""
    return or_(
        Answer.support_request_id.in_(_closed_requests(before)),
        Answer.support_request_id.is_(None) & (Answer.answered_at < before),
    )


def _note_closed(before: datetime) -> ColumnElement[bool]:
    """A contact note goes with its match's request (a rematch keeps the case open)."""
    matches = select(Match.id).where(Match.support_request_id.in_(_closed_requests(before)))
    return ContactNote.match_id.in_(matches)


def _escalation_note_closed(before: datetime) -> ColumnElement[bool]:
    resolved = select(Escalation.id).where(
        Escalation.status == EscalationStatus.RESOLVED, Escalation.resolved_at < before
    )
    return EscalationEvent.escalation_id.in_(resolved)


def _invite_closed(before: datetime) -> ColumnElement[bool]:
    return or_(Invite.used_at < before, Invite.revoked_at < before, Invite.expires_at < before)


def _update_closed(before: datetime) -> ColumnElement[bool]:
    """Processing clears an update's payload already; this is the safety net for any left."""
    return ProcessedUpdate.processed_at < before


@dataclass(frozen=True)
class FreeText:
    """An encrypted free-text column, and which of its rows belong to a case closed before
    a moment."""

    column: InstrumentedAttribute[str | None]
    closed_before: Closed

    @property
    def place(self) -> str:
        return f"{self.column.class_.__tablename__}.{self.column.key}"


#: How to tell, for each column that expires after close, which of its rows belong to a case
#: closed before a moment. A check-in's note is an ``answers`` row (flow "checkin");
#: ``checkins.answers`` keeps only the scored items and the "have you connected?" choice.
_CLOSED_BEFORE: dict[str, Closed] = {
    "support_requests.summary_enc": _request_closed,
    "answers.value_enc": _answer_closed,
    "contact_notes.note_enc": _note_closed,
    "escalation_events.note_enc": _escalation_note_closed,
    "invites.note_enc": _invite_closed,
    "processed_updates.payload_enc": _update_closed,
}

#: Free text of cases: erased once the case has been closed for ``free_text_days``.
FREE_TEXT: tuple[FreeText, ...] = tuple(
    FreeText(entry.column, entry.closed_before or _CLOSED_BEFORE[entry.place])
    for entry in personal_data.expiring(Expiry.AFTER_CLOSE)
)

#: Sealed (encrypted) answers inside a conversation's stored state: erased once the
#: conversation has been over (completed, cancelled, expired) for ``free_text_days``.
SEALED_STATES = "conversations.state"


@dataclass(frozen=True)
class RetentionReport:
    """What one run erased (or, in a dry run, would erase): values per place, and people."""

    dry_run: bool
    free_text_before: datetime
    inactive_before: datetime
    erased: Mapping[str, int] = field(default_factory=dict)
    pseudonymized: int = 0

    @property
    def values_erased(self) -> int:
        return sum(self.erased.values())


async def run(
    sessions: async_sessionmaker[AsyncSession],
    policy: RetentionPolicy,
    *,
    now: datetime,
    dry_run: bool = False,
) -> RetentionReport:
    """Erase what the policy no longer lets us keep, a batch to a transaction; audit it.

    A dry run reads the same rows and changes nothing (not even the audit trail).
    """
    free_text_before = policy.free_text_before(now)
    erased: dict[str, int] = {}
    for free_text in FREE_TEXT:
        erased[free_text.place] = await _erase_column(
            sessions, free_text, free_text_before, now=now, dry_run=dry_run
        )
    erased[SEALED_STATES] = await _erase_sealed(
        sessions, free_text_before, now=now, dry_run=dry_run
    )
    inactive_before = policy.inactive_before(now)
    pseudonymized = await _pseudonymize(sessions, inactive_before, now=now, dry_run=dry_run)
    report = RetentionReport(dry_run, free_text_before, inactive_before, erased, pseudonymized)
    if not dry_run:
        async with sessions() as session, session.begin():
            await audit.record(
                session,
                RAN,
                now=now,
                erased=erased,
                pseudonymized=pseudonymized,
                free_text_before=free_text_before.isoformat(),
                inactive_before=inactive_before.isoformat(),
            )
    return report


async def run_if_due(
    sessions: async_sessionmaker[AsyncSession],
    policy: RetentionPolicy,
    *,
    time_zone: tzinfo,
    now: datetime,
) -> RetentionReport | None:
    """Run unless a run already finished since the last daily time (``run_at``); a run
    missed while the bot was down is made up at the next tick."""
    async with sessions() as session:
        last = await session.scalar(
            select(func.max(AuditEvent.at)).where(AuditEvent.action == RAN)
        )
    if last is not None and last >= policy.last_run_due(now, time_zone):
        return None
    report = await run(sessions, policy, now=now)
    log.info(
        "retention: %d values erased, %d people pseudonymized",
        report.values_erased,
        report.pseudonymized,
    )
    return report


Act = Callable[[AsyncSession, Sequence[Row[Any]]], Awaitable[int]]


async def _each_batch(
    sessions: async_sessionmaker[AsyncSession],
    query: Select[Any],
    key: Column[Any] | InstrumentedAttribute[Any],
    act: Act,
) -> int:
    """Call act on every page of the query's rows (ordered by key, the first column), one
    transaction a page; return the sum of what act returned.

    Pages follow the key, not the offset, so rows that act changed are not met again and
    a dry run, which changes nothing, still ends.
    """
    total, after = 0, None
    while True:
        page = query.order_by(key).limit(BATCH_SIZE)
        if after is not None:
            page = page.where(key > after)
        async with sessions() as session, session.begin():
            rows = (await session.execute(page)).all()
            total += await act(session, rows) if rows else 0
        if len(rows) < BATCH_SIZE:
            return total
        after = rows[-1][0]


async def _erase_column(
    sessions: async_sessionmaker[AsyncSession],
    free_text: FreeText,
    before: datetime,
    *,
    now: datetime,
    dry_run: bool,
) -> int:
    model = free_text.column.class_
    key = inspect_model(model).primary_key[0]

    async def erase(session: AsyncSession, rows: Sequence[Row[Any]]) -> int:
        ids = [row[0] for row in rows]
        if not dry_run:
            await session.execute(
                update(model)
                .where(key.in_(ids))
                .values({free_text.column.key: None, **_unchanged(model)})
                .execution_options(synchronize_session=False)
            )
            await audit.record(
                session, "retention.erased", now=now, place=free_text.place, ids=ids
            )
        return len(ids)

    query = select(key).where(free_text.column.is_not(None), free_text.closed_before(before))
    return await _each_batch(sessions, query, key, erase)


async def _erase_sealed(
    sessions: async_sessionmaker[AsyncSession],
    before: datetime,
    *,
    now: datetime,
    dry_run: bool,
) -> int:
    """Drop the sealed answers from the stored state of conversations over before the moment."""

    async def erase(session: AsyncSession, rows: Sequence[Row[Any]]) -> int:
        changed = [
            (row.id, row.version, kept)
            for row in rows
            if (kept := _without_sealed(row.state)) != row.state
        ]
        if changed and not dry_run:
            for conversation_id, version, kept in changed:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id, Conversation.version == version)
                    .values(state=kept, version=version + 1, **_unchanged(Conversation))
                    .execution_options(synchronize_session=False)
                )
            ids = [conversation_id for conversation_id, _, _ in changed]
            await audit.record(session, "retention.erased", now=now, place=SEALED_STATES, ids=ids)
        return len(changed)

    query = select(Conversation.id, Conversation.version, Conversation.state).where(
        Conversation.status != ConversationStatus.ACTIVE,
        Conversation.updated_at < before,
        cast(Conversation.state, Text).like(f'%"{SEALED}"%'),  # narrows; the check is in Python
    )
    return await _each_batch(sessions, query, Conversation.id, erase)


def _without_sealed(state: dict[str, Any]) -> dict[str, Any]:
    """The stored state without its sealed answers (the rest, choices and meta, stays)."""
    engine = state.get("engine")
    if not isinstance(engine, dict) or not isinstance(engine.get("answers"), dict):
        return state
    answers = {
        step: value
        for step, value in engine["answers"].items()
        if not (isinstance(value, dict) and SEALED in value)
    }
    return {**state, "engine": {**engine, "answers": answers}}


def inactive(before: datetime) -> ColumnElement[bool]:
    """People to pseudonymize: not seen (or, never seen, not created) since the moment.

    Left alone: people already erased, and refusals (no Telegram id, nothing to erase);
    coordinators, whose record is staff identity behind the audit trail and the desk, not
    a case; and anyone with an open request, match or escalation: support may go on
    outside the bot (a match talks directly) and a safety concern must stay reachable.
    """
    return (
        (Person.status != PersonStatus.ERASED)
        & Person.telegram_user_id.is_not(None)
        & (func.coalesce(Person.last_seen_at, Person.created_at) < before)
        & ~exists().where(
            RoleAssignment.person_id == Person.id, RoleAssignment.role == Role.COORDINATOR
        )
        & ~exists().where(
            SupportRequest.person_id == Person.id,
            SupportRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
        & ~exists().where(Match.supporter_id == Person.id, Match.status.in_(OPEN_MATCH_STATUSES))
        & ~exists().where(
            Escalation.person_id == Person.id, Escalation.status != EscalationStatus.RESOLVED
        )
    )


async def _pseudonymize(
    sessions: async_sessionmaker[AsyncSession],
    before: datetime,
    *,
    now: datetime,
    dry_run: bool,
) -> int:
    """Pseudonymize inactive people as /forget does (data_rights.forget), each audited."""

    async def forget(session: AsyncSession, rows: Sequence[Row[Any]]) -> int:
        if dry_run:
            return len(rows)
        dialect = session.get_bind().dialect.name
        # Checked again in the writing transaction: someone may have come back meanwhile.
        people = await session.scalars(
            skip_locked(
                select(Person).where(Person.id.in_([row[0] for row in rows]), inactive(before)),
                dialect,
            )
        )
        forgotten = 0
        for person in list(people):
            await data_rights.forget(session, person, now=now)
            await audit.record(session, "retention.pseudonymized", now=now, subject_id=person.id)
            forgotten += 1
        return forgotten

    query = select(Person.id).where(inactive(before))
    return await _each_batch(sessions, query, Person.id, forget)


def _unchanged(model: Any) -> dict[str, Any]:
    """Keep ``updated_at`` as it was: erasing old text does not make a case recent again."""
    table = inspect_model(model).local_table
    return {"updated_at": table.c.updated_at} if "updated_at" in table.c else {}
