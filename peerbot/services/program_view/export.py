"""De-identified exports of requests, matches, contact notes, feedback and consents.

Rows name a person only by ``people.pseudonym`` (a random code); Telegram ids and names
are never selected. Free text is left out unless asked for, and then only for participants
whose newest evaluation consent is granted and not withdrawn. The caller writes the text
(``lines``) where it goes and then audits the export (``record``), each in its own
transaction (`peerbot export`, cli/export.py).
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVarTuple, assert_never

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from peerbot.dialogs.flow_schema import Flow, TextStep
from peerbot.services.common.context import ServiceContext
from peerbot.services.matching.relationships import FEEDBACK_FLOW
from peerbot.services.participants.consent import evaluation_consenting
from peerbot.storage import audit
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import CheckinKind
from peerbot.storage.models import (
    Answer,
    Checkin,
    Consent,
    ContactNote,
    Match,
    Person,
    SupportRequest,
)

BATCH_SIZE = 500
LIST_SEPARATOR = ";"

#: The columns after the key column of a statement read in batches.
Columns = TypeVarTuple("Columns")

#: A question whose plain ``value`` is free text: (flow id, step id).
FlowQuestion = tuple[str, str]

REQUEST_COLUMNS = (
    "request",
    "person",
    "created_date",
    "created_at",
    "status",
    "urgency",
    "topics",
    "support_format",
    "language",
    "referral_source",
)
CONSENT_COLUMNS = (
    "person",
    "kind",
    "version",
    "decision",
    "decided_at",
    "withdrawn_at",
    "channel",
)
MATCH_COLUMNS = (
    "request",
    "participant",
    "supporter",
    "status",
    "rank",
    "score",
    "reasons",
    "proposed_at",
    "approved_at",
    "offered_at",
    "decided_at",
    "decline_reason",
    "ended_at",
    "end_reason",
    "participant_connected",
    "supporter_connected",
)
NOTE_COLUMNS = (
    "request",
    "supporter",
    "contact_date",
    "minutes",
    "format",
    "topics",
    "concerns",
    "created_at",
)
FEEDBACK_COLUMNS = (
    "request",
    "participant",
    "answered_at",
    "satisfaction",
    "understood",
    "recommend",
)
#: The closed questions of the feedback survey; ``comments`` is its free text.
FEEDBACK_QUESTIONS = ("satisfaction", "understood", "recommend")


class ExportKind(StrEnum):
    REQUESTS = "requests"
    MATCHES = "matches"
    NOTES = "notes"
    FEEDBACK = "feedback"
    CONSENTS = "consents"


#: Each kind's fixed CSV columns, and the free-text ones added with ``include_free_text``.
FIXED_COLUMNS: dict[ExportKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ExportKind.MATCHES: (MATCH_COLUMNS, ()),
    ExportKind.NOTES: (NOTE_COLUMNS, ("details",)),
    ExportKind.FEEDBACK: (FEEDBACK_COLUMNS, ("comments",)),
    ExportKind.CONSENTS: (CONSENT_COLUMNS, ()),
}


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True)
class ExportSpec:
    """What to export and how; ``free_text_questions`` are text steps stored unencrypted."""

    kind: ExportKind
    format: ExportFormat
    include_free_text: bool = False
    free_text_questions: frozenset[FlowQuestion] = field(default_factory=frozenset)


def free_text_questions(flows: Iterable[Flow]) -> frozenset[FlowQuestion]:
    """Every text step, so a program's non-sensitive text step is still treated as free text."""
    return frozenset(
        (flow.flow, step.id) for flow in flows for step in flow.steps if isinstance(step, TextStep)
    )


async def record(ctx: ServiceContext, spec: ExportSpec, *, rows: int, complete: bool) -> None:
    """Audit an export: its kind, format, rows written and whether it ran to the end.

    The caller records it in a transaction of its own after the read, so an export that
    fails midway (a full disk, a closed pipe) is still recorded, with ``complete=False``.
    """
    await audit.record(
        ctx.session,
        "data.exported",
        now=ctx.now,
        kind=spec.kind.value,
        format=spec.format.value,
        rows=rows,
        free_text=spec.include_free_text,
        complete=complete,
    )


