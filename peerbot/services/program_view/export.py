"""De-identified exports of requests, matches, contact notes, feedback, participants'
follow-up answers and consents.

Only people whose newest evaluation consent is granted and not withdrawn appear, under
export codes, with times to the day or week (disclosure.py says why); Telegram ids and names
are never selected. Free text is left out unless asked for. The caller writes the text
(``lines``) where it goes and then audits the export (``record``), each in its own
transaction (`peerbot export`, cli/export.py).
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVarTuple, assert_never

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from peerbot.dialogs.flow_schema import Flow, TextStep
from peerbot.services.common.context import ServiceContext
from peerbot.services.matching.relationships import FEEDBACK_FLOW
from peerbot.services.participants.consent import (
    evaluation_consenting,
    evaluation_consenting_ids,
)
from peerbot.services.program_view.disclosure import Disclosure, spreadsheet_safe
from peerbot.storage import audit
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import CheckinKind, CheckinStatus
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
#: Written first in a CSV export, so that Excel reads it as UTF-8 (accents, emoji).
CSV_BOM = "\ufeff"
LIST_SEPARATOR = ";"

#: The columns after the key column of a statement read in batches.
Columns = TypeVarTuple("Columns")

#: A question whose plain ``value`` is free text: (flow id, step id).
FlowQuestion = tuple[str, str]

REQUEST_COLUMNS = (
    "request",
    "person",
    "created",
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
    "reached",
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
FOLLOWUP_COLUMNS = (
    "request",
    "participant",
    "kind",
    "due",
    "status",
    "answered_at",
    "score",
    "answer",
)
#: A participant's check-ins while matched, and the question each one's answer is kept under.
FOLLOWUP_KINDS = {
    CheckinKind.SATISFACTION: None,  # its answer is the score (1-5)
    CheckinKind.PARTICIPANT_FOLLOWUP: "how",
    CheckinKind.REVIEW: "review",
}
#: A follow-up whose time has come: answered, or left unanswered.
FOLLOWUP_STATUSES = (CheckinStatus.ANSWERED, CheckinStatus.MISSED)


class ExportKind(StrEnum):
    REQUESTS = "requests"
    MATCHES = "matches"
    NOTES = "notes"
    FEEDBACK = "feedback"
    FOLLOWUPS = "followups"
    CONSENTS = "consents"


#: Each kind's fixed CSV columns, and the free-text ones added with ``include_free_text``.
FIXED_COLUMNS: dict[ExportKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ExportKind.MATCHES: (MATCH_COLUMNS, ()),
    ExportKind.NOTES: (NOTE_COLUMNS, ("details",)),
    ExportKind.FEEDBACK: (FEEDBACK_COLUMNS, ("comments",)),
    ExportKind.FOLLOWUPS: (FOLLOWUP_COLUMNS, ()),
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
    coarse: bool = False  # times to the ISO week, not the day


def free_text_questions(flows: Iterable[Flow]) -> frozenset[FlowQuestion]:
    """Every text step, so a program's non-sensitive text step is still treated as free text."""
    return frozenset(
        (flow.flow, step.id) for flow in flows for step in flow.steps if isinstance(step, TextStep)
    )


async def record(
    ctx: ServiceContext, spec: ExportSpec, *, rows: int, complete: bool, left_out: int = 0
) -> None:
    """Audit an export: its kind, format, rows written and left out, and whether it ran to
    the end.

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
        coarse=spec.coarse,
        left_out=left_out,
        complete=complete,
    )


async def left_out(ctx: ServiceContext, spec: ExportSpec) -> int:
    """How many rows of this kind the export leaves out: their person has not consented."""
    subject = _SUBJECT[spec.kind]
    statement = select(func.count()).select_from(subject.table)
    for join in subject.joins:
        statement = statement.join(*join)
    counted = statement.where(subject.person.not_in(evaluation_consenting_ids()))
    if spec.kind == ExportKind.FEEDBACK:
        counted = counted.where(_has_feedback())
    if spec.kind == ExportKind.FOLLOWUPS:
        counted = counted.where(*_is_followup())
    return int(await ctx.session.scalar(counted) or 0)


@dataclass(frozen=True)
class _Subject:
    """Whose consent lets a kind's rows out: ``person`` on ``table`` (after ``joins``)."""

    table: Any
    person: InstrumentedAttribute[int]
    joins: tuple[tuple[Any, Any], ...] = ()


_BY_REQUEST = ((SupportRequest, SupportRequest.id == Match.support_request_id),)
_SUBJECT = {
    ExportKind.REQUESTS: _Subject(SupportRequest, SupportRequest.person_id),
    ExportKind.FEEDBACK: _Subject(SupportRequest, SupportRequest.person_id),
    ExportKind.MATCHES: _Subject(Match, SupportRequest.person_id, _BY_REQUEST),
    ExportKind.NOTES: _Subject(
        ContactNote,
        SupportRequest.person_id,
        ((Match, Match.id == ContactNote.match_id), *_BY_REQUEST),
    ),
    ExportKind.FOLLOWUPS: _Subject(Checkin, Checkin.person_id),
    ExportKind.CONSENTS: _Subject(Consent, Consent.person_id),
}


