"""Which encryption key a database belongs to: the stored fingerprint, the check at start, and
the key file beside a SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Column, Table, Text, select, type_coerce, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.storage.clock import utcnow
from peerbot.storage.crypto import KEY_VARIABLE, FieldCipher
from peerbot.storage.dialect import insert_ignore
from peerbot.storage.models import Base, KeyFingerprint

KEY_FILE_NAME = ".peerbot-key"
FINGERPRINT_ROW = 1


class KeyMismatch(Exception):
    """None of the configured keys is the one this database's free text is encrypted with."""

    def __init__(self, stored: str | None) -> None:
        self.stored = stored
        recorded = f" (fingerprint {stored})" if stored else ""
        super().__init__(
            f"the encryption key ({KEY_VARIABLE}, or on SQLite without it the {KEY_FILE_NAME} "
            f"file beside the database) is not the one this database was encrypted with"
            f"{recorded}: set that key; to change keys, put the new key first and the old one "
            "after a comma, then run `peerbot keys rotate`"
        )


def sqlite_key_file(database_url: str) -> Path | None:
    """Where a SQLite database's generated key lives: beside the database file.

    None for an in-memory database, which lives no longer than its process.
    """
    url = make_url(database_url)
    database = url.database or ""
    if url.query.get("uri") and database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    return Path(database).parent / KEY_FILE_NAME


def encrypted_columns() -> list[tuple[Table, Column[str]]]:
    """Every ``*_enc`` column of the schema, with its table."""
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_enc")
    ]


def as_stored(value: Any) -> Any:
    """A ``*_enc`` column, or a value for one, as the ciphertext text it holds: a sealed
    column's type would otherwise open it on reading and seal it again on writing."""
    return type_coerce(value, Text)


async def stored_fingerprint(session: AsyncSession) -> str | None:
    """The fingerprint recorded in the database, if any."""
    return await session.scalar(
        select(KeyFingerprint.fingerprint).where(KeyFingerprint.id == FINGERPRINT_ROW)
    )


async def check_key(session: AsyncSession, cipher: FieldCipher, *, record: bool = True) -> str:
    """Raise KeyMismatch unless one of the cipher's keys is the database's; return its fingerprint.

    On first use (``record``) the fingerprint is recorded: the key that opens the free text
    already stored (a database from before fingerprints), or else the first key.
    """
    async with session.begin():
        stored = await stored_fingerprint(session)
        if stored is None:
            fingerprint = await _key_of_stored_text(session, cipher)
            if not record:
                return fingerprint
            await insert_ignore(
                session,
                KeyFingerprint,
                {"id": FINGERPRINT_ROW, "fingerprint": fingerprint, "recorded_at": utcnow()},
                ["id"],
            )
            stored = await stored_fingerprint(session)  # another process may have been first
    if stored not in cipher.fingerprints:
        raise KeyMismatch(stored)
    return stored


async def record_key(session: AsyncSession, fingerprint: str) -> None:
    """Record that all free text in the database is now encrypted with this key."""
    async with session.begin():
        await session.execute(
            update(KeyFingerprint)
            .where(KeyFingerprint.id == FINGERPRINT_ROW)
            .values(fingerprint=fingerprint, recorded_at=utcnow())
        )


async def _key_of_stored_text(session: AsyncSession, cipher: FieldCipher) -> str:
    for _table, column in encrypted_columns():
        sample = await session.scalar(
            select(as_stored(column)).where(column.is_not(None), as_stored(column) != "").limit(1)
        )
        if sample is None:
            continue
        for position, fingerprint in enumerate(cipher.fingerprints):
            if cipher.opens(sample, position):
                return fingerprint
        raise KeyMismatch(None)
    return cipher.fingerprints[0]
