"""Look for phrases in a database as stored: the raw bytes of a SQLite file and its WAL, or
every PostgreSQL table read as text. A phrase is readable in plain text or in base64 (a file
such as /mydata's travels in a payload as base64)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from peerbot.storage.crypto import FieldCipher
from tests.support.db_inspect import with_tokens_opened


@dataclass
class Scan:
    """What was read and what was found: places are files or tables, hits name the phrase."""

    places: list[str] = field(default_factory=list)
    bytes_scanned: int = 0
    hits: list[tuple[str, str]] = field(default_factory=list)  # (place, phrase)

    def read(self, place: str, content: bytes, phrases: dict[str, str]) -> None:
        self.places.append(place)
        self.bytes_scanned += len(content)
        for tag, phrase in phrases.items():
            if any(form in content for form in readable_forms(phrase)):
                self.hits.append((place, tag))

    def summary(self) -> str:
        return (
            f"plaintext scan: {len(self.places)} places read ({', '.join(self.places)}), "
            f"{self.bytes_scanned:,} bytes scanned, hits = {len(self.hits)} {self.hits}"
        )


def readable_forms(phrase: str) -> list[bytes]:
    """The phrase as UTF-8, and the part of its base64 that is the same wherever it starts."""
    raw = phrase.encode("utf-8")
    forms = [raw]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw)
        start = 4 if offset else 0  # the first group holds the padding bytes
        end = len(encoded) - 4  # the last group depends on what follows
        if end - start >= 8:
            forms.append(encoded[start:end])
    return forms


def scan_sqlite(database: Path, phrases: dict[str, str]) -> Scan:
    """The database file, and its -wal and -shm files when they exist, byte for byte."""
    scan = Scan()
    for suffix in ("", "-wal", "-shm"):
        path = database.with_name(database.name + suffix)
        if path.exists():
            scan.read(path.name, path.read_bytes(), phrases)
    return scan


async def scan_postgres(
    dsn: str, phrases: dict[str, str], *, cipher: FieldCipher | None = None
) -> Scan:
    """Every table of the public schema, each row as PostgreSQL renders it as text; with a
    cipher, its ciphertexts opened first (to see that the phrases are there, sealed)."""
    scan = Scan()
    connection = await asyncpg.connect(dsn)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        for (table,) in tables:
            rows = await connection.fetch(f'SELECT t::text FROM public."{table}" t')  # noqa: S608
            content = "\n".join(row[0] for row in rows)
            scan.read(table, with_tokens_opened(content, cipher).encode("utf-8"), phrases)
    finally:
        await connection.close()
    return scan
