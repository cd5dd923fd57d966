"""The update processor: one chat in order, chats in parallel, one transaction per update."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from peerbot.bot.processing import RETRY_DELAYS, ChatOrderedUpdateProcessor, current_scope
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
            current_scope().fail(None)
        self.events.append(("end", chat_id, update.update_id))

    async def screen_first(self, session, update, scope) -> None:
        """Nothing to screen in these updates (bot/safety.py has its own tests)."""

    async def before_commit(self, session, scope) -> None:
        self.commits_seen = getattr(self, "commits_seen", 0) + 1

    async def on_failure(self, session, scope) -> None:
        self.apologies.append(scope.chat_id)

    def start_again(self, scope) -> None:
        self.tries_again = getattr(self, "tries_again", 0) + 1

    def woke(self) -> None:
        self.commits += 1


def make_processor(session_factory, recorder: Recorder) -> ChatOrderedUpdateProcessor:
    return ChatOrderedUpdateProcessor(
        max_concurrent_updates=16,
        session_factory=session_factory,
        clock=utcnow,
        after_commit=recorder.woke,
        guard=recorder,
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


def locked() -> OperationalError:
    return OperationalError("UPDATE conversations", {}, Exception("database is locked"))


async def process_with_faults(
    session_factory, recorder: Recorder, update, fault_for_try: Callable[[], Exception | None]
) -> None:
    """Process ``update``; each try of its handler fails with what ``fault_for_try`` gives
    (None: that try succeeds)."""
    processor = make_processor(session_factory, recorder)

    async def handle(update) -> None:
        await recorder.handle(update, pause=0)
        fault = fault_for_try()
        if fault is not None:
            current_scope().fail(fault)

    processor.redo = handle
    await processor.process_update(update, handle(update))


async def test_passing_database_fault_is_tried_again_and_succeeds(session_factory):
    recorder = Recorder()
    update = message_update(707, "hello")
    faults = iter([locked()])

    await process_with_faults(session_factory, recorder, update, lambda: next(faults, None))

    assert recorder.apologies == [], "a fault that passes is not the person's problem"
    starts = [e for e in recorder.events if e[0] == "start"]
    assert len(starts) == 2
    async with session_factory() as session:
        replies = (await session.scalars(select(OutboxMessage))).all()
        marker = await session.get(ProcessedUpdate, update.update_id)
    assert len(replies) == 1, "the undone try leaves nothing behind"
    assert marker is not None and marker.outcome == "ok"


async def test_fault_that_does_not_pass_fails_the_update_after_a_few_tries(session_factory):
    recorder = Recorder()
    update = message_update(808, "hello")

    await process_with_faults(session_factory, recorder, update, locked)

    assert len([e for e in recorder.events if e[0] == "start"]) == 1 + len(RETRY_DELAYS)
    assert recorder.tries_again == len(RETRY_DELAYS), "the guard heard of every further try"
    assert recorder.apologies == [808]
    async with session_factory() as session:
        marker = await session.get(ProcessedUpdate, update.update_id)
    assert marker is not None and marker.outcome == "error"


async def test_an_error_that_is_not_passing_is_not_tried_again(session_factory):
    recorder = Recorder()
    update = message_update(909, "hello")

    await process_with_faults(session_factory, recorder, update, lambda: KeyError("missing text"))

    assert len([e for e in recorder.events if e[0] == "start"]) == 1
    assert recorder.apologies == [909]
