"""Fixtures for the sender and call-adapter tests: the fake Bot API, a real bot, a sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import ExtBot

from peerbot.bot.pacing import ChatPacer
from peerbot.bot.sender import OutboxSender, SenderTuning
from peerbot.emulator.fake_telegram import FakeBotApi
from peerbot.storage.clock import utcnow

TOKEN = "424242:TEST-token_abc"

# The application's knobs with the waits shortened so a test takes seconds, not minutes.
FAST = SenderTuning(idle_poll_seconds=0.1, backoff_base_seconds=0.05, backoff_max_seconds=0.5)

MakeSender = Callable[..., OutboxSender]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API server on a free port."""
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[ExtBot[None]]:
    """The real python-telegram-bot client, as the application has it (the outbox paces)."""
    client: ExtBot[None] = ExtBot(TOKEN, base_url=f"{api.url}/bot")
    await client.initialize()
    yield client
    await client.shutdown()


@pytest.fixture
def make_sender(
    session_factory: async_sessionmaker[AsyncSession], bot: ExtBot[None]
) -> MakeSender:
    """Build an OutboxSender on the test database; keyword arguments override the tuning."""

    def build(pacer: ChatPacer | None = None, **tuning: float) -> OutboxSender:
        return OutboxSender(
            session_factory=session_factory,
            bot=bot,
            clock=utcnow,
            pacer=pacer,
            tuning=replace(FAST, **tuning),
        )

    return build


@pytest.fixture
async def start_sender() -> AsyncIterator[Callable[[OutboxSender], asyncio.Task[None]]]:
    """Run a sender's loop as a task; whatever still runs at the end is stopped."""
    running: list[tuple[OutboxSender, asyncio.Task[None]]] = []

    def start(sender: OutboxSender) -> asyncio.Task[None]:
        task = asyncio.create_task(sender.run())
        running.append((sender, task))
        return task

    yield start
    for sender, task in running:
        if not task.done():
            await sender.stop(grace_seconds=0)
        await asyncio.wait_for(task, timeout=10)
