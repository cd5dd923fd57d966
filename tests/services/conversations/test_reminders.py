"""Idle conversations get one reminder, then expire; stopped people get neither message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from peerbot.program import load_program
from peerbot.services.conversations import reminders
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import ConversationStatus, PersonStatus
from peerbot.storage.models import Conversation, OutboxMessage, Person
from tests.support.rows import begin_conversation
from tests.support.supporter_steps import context

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PROGRAM = load_program()


async def make_conversation(
    session_factory,
    *,
    chat_id: int,
    person_status=None,
    flow: str = "intake",
    language: str = "es",
) -> int:
    async with session_factory() as session, session.begin():
        person_id = None
        if person_status is not None:
            person = Person(
                telegram_user_id=chat_id,
                pseudonym=new_pseudonym(),
                language=language,
                status=person_status,
            )
            session.add(person)
            await session.flush()
            person_id = person.id
        return await begin_conversation(session, chat_id, T0, person_id=person_id, flow=flow)


async def tick(session_factory, now: datetime) -> None:
    async with session_factory() as session, session.begin():
        ctx = context(session, now)
        await reminders.remind_idle(ctx)
        await reminders.expire_idle(ctx)


async def texts_sent(session_factory, chat_id: int) -> list[str]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id)
            .order_by(OutboxMessage.id)
        )
        return [row.payload["text"] for row in rows]


async def test_one_reminder_after_the_idle_time_in_the_persons_language(session_factory):
    await make_conversation(session_factory, chat_id=11, person_status=PersonStatus.ACTIVE)
    await tick(session_factory, T0 + timedelta(hours=23))
    assert await texts_sent(session_factory, 11) == []
    await tick(session_factory, T0 + timedelta(hours=24))
    await tick(session_factory, T0 + timedelta(hours=30))
    assert await texts_sent(session_factory, 11) == [PROGRAM.texts.get("reminder.idle", "es")]


async def test_expiry_closes_the_conversation_and_says_how_to_pick_up(session_factory):
    conversation_id = await make_conversation(
        session_factory, chat_id=12, person_status=PersonStatus.ACTIVE, language="en"
    )
    await tick(session_factory, T0 + timedelta(days=7))
    await tick(session_factory, T0 + timedelta(days=8))
    sent = await texts_sent(session_factory, 12)
    assert sent[-1] == PROGRAM.texts.get("reminder.expired", "en")
    assert sent.count(PROGRAM.texts.get("reminder.expired", "en")) == 1
    async with session_factory() as session:
        conversation = await session.get(Conversation, conversation_id)
    assert conversation is not None and conversation.status == ConversationStatus.EXPIRED


async def test_an_expired_consent_conversation_leaves_nothing_behind(session_factory):
    conversation_id = await make_conversation(session_factory, chat_id=13, flow="consent")
    await tick(session_factory, T0 + timedelta(days=7))
    async with session_factory() as session:
        assert await session.get(Conversation, conversation_id) is None
    assert await texts_sent(session_factory, 13) == [
        PROGRAM.texts.get("reminder.idle", "en"),
        PROGRAM.texts.get("reminder.expired", "en"),
    ]


async def test_a_stopped_person_gets_no_reminder(session_factory):
    await make_conversation(session_factory, chat_id=14, person_status=PersonStatus.STOPPED)
    await tick(session_factory, T0 + timedelta(days=8))
    assert await texts_sent(session_factory, 14) == []
