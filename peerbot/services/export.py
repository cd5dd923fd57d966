"""De-identified exports of support requests and consents for program evaluation.

Rows name a person only by ``people.pseudonym`` (a random code); Telegram ids and names
are never selected. Free text is left out unless asked for, and then only for people whose
newest evaluation consent is granted and not withdrawn.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.dialogs.flow_schema import Flow, TextStep
from peerbot.services import audit
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import ConsentDecision, ConsentKind
from peerbot.storage.models import Answer, Consent, Person, SupportRequest

BATCH_SIZE = 500
LIST_SEPARATOR = ";"

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


class ExportKind(StrEnum):
    REQUESTS = "requests"
    CONSENTS = "consents"


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


async def write_export(
    session: AsyncSession, cipher: FieldCipher, spec: ExportSpec, out: TextIO, *, now: datetime
) -> int:
    """Write the export to ``out`` and audit it; return the number of rows written.

    The audit event goes in its own transaction after the read, so an export that fails
    midway (a full disk, a closed pipe) is still recorded, with ``complete=False``.
    """
    written = 0
    try:
        async with session.begin():
            async for line in _lines(session, cipher, spec):
                out.write(line)
                written += 1
        out.flush()
    except Exception:
        # Rows already written were read: record that. If the database itself failed,
        # the audit cannot be written either, and the original error is the one to see.
        with contextlib.suppress(SQLAlchemyError):
            async with session.begin():
                await _audit(session, spec, rows=written, complete=False, now=now)
        raise
    async with session.begin():
        await _audit(session, spec, rows=written, complete=True, now=now)
    return written


async def _audit(
    session: AsyncSession, spec: ExportSpec, *, rows: int, complete: bool, now: datetime
) -> None:
    await audit.record(
        session,
        "data.exported",
        now=now,
        kind=spec.kind.value,
        format=spec.format.value,
        rows=rows,
        free_text=spec.include_free_text,
        complete=complete,
    )


async def request_rows(
    session: AsyncSession,
    cipher: FieldCipher,
    *,
    include_free_text: bool = False,
    free_text_questions: Collection[FlowQuestion] = frozenset(),
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[dict[str, Any]]:
    """Yield one row per support request, oldest first, read in batches of ``batch_size``.

    Only confirmed requests are stored, so all are listed, erased people's included.
    """
    after_id = 0
    while True:
        batch = (
            await session.execute(
                select(SupportRequest, Person.pseudonym)
                .join(Person, Person.id == SupportRequest.person_id)
                .where(SupportRequest.id > after_id)
                .order_by(SupportRequest.id)
                .limit(batch_size)
            )
        ).all()
        if not batch:
            return
        after_id = batch[-1][0].id
        answers = await _answers_of([request.id for request, _ in batch], session)
        consenting: set[int] = set()
        if include_free_text:
            consenting = await _evaluation_consenting({r.person_id for r, _ in batch}, session)
        for request, pseudonym in batch:
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


async def consent_rows(session: AsyncSession) -> AsyncIterator[dict[str, Any]]:
    """Yield every consent decision, oldest first, with its text version."""
    result = await session.stream(
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


async def csv_columns(session: AsyncSession, spec: ExportSpec) -> list[str]:
    """The CSV header: fixed columns, then one per question answered so far.

    Closed answers become ``answer.<question>``, free text ``free_text.<question>``,
    each in the order questions were first answered (the flow's order, in practice).
    """
    if spec.kind == ExportKind.CONSENTS:
        return list(CONSENT_COLUMNS)
    first_answered = func.min(Answer.id)
    questions = (
        await session.execute(
            select(
                Answer.flow,
                Answer.question,
                Answer.value.is_not(None),
                Answer.value_enc.is_not(None),
                first_answered,
            )
            .where(Answer.support_request_id.is_not(None))
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


async def _lines(
    session: AsyncSession, cipher: FieldCipher, spec: ExportSpec
) -> AsyncIterator[str]:
    rows = (
        consent_rows(session)
        if spec.kind == ExportKind.CONSENTS
        else request_rows(
            session,
            cipher,
            include_free_text=spec.include_free_text,
            free_text_questions=spec.free_text_questions,
        )
    )
    if spec.format == ExportFormat.JSONL:
        async for row in rows:
            yield json.dumps(row, ensure_ascii=False) + "\n"
        return
    buffer = _LineBuffer()
    columns = await csv_columns(session, spec)
    # A question first answered while the export runs has no column; it is left out.
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", extrasaction="ignore")
    writer.writeheader()
    header = buffer.take()
    first = True
    async for row in rows:
        writer.writerow(csv_cells(row))
        # The header is not a row: it goes out with the first row, or alone when there is none.
        yield (header if first else "") + buffer.take()
        first = False
    if first:
        yield header


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


async def _answers_of(request_ids: list[int], session: AsyncSession) -> dict[int, list[Answer]]:
    rows = await session.scalars(
        select(Answer)
        .where(Answer.support_request_id.in_(request_ids))
        .order_by(Answer.support_request_id, Answer.id)
    )
    by_request: dict[int, list[Answer]] = {}
    for answer in rows:
        assert answer.support_request_id is not None
        by_request.setdefault(answer.support_request_id, []).append(answer)
    return by_request


async def _evaluation_consenting(person_ids: set[int], session: AsyncSession) -> set[int]:
    """Of ``person_ids``, those whose newest evaluation decision is granted and not withdrawn."""
    newest = (
        select(func.max(Consent.id).label("id"))
        .where(Consent.kind == ConsentKind.EVALUATION, Consent.person_id.in_(person_ids))
        .group_by(Consent.person_id)
        .subquery()
    )
    rows = await session.scalars(
        select(Consent.person_id)
        .join(newest, Consent.id == newest.c.id)
        .where(Consent.decision == ConsentDecision.GRANTED, Consent.withdrawn_at.is_(None))
    )
    return set(rows)


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
