"""The update processor: one chat in order, chats in parallel, one transaction per update."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from peerbot.bot.processing import ChatOrderedUpdateProcessor, current_scope
from peerbot.storage import outbox
from peerbot.storage.clock import utcnow
from peerbot.storage.models import OutboxMessage, ProcessedUpdate
from tests.support.updates import message_update


class Recorder:
    """Handler stand-in: records when each update starts and ends, and writes an outbox row.

    The pause is long enough for another chat to start meanwhile on a busy machine.
    """

    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []
        self.commits = 0
        self.apologies: list[int | None] = []

    async def handle(self, update, *, fail: bool = False, pause: float = 0.3) -> None:
        chat_id = update.effective_chat.id
        self.events.append(("start", chat_id, update.update_id))
        await outbox.enqueue(
            current_scope().session,
            chat_id=chat_id,
            payload={"text": f"reply to {update.update_id}"},
            now=utcnow(),
        )
        await asyncio.sleep(pause)
        if fail:
            current_scope().failed = True
        self.events.append(("end", chat_id, update.update_id))

    async def apologise(self, session, scope) -> None:
        self.apologies.append(scope.chat_id)

    def woke(self) -> None:
        self.commits += 1


def make_processor(session_factory, recorder: Recorder) -> ChatOrderedUpdateProcessor:
    return ChatOrderedUpdateProcessor(
        max_concurrent_updates=16,
        session_factory=session_factory,
        clock=utcnow,
        after_commit=recorder.woke,
        on_failure=recorder.apologise,
        single_writer=session_factory.kw["bind"].dialect.name == "sqlite",
    )


async def test_one_chat_in_order_different_chats_in_parallel(session_factory):
    """On PostgreSQL chats overlap; SQLite takes one writer at a time, so there only order."""
    recorder = Recorder()
    processor = make_processor(session_factory, recorder)
    updates = [message_update(chat, f"m{i}") for i in range(4) for chat in (101, 202)]

    await asyncio.gather(*(processor.process_update(u, recorder.handle(u)) for u in updates))

    for chat in (101, 202):
        mine = [(kind, uid) for kind, c, uid in recorder.events if c == chat]
        expected = [u.update_id for u in updates if u.effective_chat.id == chat]
        assert [uid for kind, uid in mine if kind == "start"] == expected
        assert all(
            mine[i][0] == "start" and mine[i + 1][0] == "end" for i in range(0, len(mine), 2)
        ), "a chat's updates overlapped"
    if session_factory.kw["bind"].dialect.name == "sqlite":
        return
    first_end = next(i for i, e in enumerate(recorder.events) if e[0] == "end")
    starts_before = {c for kind, c, _ in recorder.events[:first_end] if kind == "start"}
    assert starts_before == {101, 202}, "different chats should run at the same time"


async def test_redelivered_update_has_no_effect(session_factory):
    recorder = Recorder()
    processor = make_processor(session_factory, recorder)
    update = message_update(303, "/help")

    await processor.process_update(update, recorder.handle(update))
    again = message_update(303, "/help", update_id=update.update_id)
    await processor.process_update(again, recorder.handle(again))

    assert [e[0] for e in recorder.events] == ["start", "end"]
    async with session_factory() as session:
        replies = (await session.scalars(select(OutboxMessage))).all()
    assert len(replies) == 1


async def test_failed_update_is_rolled_back_marked_and_apologised_for(session_factory):
    recorder = Recorder()
    processor = make_processor(session_factory, recorder)
    update = message_update(404, "boom")

    await processor.process_update(update, recorder.handle(update, fail=True))

    assert recorder.apologies == [404]
    async with session_factory() as session:
        replies = (await session.scalars(select(OutboxMessage))).all()
        marker = await session.get(ProcessedUpdate, update.update_id)
    assert replies == [], "the failed update's own writes must be undone"
    assert marker is not None and marker.outcome == "error"

    # a redelivery of the failed update is not retried forever
    retry = message_update(404, "boom", update_id=update.update_id)
    await processor.process_update(retry, recorder.handle(retry))
    assert len([e for e in recorder.events if e[0] == "start"]) == 1


async def test_sender_is_woken_after_each_committed_update(session_factory):
    recorder = Recorder()
    processor = make_processor(session_factory, recorder)
    updates = [message_update(505, "a"), message_update(606, "b")]
    await asyncio.gather(*(processor.process_update(u, recorder.handle(u)) for u in updates))
    assert recorder.commits == 2
