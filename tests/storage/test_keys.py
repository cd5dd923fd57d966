"""The key's fingerprint in the database: recorded on first use, checked at every start, and
the key file's place beside a SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage.crypto import FieldCipher, key_fingerprint
from peerbot.storage.keys import (
    KeyMismatch,
    check_key,
    encrypted_columns,
    sqlite_key_file,
    stored_fingerprint,
)
from peerbot.storage.models import KeyFingerprint, Person

Factory = async_sessionmaker[AsyncSession]


def test_a_fingerprint_names_a_key_without_revealing_it() -> None:
    key = FieldCipher.generate_key()
    fingerprint = key_fingerprint(key)
    assert len(fingerprint) == 16
    assert fingerprint == key_fingerprint(f" {key}\n")
    assert fingerprint != key_fingerprint(FieldCipher.generate_key())
    assert fingerprint not in key
    assert FieldCipher(f"{FieldCipher.generate_key()},{key}").fingerprints[1] == fingerprint


async def test_first_use_records_the_first_key_and_a_later_start_with_another_stops(
    session_factory: Factory,
) -> None:
    key, other = FieldCipher.generate_key(), FieldCipher.generate_key()
    async with session_factory() as session:
        assert await check_key(session, FieldCipher(key)) == key_fingerprint(key)
    async with session_factory() as session:
        await check_key(session, FieldCipher(key))  # the same key: fine
        assert await stored_fingerprint(session) == key_fingerprint(key)
    async with session_factory() as session:
        with pytest.raises(KeyMismatch) as raised:
            await check_key(session, FieldCipher(other))
    message = str(raised.value)
    assert "\n" not in message and key not in message and other not in message
    assert key_fingerprint(key) in message and "peerbot keys rotate" in message
    async with session_factory() as session:  # any key of the list may be the database's
        await check_key(session, FieldCipher(f"{other},{key}"))
        assert await stored_fingerprint(session) == key_fingerprint(key)


async def test_a_database_from_before_fingerprints_is_checked_against_its_free_text(
    session_factory: Factory,
) -> None:
    old, new = FieldCipher.generate_key(), FieldCipher.generate_key()
    async with session_factory() as session, session.begin():
        session.add(
            Person(
                telegram_user_id=7,
                pseudonym="P-7",
                display_name_enc=FieldCipher(old).encrypt("Ana"),
            )
        )
    async with session_factory() as session:
        with pytest.raises(KeyMismatch):
            await check_key(session, FieldCipher(new))
    async with session_factory() as session:
        assert await stored_fingerprint(session) is None
    async with session_factory() as session:
        # new first, old second: the database is the old key's, as its text says
        assert await check_key(session, FieldCipher(f"{new},{old}")) == key_fingerprint(old)


async def test_a_read_only_command_records_nothing(session_factory: Factory) -> None:
    key = FieldCipher.generate_key()
    async with session_factory() as session:
        await check_key(session, FieldCipher(key), record=False)
        assert (await session.scalars(select(KeyFingerprint))).all() == []


def test_every_encrypted_column_is_found() -> None:
    names = {f"{table.name}.{column.name}" for table, column in encrypted_columns()}
    assert {
        "people.display_name_enc",
        "people.username_enc",
        "answers.value_enc",
        "support_requests.summary_enc",
        "supporter_profiles.region_enc",
        "supporter_profiles.bio_enc",
        "contact_notes.note_enc",
        "escalation_events.note_enc",
        "processed_updates.payload_enc",
        "invites.note_enc",
    } <= names


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///peerbot.sqlite3", Path(".peerbot-key")),
        ("sqlite+aiosqlite:////data/bot/peerbot.sqlite3", Path("/data/bot/.peerbot-key")),
        ("sqlite+aiosqlite:///file:/srv/p.db?mode=rwc&uri=true", Path("/srv/.peerbot-key")),
        ("sqlite+aiosqlite://", None),
        ("sqlite+aiosqlite:///:memory:", None),
    ],
)
def test_the_key_file_lives_beside_the_database(url: str, expected: Path | None) -> None:
    assert sqlite_key_file(url) == expected
