"""Re-encrypt every encrypted value with the first configured key, so an old key can be retired.

In batches, one transaction each; a value the first key already opens is left alone, so a
rotation stopped midway is finished by running it again. Each write names the value it
replaces (and a conversation its version), so a row the bot changed meanwhile is never
overwritten: it is counted, and a second run takes it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Column, Table, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage.crypto import DecryptionError, FieldCipher
from peerbot.storage.keys import as_stored, encrypted_columns, record_key
from peerbot.storage.models import Conversation

BATCH_SIZE = 500
SEALED = "sealed"  # a free-text answer inside a conversation's state: {"sealed": ciphertext}

#: Called after each batch: the table, rows looked at so far, rows in that table.
Progress = Callable[[str, int, int], None]


@dataclass
class RotationReport:
    """What a rotation did."""

    rotated: int = 0  # values re-encrypted with the first key
    changed_meanwhile: int = 0  # rows the bot changed while they were read: run again

    @property
    def finished(self) -> bool:
        return self.changed_meanwhile == 0


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    *,
    progress: Progress,
    batch_size: int = BATCH_SIZE,
) -> RotationReport:
    """Re-encrypt everything with the cipher's first key; when nothing is left, record that
    key's fingerprint as the database's."""
    report = RotationReport()
    by_table: dict[Table, list[Column[str]]] = {}
    for table, column in encrypted_columns():
        by_table.setdefault(table, []).append(column)
    for table, columns in by_table.items():
        await _rotate_table(sessions, cipher, table, columns, report, progress, batch_size)
    await _rotate_conversations(sessions, cipher, report, progress, batch_size)
    if report.finished:
        async with sessions() as session:
            await record_key(session, cipher.fingerprints[0])
    return report


async def _rotate_table(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    table: Table,
    columns: list[Column[str]],
    report: RotationReport,
    progress: Progress,
    batch_size: int,
) -> None:
    (key,) = table.primary_key.columns
    stored = [as_stored(column) for column in columns]
    holding = or_(*(column.is_not(None) for column in columns))
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(table).where(holding)) or 0
    seen, last = 0, None
    while True:
        query = select(key, *stored).where(holding).order_by(key).limit(batch_size)
        if last is not None:
            query = query.where(key > last)
        async with sessions() as session, session.begin():
            rows = (await session.execute(query)).all()
            for row in rows:
                for column, raw, old in zip(columns, stored, row[1:], strict=True):
                    new = _rotated(cipher, old, f"{table.name}.{column.name}")
                    if new is None:
                        continue
                    stmt = (
                        update(table)
                        .where(key == row[0], raw == old)
                        .values({column.name: as_stored(new)})
                    )
                    written = cast(CursorResult[Any], await session.execute(stmt)).rowcount
                    report.rotated += written
                    report.changed_meanwhile += 1 - written
        if not rows:
            break
        seen, last = seen + len(rows), rows[-1][0]
        progress(table.name, seen, total)


async def _rotate_conversations(
    sessions: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    report: RotationReport,
    progress: Progress,
    batch_size: int,
) -> None:
    table = cast(Table, Conversation.__table__)
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(table)) or 0
    seen, last = 0, 0
    while True:
        query = (
            select(table.c.id, table.c.state, table.c.version)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(batch_size)
        )
        async with sessions() as session, session.begin():
            rows = (await session.execute(query)).all()
            for conversation_id, state, version in rows:
                new_state, count = _rotated_state(cipher, state)
                if not count:
                    continue
                stmt = (
                    update(table)
                    .where(table.c.id == conversation_id, table.c.version == version)
                    .values(state=new_state, version=table.c.version + 1)
                )
                written = cast(CursorResult[Any], await session.execute(stmt)).rowcount
                report.rotated += count if written else 0
                report.changed_meanwhile += 1 - written
        if not rows:
            break
        seen, last = seen + len(rows), rows[-1][0]
        progress(table.name, seen, total)


def _rotated_state(cipher: FieldCipher, state: Any) -> tuple[Any, int]:
    """The state with its sealed answers re-encrypted, and how many were."""
    answers = (state or {}).get("engine", {}).get("answers") if isinstance(state, dict) else None
    if not isinstance(answers, dict):
        return state, 0
    new_state = copy.deepcopy(state)
    new_answers = new_state["engine"]["answers"]
    count = 0
    for step, value in answers.items():
        if isinstance(value, dict) and isinstance(value.get(SEALED), str):
            new = _rotated(cipher, value[SEALED], f"conversations.state answer {step!r}")
            if new is not None:
                new_answers[step] = {**value, SEALED: new}
                count += 1
    return new_state, count


def _rotated(cipher: FieldCipher, token: str | None, where: str) -> str | None:
    """The token re-encrypted with the first key; None when there is nothing to do."""
    if not token or cipher.opens(token):
        return None
    try:
        return cipher.rotate(token)
    except DecryptionError:
        raise DecryptionError(f"{where}: a value no configured key decrypts") from None
