"""Retention: erase the free text of cases closed long ago, pseudonymize people gone quiet.

Which columns go, and when, is the personal-data inventory's (``storage.personal_data``):
columns that expire after their case closes are erased here (this module knows how to tell a
closed case for each), sealed answers in a conversation's state once it is over, and people
gone quiet are forgotten as /forget does. Counts survive: rows stay, only their text goes.
What was sent (outbox payloads) is deleted by the outbox prune tick, not here.

A run goes a batch at a time (``erase_one_batch``), each batch in a transaction of the
caller's (scheduler/retention_pass.py), so the tables stay free for the bot's own writes and
a run stopped midway loses at most its batch in hand; the next run carries on from there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
from sqlalchemy.orm import InstrumentedAttribute

from peerbot.dialogs.policy import RetentionPolicy
from peerbot.services.common.context import ServiceContext
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
PEOPLE = "people"  # the step that pseudonymizes people gone quiet (counted apart from values)
CLOSED_REQUEST_STATUSES = (SupportRequestStatus.CLOSED, SupportRequestStatus.WITHDRAWN)
OPEN_MATCH_STATUSES = (MatchStatus.PROPOSED, *HOLDING_A_PLACE)

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
        # Correlated, row by row along the answers' key: an IN list here has SQLite gather and
        # sort every such answer again for each batch (11 MB and ~15 s on 100,000 people).
        exists().where(SupportRequest.id == Answer.support_request_id, _request_closed(before)),
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
    """Processing clears an update's payload already; this is the safety net for any left,
    and for an update never handled (received before the moment and still waiting)."""
    return or_(
        ProcessedUpdate.processed_at < before,
        ProcessedUpdate.processed_at.is_(None) & (ProcessedUpdate.received_at < before),
    )


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

    def counted(self, place: str, count: int) -> RetentionReport:
        """This report with `count` more at `place` (PEOPLE: people pseudonymized)."""
        if place == PEOPLE:
            return replace(self, pseudonymized=self.pseudonymized + count)
        return replace(self, erased={**self.erased, place: self.erased.get(place, 0) + count})


@dataclass(frozen=True)
class Progress:
    """How far a run has got: its counts so far, the step it is at, and the key that step's
    next batch starts after. The caller runs each batch in a transaction of its own."""

    report: RetentionReport
    step: int = 0
    after: Any = None

    @property
    def finished(self) -> bool:
        return self.step >= len(_STEPS)


def start(policy: RetentionPolicy, *, now: datetime, dry_run: bool = False) -> Progress:
    """A run as of `now`, before its first batch (a dry run only counts)."""
    report = RetentionReport(dry_run, policy.free_text_before(now), policy.inactive_before(now))
    return Progress(report)


async def erase_one_batch(ctx: ServiceContext, progress: Progress) -> Progress:
    """Erase the run's next batch (a dry run: count it) in the caller's transaction; return
    the progress after it.

    Batches follow the key, not the offset, so rows a batch changed are not met again, a dry
    run, which changes nothing, still ends, and a run that stopped midway leaves only rows a
    later run still finds. A dry run reads the same rows and changes nothing (not even the
    audit trail).
    """
    step = _STEPS[progress.step]
    page = step.due(progress.report).order_by(step.key).limit(BATCH_SIZE)
    if progress.after is not None:
        page = page.where(step.key > progress.after)
    rows = (await ctx.session.execute(page)).all()
    count = await step.act(ctx, progress.report, rows) if rows else 0
    report = progress.report.counted(step.place, count)
    if len(rows) < BATCH_SIZE:
        return Progress(report, progress.step + 1)
    return Progress(report, progress.step, rows[-1][0])


async def record_run(ctx: ServiceContext, report: RetentionReport) -> None:
    """Audit a finished run (never a dry run): what it counted, no ids."""
    await audit.record(
        ctx.session,
        RAN,
        now=ctx.now,
        erased=dict(report.erased),
        pseudonymized=report.pseudonymized,
        free_text_before=report.free_text_before.isoformat(),
        inactive_before=report.inactive_before.isoformat(),
    )


async def is_due(ctx: ServiceContext, policy: RetentionPolicy, *, time_zone: tzinfo) -> bool:
    """Whether no run has finished since the last daily time (``run_at``); a run missed while
    the bot was down is made up at the next tick."""
    last = await ctx.session.scalar(
        select(func.max(AuditEvent.at)).where(AuditEvent.action == RAN)
    )
    return last is None or last < policy.last_run_due(ctx.now, time_zone)


#: What a step does with one batch of its rows; returns how many it erased (or would).
Act = Callable[[ServiceContext, RetentionReport, Sequence[Row[Any]]], Awaitable[int]]


@dataclass(frozen=True)
class _Step:
    """One kind of row a run goes through, a batch at a time: the rows due (their key first),
    and what to do with a batch of them."""

    place: str
    key: Column[Any] | InstrumentedAttribute[Any]
    due: Callable[[RetentionReport], Select[Any]]
    act: Act


def _free_text_step(free_text: FreeText) -> _Step:
    model = free_text.column.class_
    key = inspect_model(model).primary_key[0]

    def due(report: RetentionReport) -> Select[Any]:
        closed = free_text.closed_before(report.free_text_before)
        return select(key).where(free_text.column.is_not(None), closed)

    async def erase(ctx: ServiceContext, report: RetentionReport, rows: Sequence[Row[Any]]) -> int:
        ids = [row[0] for row in rows]
        if not report.dry_run:
            await ctx.session.execute(
                update(model)
                .where(key.in_(ids))
                .values({free_text.column.key: None, **_unchanged(model)})
                .execution_options(synchronize_session=False)
            )
            await audit.record(
                ctx.session, "retention.erased", now=ctx.now, place=free_text.place, ids=ids
            )
        return len(ids)

    return _Step(free_text.place, key, due, erase)


def _sealed_due(report: RetentionReport) -> Select[Any]:
    """Conversations over before the moment whose stored state may hold sealed answers."""
    return select(Conversation.id, Conversation.version, Conversation.state).where(
        Conversation.status != ConversationStatus.ACTIVE,
        Conversation.updated_at < report.free_text_before,
        cast(Conversation.state, Text).like(f'%"{SEALED}"%'),  # narrows; the check is in Python
    )


async def _erase_sealed(
    ctx: ServiceContext, report: RetentionReport, rows: Sequence[Row[Any]]
) -> int:
    """Drop the sealed answers from the stored state of conversations over before the moment."""
    changed = [
        (row.id, row.version, kept)
        for row in rows
        if (kept := _without_sealed(row.state)) != row.state
    ]
    if changed and not report.dry_run:
        for conversation_id, version, kept in changed:
            await ctx.session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.version == version)
                .values(state=kept, version=version + 1, **_unchanged(Conversation))
                .execution_options(synchronize_session=False)
            )
        ids = [conversation_id for conversation_id, _, _ in changed]
        await audit.record(
            ctx.session, "retention.erased", now=ctx.now, place=SEALED_STATES, ids=ids
        )
    return len(changed)


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


def _inactive_due(report: RetentionReport) -> Select[Any]:
    return select(Person.id).where(inactive(report.inactive_before))


async def _pseudonymize(
    ctx: ServiceContext, report: RetentionReport, rows: Sequence[Row[Any]]
) -> int:
    """Pseudonymize inactive people as /forget does (data_rights.forget), each audited."""
    if report.dry_run:
        return len(rows)
    session = ctx.session
    dialect = session.get_bind().dialect.name
    # Checked again in the writing transaction: someone may have come back meanwhile.
    people = await session.scalars(
        skip_locked(
            select(Person).where(
                Person.id.in_([row[0] for row in rows]), inactive(report.inactive_before)
            ),
            dialect,
        )
    )
    forgotten = 0
    for person in list(people):
        await data_rights.forget(ctx, person)
        await audit.record(session, "retention.pseudonymized", now=ctx.now, subject_id=person.id)
        forgotten += 1
    return forgotten


def _unchanged(model: Any) -> dict[str, Any]:
    """Keep ``updated_at`` as it was: erasing old text does not make a case recent again."""
    table = inspect_model(model).local_table
    return {"updated_at": table.c.updated_at} if "updated_at" in table.c else {}


#: A run's steps, in order: free text column by column, sealed answers, then people.
_STEPS: tuple[_Step, ...] = (
    *(_free_text_step(free_text) for free_text in FREE_TEXT),
    _Step(SEALED_STATES, Conversation.id, _sealed_due, _erase_sealed),
    _Step(PEOPLE, Person.id, _inactive_due, _pseudonymize),
)
