"""Key rotation: every encrypted value moves onto the first key, in batches, and a rotation
stopped midway is finished by running it again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.storage import outbox
from peerbot.storage.clock import utcnow
from peerbot.storage.crypto import DecryptionError, FieldCipher, key_fingerprint
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.key_rotation import rotate_keys
from peerbot.storage.keys import check_key, stored_fingerprint
from peerbot.storage.models import (
    Answer,
    Conversation,
    Invite,
    OutboxMessage,
    Person,
    ProcessedUpdate,
    Role,
)

Factory = async_sessionmaker[AsyncSession]


class Stop(Exception):
    """Stands for an operator's Ctrl-C midway."""


async def _seed(session_factory: Factory, cipher: FieldCipher) -> None:
    async with session_factory() as session, session.begin():
        people = [
            Person(
                telegram_user_id=100 + n,
                pseudonym=f"P-{n}",
                display_name_enc=cipher.encrypt(f"name {n}"),
                username_enc=cipher.encrypt(f"user{n}") if n % 2 else None,
            )
            for n in range(5)
        ]
        session.add_all(people)
        await session.flush()
        conversation = Conversation(
            chat_id=100,
            person_id=people[0].id,
            flow="intake",
            step="summary",
            state={
                "engine": {
                    "answers": {
                        "anything_else": {"sealed": cipher.encrypt("I feel alone")},
                        "topic": "stress",
                    }
                },
                "meta": {},
            },
        )
        session.add(conversation)
        await session.flush()
        session.add(
            Answer(
                person_id=people[0].id,
                conversation_id=conversation.id,
                flow="intake",
                question="anything_else",
                value_enc=cipher.encrypt("I feel alone"),
            )
        )
        session.add(ProcessedUpdate(update_id=1, payload_enc=cipher.encrypt('{"update_id": 1}')))
        session.add(
            Invite(
                code_hash="h" * 64,
                role=Role.SUPPORTER,
                expires_at=utcnow() + timedelta(days=1),
                note_enc=cipher.encrypt("March training"),
            )
        )


async def _everything_opens_with(session_factory: Factory, key: str) -> None:
    only_new = FieldCipher(key)
    async with session_factory() as session:
        for person in (await session.scalars(select(Person).order_by(Person.id))).all():
            name = only_new.decrypt(person.display_name_enc)
            assert name == f"name {person.telegram_user_id - 100}"
            assert person.username_enc is None or only_new.decrypt(person.username_enc)
        answer = await session.scalar(select(Answer))
        assert answer is not None and only_new.decrypt(answer.value_enc) == "I feel alone"
        update = await session.scalar(select(ProcessedUpdate))
        assert update is not None and only_new.decrypt(update.payload_enc) == '{"update_id": 1}'
        invite = await session.scalar(select(Invite))
        assert invite is not None and only_new.decrypt(invite.note_enc) == "March training"
        conversation = await session.scalar(select(Conversation))
        assert conversation is not None
        answers = conversation.state["engine"]["answers"]
        assert only_new.decrypt(answers["anything_else"]["sealed"]) == "I feel alone"
        assert answers["topic"] == "stress"


async def test_rotation_moves_every_value_onto_the_first_key_and_records_it(
    session_factory: Factory,
) -> None:
    old, new = FieldCipher.generate_key(), FieldCipher.generate_key()
    await _seed(session_factory, FieldCipher(old))
    async with session_factory() as session:
        await check_key(session, FieldCipher(old))
    seen: list[tuple[str, int, int]] = []

    report = await rotate_keys(
        session_factory,
        FieldCipher(f"{new},{old}"),
        progress=lambda *step: seen.append(step),
        batch_size=2,
    )

    assert report.finished
    # names, usernames, the answer, the update, the invite's note, the conversation's answer
    assert report.rotated == 5 + 2 + 1 + 1 + 1 + 1
    await _everything_opens_with(session_factory, new)
    assert ("people", 2, 5) in seen and ("people", 5, 5) in seen  # in batches, with progress
    async with session_factory() as session:
        await check_key(session, FieldCipher(new))  # the old key can go now
        assert await stored_fingerprint(session) == key_fingerprint(new)
        version = await session.scalar(select(Conversation.version))
    assert version == 2  # a bot holding the conversation's old state retries, never overwrites


async def test_a_rotation_stopped_midway_finishes_when_run_again(session_factory: Factory) -> None:
    old, new = FieldCipher.generate_key(), FieldCipher.generate_key()
    await _seed(session_factory, FieldCipher(old))
    async with session_factory() as session:
        await check_key(session, FieldCipher(old))
    both = FieldCipher(f"{new},{old}")

    def stop_after_first_batch(table: str, seen: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        await rotate_keys(session_factory, both, progress=stop_after_first_batch, batch_size=2)
    async with session_factory() as session:
        assert await stored_fingerprint(session) == key_fingerprint(old)  # not done yet

    report = await rotate_keys(session_factory, both, progress=lambda *_: None, batch_size=2)

    assert report.finished
    assert report.rotated == 11 - 3  # the first batch (two names, a username) was done
    await _everything_opens_with(session_factory, new)
    again = await rotate_keys(session_factory, both, progress=lambda *_: None)
    assert again.rotated == 0


async def test_a_value_no_key_opens_stops_the_rotation_naming_its_column(
    session_factory: Factory,
) -> None:
    await _seed(session_factory, FieldCipher(FieldCipher.generate_key()))
    with pytest.raises(DecryptionError, match="people.display_name_enc"):
        await rotate_keys(
            session_factory, FieldCipher(FieldCipher.generate_key()), progress=lambda *_: None
        )


async def test_a_queued_message_moves_onto_the_first_key_and_is_still_sent_whole(
    database_url: str, engine: AsyncEngine
) -> None:
    old, new = FieldCipher.generate_key(), FieldCipher.generate_key()
    payload = {"text": "what I told you on Monday"}
    before = create_engine(database_url, cipher=FieldCipher(old))  # the bot before the new key
    after = create_engine(database_url, cipher=FieldCipher(f"{new},{old}"))
    try:
        async with make_session_factory(before)() as session, session.begin():
            await outbox.enqueue(session, chat_id=5, payload=payload, now=utcnow())

        report = await rotate_keys(
            make_session_factory(after), FieldCipher(f"{new},{old}"), progress=lambda *_: None
        )

        assert report.rotated == 1
        async with make_session_factory(after)() as session:
            stored = await session.scalar(text("SELECT payload_enc FROM outbox_messages"))
            assert json.loads(FieldCipher(new).decrypt(stored) or "") == payload
            assert (await session.scalars(select(OutboxMessage))).one().payload == payload
    finally:
        await before.dispose()
        await after.dispose()
