"""Read the bot's database from a test, with the same engine code the bot uses."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from peerbot.storage import outbox
from peerbot.storage.crypto import DecryptionError, FieldCipher
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.models import ProcessedUpdate


def sqlite_url(path: Any) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def outbox_counts(database_url: str) -> dict[str, int]:
    """Rows per outbox status."""
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            return await outbox.count_by_status(session)
    finally:
        await engine.dispose()


async def processed_update_ids(database_url: str) -> list[int]:
    """Update ids the bot has finished processing."""
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            rows = await session.scalars(
                select(ProcessedUpdate.update_id)
                .where(ProcessedUpdate.processed_at.is_not(None))
                .order_by(ProcessedUpdate.update_id)
            )
            return list(rows)
    finally:
        await engine.dispose()


async def unprocessed_count(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            count = await session.scalar(
                select(func.count()).where(ProcessedUpdate.processed_at.is_(None))
            )
            return int(count or 0)
    finally:
        await engine.dispose()


def sqlite_rows(database: Path, sql: str, *params: object) -> list[dict[str, Any]]:
    """Rows of one query on the bot's SQLite file, opened read-only, as dicts."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql, params)]


@dataclass(frozen=True)
class Finding:
    """A cell that contains something looked for."""

    table: str
    column: str
    row: dict[str, Any]
    needle: str


def find_in_every_table(
    database: Path, needles: Iterable[str], cipher: FieldCipher | None = None
) -> list[Finding]:
    """Every cell of every table in the schema whose str() contains one of the needles.

    Tables are read from sqlite_master, so a table added later is searched too. With a
    cipher, Fernet tokens inside a cell are decrypted first: an encrypted copy counts.
    """
    wanted = [needle for needle in needles if needle]
    found: list[Finding] = []
    tables = sqlite_rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'")
    for table in (row["name"] for row in tables):
        for row in sqlite_rows(database, f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
            for column, value in row.items():
                text = with_tokens_opened(str(value), cipher)
                found += [Finding(table, column, row, n) for n in wanted if n in text]
    return found


def with_tokens_opened(text: str, cipher: FieldCipher | None) -> str:
    """The text with every Fernet token in it decrypted, when the key fits."""
    if cipher is None:
        return text

    def opened(token: re.Match[str]) -> str:
        try:
            return cipher.decrypt(token.group()) or ""
        except DecryptionError:
            return token.group()

    return FERNET_TOKEN.sub(opened, text)


FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_=-]+")