async def request_rows(
    ctx: ServiceContext,
    *,
    include_free_text: bool = False,
    free_text_questions: Collection[FlowQuestion] = frozenset(),
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per support request, oldest first, read in batches of ``batch_size``.

    Only confirmed requests are stored, so all are listed, erased people's included.
    Feedback answers share the request but are the feedback export's.
    """
    session, cipher = ctx.session, ctx.cipher
    statement = select(SupportRequest.id, SupportRequest, Person.pseudonym).join(
        Person, Person.id == SupportRequest.person_id
    )
    async for batch in _batches(session, statement, SupportRequest.id, batch_size):
        answers = await _answers_of([id_ for id_, _, _ in batch], session, feedback=False)
        consenting: set[int] = set()
        if include_free_text:
            consenting = await evaluation_consenting(ctx, {r.person_id for _, r, _ in batch})
        for _, request, pseudonym in batch:
            row = _request_row(request, pseudonym)
            closed, free = _split_answers(answers.get(request.id, []), free_text_questions)
            row["answers"] = {answer.question: answer.value for answer in closed}
            if include_free_text:
                allowed = request.person_id in consenting
                row["summary"] = cipher.decrypt(request.summary_enc) if allowed else None
                row["free_text"] = (
                    {answer.question: _free_text(answer, cipher) for answer in free}
                    if allowed
                    else None
                )
            yield row


async def match_rows(
    ctx: ServiceContext, *, batch_size: int = BATCH_SIZE
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per match, oldest first, with each side's answer to "have you connected?"."""
    session = ctx.session
    participant = aliased(Person)
    supporter = aliased(Person)
    statement = (
        select(Match.id, Match, SupportRequest.code, participant.pseudonym, supporter.pseudonym)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .join(participant, participant.id == SupportRequest.person_id)
        .outerjoin(supporter, supporter.id == Match.supporter_id)
    )
    async for batch in _batches(session, statement, Match.id, batch_size):
        connected = await _connected_answers([match for _, match, *_ in batch], session)
        for match_id, match, code, participant_pseudonym, supporter_pseudonym in batch:
            answers = connected.get(match_id, {})
            yield {
                "request": code,
                "participant": participant_pseudonym,
                "supporter": supporter_pseudonym,
                "status": match.status.value,
                "rank": match.rank,
                "score": match.score,
                "reasons": _reason_codes(match.reasons),
                "proposed_at": _iso(match.proposed_at),
                "approved_at": _iso(match.approved_at),
                "offered_at": _iso(match.offered_at),
                "decided_at": _iso(match.decided_at),
                "decline_reason": match.decline_reason,
                "ended_at": _iso(match.ended_at),
                "end_reason": match.end_reason,
                "participant_connected": answers.get("participant"),
                "supporter_connected": answers.get("supporter"),
            }


async def note_rows(
    ctx: ServiceContext,
    *,
    include_free_text: bool = False,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per contact note, oldest first.

    ``details`` needs the participant's evaluation consent, not the author's: the note is
    about the participant.
    """
    session, cipher = ctx.session, ctx.cipher
    author = aliased(Person)
    statement = (
        select(
            ContactNote.id,
            ContactNote,
            SupportRequest.code,
            SupportRequest.person_id,
            author.pseudonym,
        )
        .join(Match, Match.id == ContactNote.match_id)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .outerjoin(author, author.id == ContactNote.author_id)
    )
    async for batch in _batches(session, statement, ContactNote.id, batch_size):
        consenting: set[int] = set()
        if include_free_text:
            participants = {participant_id for _, _, _, participant_id, _ in batch}
            consenting = await evaluation_consenting(ctx, participants)
        for _, note, code, participant_id, author_pseudonym in batch:
            row: dict[str, Any] = {
                "request": code,
                "supporter": author_pseudonym,
                "contact_date": note.contact_at.astimezone(UTC).date().isoformat(),
                "minutes": note.minutes,
                "format": note.format,
                "topics": list(note.topics or []),
                "concerns": list(note.concerns or []),
                "created_at": _iso(note.created_at),
            }
            if include_free_text:
                allowed = participant_id in consenting
                row["details"] = cipher.decrypt(note.note_enc) if allowed else None
            yield row


async def feedback_rows(
    ctx: ServiceContext,
    *,
    include_free_text: bool = False,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per request with feedback answers, oldest request first.

    A question answered twice counts with its newest answer; ``comments`` only with the
    participant's evaluation consent.
    """
    session, cipher = ctx.session, ctx.cipher
    has_feedback = (
        select(Answer.id)
        .where(Answer.support_request_id == SupportRequest.id, Answer.flow == FEEDBACK_FLOW)
        .exists()
    )
    statement = (
        select(SupportRequest.id, SupportRequest.code, SupportRequest.person_id, Person.pseudonym)
        .join(Person, Person.id == SupportRequest.person_id)
        .where(has_feedback)
    )
    async for batch in _batches(session, statement, SupportRequest.id, batch_size):
        answers = await _answers_of([id_ for id_, _, _, _ in batch], session, feedback=True)
        consenting: set[int] = set()
        if include_free_text:
            participants = {participant_id for _, _, participant_id, _ in batch}
            consenting = await evaluation_consenting(ctx, participants)
        for request_id, code, participant_id, pseudonym in batch:
            given = answers.get(request_id)
            if not given:
                continue  # deleted (an erasure) between the two reads
            newest = {answer.question: answer for answer in given}
            answered = max(answer.answered_at for answer in given)
            row: dict[str, Any] = {
                "request": code,
                "participant": pseudonym,
                "answered_at": answered.astimezone(UTC).date().isoformat(),
            }
            for question in FEEDBACK_QUESTIONS:
                answer = newest.get(question)
                row[question] = None if answer is None else answer.value
            if include_free_text:
                comments = newest.get("comments")
                allowed = participant_id in consenting
                row["comments"] = _free_text(comments, cipher) if allowed and comments else None
            yield row


async def consent_rows(ctx: ServiceContext) -> AsyncIterator[dict[str, Any]]:
    """Yield every consent decision, oldest first, with its text version."""
    result = await ctx.session.stream(
        select(Consent, Person.pseudonym)
        .join(Person, Person.id == Consent.person_id)
        .order_by(Consent.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    async for consent, pseudonym in result:
        yield {
            "person": pseudonym,
            "kind": consent.kind.value,
            "version": consent.version,
            "decision": consent.decision.value,
            "decided_at": _iso(consent.decided_at),
            "withdrawn_at": _iso(consent.withdrawn_at),
            "channel": consent.channel,
        }


async def csv_columns(ctx: ServiceContext, spec: ExportSpec) -> list[str]:
    """The CSV header: fixed columns; for requests, then one per question answered so far.

    Closed answers become ``answer.<question>``, free text ``free_text.<question>``,
    each in the order questions were first answered (the flow's order, in practice).
    """
    if spec.kind in FIXED_COLUMNS:
        fixed, free_text = FIXED_COLUMNS[spec.kind]
        return [*fixed, *(free_text if spec.include_free_text else ())]
    first_answered = func.min(Answer.id)
    questions = (
        await ctx.session.execute(
            select(
                Answer.flow,
                Answer.question,
                Answer.value.is_not(None),
                Answer.value_enc.is_not(None),
                first_answered,
            )
            .where(Answer.support_request_id.is_not(None), Answer.flow != FEEDBACK_FLOW)
            .group_by(
                Answer.flow,
                Answer.question,
                Answer.value.is_not(None),
                Answer.value_enc.is_not(None),
            )
            .order_by(first_answered)
        )
    ).all()
    closed: dict[str, None] = {}
    free: dict[str, None] = {}
    for flow, question, has_value, has_secret, _ in questions:
        if has_secret or (has_value and (flow, question) in spec.free_text_questions):
            free[f"free_text.{question}"] = None
        elif has_value:
            closed[f"answer.{question}"] = None
    columns = [*REQUEST_COLUMNS, *closed]
    if spec.include_free_text:
        columns += ["summary", *free]
    return columns


def csv_cells(row: dict[str, Any]) -> dict[str, str]:
    """Flatten one row for CSV: nested answers become columns, lists are joined with ';'."""
    cells: dict[str, str] = {}
    for key, value in row.items():
        if key in ("answers", "free_text"):
            prefix = "answer" if key == "answers" else "free_text"
            for question, answer in (value or {}).items():
                cells[f"{prefix}.{question}"] = _cell(answer)
        else:
            cells[key] = _cell(value)
    return cells


async def lines(ctx: ServiceContext, spec: ExportSpec) -> AsyncIterator[tuple[str, int]]:
    """The export's text in pieces, each with how many rows it holds (a lone header: none).

    Read in the caller's transaction, one for the whole export, so it is one consistent
    picture however many batches it takes.
    """
    rows = _rows(ctx, spec)
    if spec.format == ExportFormat.JSONL:
        async for row in rows:
            yield json.dumps(row, ensure_ascii=False) + "\n", 1
        return
    buffer = _LineBuffer()
    columns = await csv_columns(ctx, spec)
    # A question first answered while the export runs has no column; it is left out.
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", extrasaction="ignore")
    writer.writeheader()
    header = buffer.take()
    first = True
    async for row in rows:
        writer.writerow(csv_cells(row))
        # The header is not a row: it goes out with the first row, or alone when there is none.
        yield (header if first else "") + buffer.take(), 1
        first = False
    if first:
        yield header, 0  # the header alone: no rows


def _rows(ctx: ServiceContext, spec: ExportSpec) -> AsyncIterator[dict[str, Any]]:
    match spec.kind:
        case ExportKind.REQUESTS:
            return request_rows(
                ctx,
                include_free_text=spec.include_free_text,
                free_text_questions=spec.free_text_questions,
            )
        case ExportKind.MATCHES:
            return match_rows(ctx)
        case ExportKind.NOTES:
            return note_rows(ctx, include_free_text=spec.include_free_text)
        case ExportKind.FEEDBACK:
            return feedback_rows(ctx, include_free_text=spec.include_free_text)
        case ExportKind.CONSENTS:
            return consent_rows(ctx)
        case _:
            assert_never(spec.kind)


class _LineBuffer:
    """Collect what csv.writer writes, so each row can be handed on as one string."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


async def _batches(
    session: AsyncSession,
    statement: Select[int, *Columns],
    key: InstrumentedAttribute[int],
    size: int,
) -> AsyncIterator[Sequence[Row[int, *Columns]]]:
    """Run ``statement`` (whose first column is ``key``) page by page in ``key`` order.

    Keyset pages, not OFFSET: each page is an index range, however far the export has got.
    """
    after = 0
    while True:
        batch = (
            await session.execute(statement.where(key > after).order_by(key).limit(size))
        ).all()
        if not batch:
            return
        after = batch[-1][0]
        yield batch


async def _answers_of(
    request_ids: list[int], session: AsyncSession, *, feedback: bool
) -> dict[int, list[Answer]]:
    """The requests' feedback answers, or their other (intake) answers, oldest first."""
    flow = Answer.flow == FEEDBACK_FLOW if feedback else Answer.flow != FEEDBACK_FLOW
    rows = await session.scalars(
        select(Answer)
        .where(Answer.support_request_id.in_(request_ids), flow)
        .order_by(Answer.support_request_id, Answer.id)
    )
    by_request: dict[int, list[Answer]] = {}
    for answer in rows:
        assert answer.support_request_id is not None
        by_request.setdefault(answer.support_request_id, []).append(answer)
    return by_request


async def _connected_answers(
    matches: list[Match], session: AsyncSession
) -> dict[int, dict[str, str]]:
    """Per match id, each side's ("participant", "supporter") newest "have you connected?"."""
    supporter_of = {match.id: match.supporter_id for match in matches}
    rows = await session.execute(
        select(Checkin.match_id, Checkin.person_id, Checkin.answers)
        .where(
            Checkin.kind == CheckinKind.MATCH_FOLLOWUP,
            Checkin.match_id.in_(supporter_of),
            Checkin.answers.is_not(None),
        )
        .order_by(Checkin.id)
    )
    by_match: dict[int, dict[str, str]] = {}
    for match_id, person_id, answers in rows:
        said = answers.get("connected") if isinstance(answers, dict) else None
        if match_id is None or said is None:
            continue
        side = "supporter" if person_id == supporter_of[match_id] else "participant"
        by_match.setdefault(match_id, {})[side] = str(said)
    return by_match


def _request_row(request: SupportRequest, pseudonym: str) -> dict[str, Any]:
    created = request.created_at.astimezone(UTC)
    return {
        "request": request.code,
        "person": pseudonym,
        "created_date": created.date().isoformat(),
        "created_at": created.isoformat(),
        "status": request.status.value,
        "urgency": request.urgency.value,
        "topics": list(request.topics or []),
        "support_format": list(request.support_format or []),
        "language": request.language,
        "referral_source": request.referral_source,
    }


def _reason_codes(reasons: list[Any] | None) -> list[str]:
    """Only the codes: a reason's other values may describe the people matched."""
    return [
        str(reason["code"])
        for reason in reasons or []
        if isinstance(reason, dict) and "code" in reason
    ]


def _split_answers(
    answers: list[Answer], free_text_questions: Collection[FlowQuestion]
) -> tuple[list[Answer], list[Answer]]:
    """Closed answers (a plain ``value`` that is not a text step) and free-text answers."""
    closed: list[Answer] = []
    free: list[Answer] = []
    for answer in answers:
        if answer.value_enc is not None or (
            answer.value is not None and (answer.flow, answer.question) in free_text_questions
        ):
            free.append(answer)
        elif answer.value is not None:
            closed.append(answer)
    return closed, free


def _free_text(answer: Answer, cipher: FieldCipher) -> str | None:
    if answer.value_enc is not None:
        return cipher.decrypt(answer.value_enc)
    return None if answer.value is None else str(answer.value)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(_cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