def _is_followup() -> list[Any]:
    return [Checkin.kind.in_(FOLLOWUP_KINDS), Checkin.status.in_(FOLLOWUP_STATUSES)]


def _consenting(person: InstrumentedAttribute[int]) -> Any:
    return person.in_(evaluation_consenting_ids())


def _has_feedback() -> Any:
    return (
        select(Answer.id)
        .where(Answer.support_request_id == SupportRequest.id, Answer.flow == FEEDBACK_FLOW)
        .exists()
    )


async def request_rows(
    ctx: ServiceContext,
    shown: Disclosure,
    *,
    include_free_text: bool = False,
    free_text_questions: Collection[FlowQuestion] = frozenset(),
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per support request of a consenting participant, oldest first, read in
    batches of ``batch_size``. Feedback answers share the request but are the feedback
    export's."""
    session, cipher = ctx.session, ctx.cipher
    statement = (
        select(SupportRequest.id, SupportRequest, Person.pseudonym)
        .join(Person, Person.id == SupportRequest.person_id)
        .where(_consenting(SupportRequest.person_id))
    )
    async for batch in _batches(session, statement, SupportRequest.id, batch_size):
        answers = await _answers_of([id_ for id_, _, _ in batch], session, feedback=False)
        for _, request, pseudonym in batch:
            row = _request_row(request, pseudonym, shown)
            closed, free = _split_answers(answers.get(request.id, []), free_text_questions)
            row["answers"] = {answer.question: answer.value for answer in closed}
            if include_free_text:
                row["summary"] = cipher.decrypt(request.summary_enc)
                row["free_text"] = {answer.question: _free_text(answer, cipher) for answer in free}
            yield row


async def match_rows(
    ctx: ServiceContext, shown: Disclosure, *, batch_size: int = BATCH_SIZE
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per match of a consenting participant, oldest first, with each side's
    answer to "have you connected?"; the supporter's code only if they consented too."""
    session = ctx.session
    participant = aliased(Person)
    supporter = aliased(Person)
    statement = (
        select(Match.id, Match, SupportRequest.code, participant.pseudonym, supporter.pseudonym)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .join(participant, participant.id == SupportRequest.person_id)
        .outerjoin(supporter, supporter.id == Match.supporter_id)
        .where(_consenting(SupportRequest.person_id))
    )
    async for batch in _batches(session, statement, Match.id, batch_size):
        matches = [match for _, match, *_ in batch]
        connected = await _connected_answers(matches, session)
        supporters = await evaluation_consenting(
            ctx, {match.supporter_id for match in matches if match.supporter_id is not None}
        )
        for match_id, match, code, participant_pseudonym, supporter_pseudonym in batch:
            answers = connected.get(match_id, {})
            yield {
                "request": shown.code(code),
                "participant": shown.code(participant_pseudonym),
                "supporter": shown.code(supporter_pseudonym)
                if match.supporter_id in supporters
                else None,
                "status": match.status.value,
                "rank": match.rank,
                "score": match.score,
                "reasons": _reason_codes(match.reasons),
                "proposed_at": shown.when(match.proposed_at),
                "approved_at": shown.when(match.approved_at),
                "offered_at": shown.when(match.offered_at),
                "decided_at": shown.when(match.decided_at),
                "decline_reason": match.decline_reason,
                "ended_at": shown.when(match.ended_at),
                "end_reason": match.end_reason,
                "participant_connected": answers.get("participant"),
                "supporter_connected": answers.get("supporter"),
            }


async def note_rows(
    ctx: ServiceContext,
    shown: Disclosure,
    *,
    include_free_text: bool = False,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per contact note about a consenting participant, oldest first; the
    author's code only if they consented too. The note is about the participant, so it is
    their consent that lets it out."""
    session, cipher = ctx.session, ctx.cipher
    author = aliased(Person)
    statement = (
        select(ContactNote.id, ContactNote, SupportRequest.code, author.pseudonym)
        .join(Match, Match.id == ContactNote.match_id)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .outerjoin(author, author.id == ContactNote.author_id)
        .where(_consenting(SupportRequest.person_id))
    )
    async for batch in _batches(session, statement, ContactNote.id, batch_size):
        authors = await evaluation_consenting(
            ctx, {note.author_id for _, note, _, _ in batch if note.author_id is not None}
        )
        for _, note, code, author_pseudonym in batch:
            row: dict[str, Any] = {
                "request": shown.code(code),
                "supporter": shown.code(author_pseudonym) if note.author_id in authors else None,
                "contact_date": shown.when(note.contact_at),
                "reached": note.reached,
                "minutes": note.minutes,
                "format": note.format,
                "topics": list(note.topics or []),
                "concerns": list(note.concerns or []),
                "created_at": shown.when(note.created_at),
            }
            if include_free_text:
                row["details"] = cipher.decrypt(note.note_enc)
            yield row


async def feedback_rows(
    ctx: ServiceContext,
    shown: Disclosure,
    *,
    include_free_text: bool = False,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per request of a consenting participant with feedback answers, oldest
    request first. A question answered twice counts with its newest answer."""
    session, cipher = ctx.session, ctx.cipher
    statement = (
        select(SupportRequest.id, SupportRequest.code, Person.pseudonym)
        .join(Person, Person.id == SupportRequest.person_id)
        .where(_has_feedback(), _consenting(SupportRequest.person_id))
    )
    async for batch in _batches(session, statement, SupportRequest.id, batch_size):
        answers = await _answers_of([id_ for id_, _, _ in batch], session, feedback=True)
        for request_id, code, pseudonym in batch:
            given = answers.get(request_id)
            if not given:
                continue  # deleted (an erasure) between the two reads
            newest = {answer.question: answer for answer in given}
            row: dict[str, Any] = {
                "request": shown.code(code),
                "participant": shown.code(pseudonym),
                "answered_at": shown.when(max(answer.answered_at for answer in given)),
            }
            for question in FEEDBACK_QUESTIONS:
                answer = newest.get(question)
                row[question] = None if answer is None else answer.value
            if include_free_text:
                comments = newest.get("comments")
                row["comments"] = _free_text(comments, cipher) if comments else None
            yield row


async def followup_rows(
    ctx: ServiceContext, shown: Disclosure, *, batch_size: int = BATCH_SIZE
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per participant follow-up (satisfaction two weeks in, "how is it going?",
    the review at the planned length) answered or missed by a consenting participant, oldest
    first: the score, or the closed answer, never free text."""
    statement = (
        select(Checkin.id, Checkin, SupportRequest.code, Person.pseudonym)
        .join(Person, Person.id == Checkin.person_id)
        .outerjoin(Match, Match.id == Checkin.match_id)
        .outerjoin(SupportRequest, SupportRequest.id == Match.support_request_id)
        .where(*_is_followup(), _consenting(Checkin.person_id))
    )
    async for batch in _batches(ctx.session, statement, Checkin.id, batch_size):
        for _, checkin, code, pseudonym in batch:
            question = FOLLOWUP_KINDS[checkin.kind]
            answers = checkin.answers if isinstance(checkin.answers, dict) else {}
            said = None if question is None else answers.get(question)
            yield {
                "request": shown.code(code),
                "participant": shown.code(pseudonym),
                "kind": checkin.kind.value,
                "due": shown.when(checkin.due_at),
                "status": checkin.status.value,
                "answered_at": shown.when(checkin.answered_at),
                "score": checkin.score,
                "answer": None if said is None else str(said),
            }


async def consent_rows(ctx: ServiceContext, shown: Disclosure) -> AsyncIterator[dict[str, Any]]:
    """Yield every consent decision of the people whose newest evaluation consent is
    granted, oldest first, with its text version."""
    result = await ctx.session.stream(
        select(Consent, Person.pseudonym)
        .join(Person, Person.id == Consent.person_id)
        .where(_consenting(Consent.person_id))
        .order_by(Consent.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    async for consent, pseudonym in result:
        yield {
            "person": shown.code(pseudonym),
            "kind": consent.kind.value,
            "version": consent.version,
            "decision": consent.decision.value,
            "decided_at": shown.when(consent.decided_at),
            "withdrawn_at": shown.when(consent.withdrawn_at),
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
    header = CSV_BOM + buffer.take()
    first = True
    async for row in rows:
        writer.writerow(csv_cells(row))
        # The header is not a row: it goes out with the first row, or alone when there is none.
        yield (header if first else "") + buffer.take(), 1
        first = False
    if first:
        yield header, 0  # the header alone: no rows


def _rows(ctx: ServiceContext, spec: ExportSpec) -> AsyncIterator[dict[str, Any]]:
    shown = Disclosure(ctx.cipher, coarse=spec.coarse)
    free_text = spec.include_free_text
    match spec.kind:
        case ExportKind.REQUESTS:
            return request_rows(
                ctx,
                shown,
                include_free_text=free_text,
                free_text_questions=spec.free_text_questions,
            )
        case ExportKind.MATCHES:
            return match_rows(ctx, shown)
        case ExportKind.NOTES:
            return note_rows(ctx, shown, include_free_text=free_text)
        case ExportKind.FEEDBACK:
            return feedback_rows(ctx, shown, include_free_text=free_text)
        case ExportKind.FOLLOWUPS:
            return followup_rows(ctx, shown)
        case ExportKind.CONSENTS:
            return consent_rows(ctx, shown)
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


def _request_row(request: SupportRequest, pseudonym: str, shown: Disclosure) -> dict[str, Any]:
    return {
        "request": shown.code(request.code),
        "person": shown.code(pseudonym),
        "created": shown.when(request.created_at),
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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(_cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return spreadsheet_safe(str(value)) if isinstance(value, str) else str(value)
