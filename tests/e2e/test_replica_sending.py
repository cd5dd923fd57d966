"""The outbox across three webhook replicas on PostgreSQL: one sender at a time, within
Telegram's limits, and another replica takes over when the sending one is SIGKILLed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks.evening import FIRST_SUPPORTER_ID, seed_supporters
from peerbot.emulator.fake_telegram import FakeBotApi
from peerbot.storage.enums import OutboxStatus
from peerbot.storage.models import OutboxMessage
from tests.support.figures import report
from tests.support.replicas import Replicas

pytestmark = pytest.mark.e2e

GROUP = -1001234567890
SUPPORTERS = 240  # eight seconds of check-ins at Telegram's 30 messages a second


def reached(api: FakeBotApi, chats: range) -> int:
    """Supporters whose check-in Telegram has accepted."""
    return sum(1 for chat in chats if api.messages(chat))


def busiest_second(api: FakeBotApi) -> int:
    """The most messages Telegram accepted within any one second."""
    times = sorted(r.time for r in api.calls("sendMessage") if r.status == 200)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def outbox_by_chat(
    sessions: async_sessionmaker[AsyncSession], status: OutboxStatus | None = None
) -> dict[int, int]:
    """Outbox rows per chat (of one status, or all)."""
    query = select(OutboxMessage.chat_id, func.count()).group_by(OutboxMessage.chat_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status.value)
    async with sessions() as session:
        return {chat: count for chat, count in await session.execute(query)}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_three_replicas_send_a_round_within_the_limits_and_outlive_their_sender_killed(
    api: FakeBotApi,
    database_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    await seed_supporters(database_url, SUPPORTERS)
    supporters = range(FIRST_SUPPORTER_ID, FIRST_SUPPORTER_ID + SUPPORTERS)
    api.group(chat_id=GROUP)
    for chat in supporters:
        api.private_user(user_id=chat, first_name="Sam")
    api.enforce_rate_limits(
        per_private_chat_per_s=1, per_group_per_min=20, global_per_s=30, private_burst=2
    )
    replicas = Replicas(api.url, database_url, 3, tmp_path, coordinator_chat_id=str(GROUP))
    try:
        await replicas.start()
        # every replica's scheduler passes from 15 s after start; the sender paces the round
        await api.wait_until(lambda: reached(api, supporters) >= SUPPORTERS // 4, timeout=60)
        (leader,) = replicas.sender_indexes()
        replicas.kill(leader)
        killed_at = time.monotonic()
        await asyncio.sleep(0.5)  # a send already on the wire may still be accepted
        accepted = {chat for chat in supporters if api.messages(chat)}
        recorded = set(await outbox_by_chat(session_factory, OutboxStatus.SENT))
        # accepted by Telegram but not yet marked sent by the dead replica: these alone can
        # be sent again (Telegram has no idempotency key); any other row must go out once
        in_doubt = accepted - recorded
        assert len(accepted) < SUPPORTERS, "the round was over before the kill"

        await api.wait_until(
            lambda: reached(api, supporters) == SUPPORTERS,
            timeout=120,
            interval=0.2,
            message="not every supporter got a check-in after the sender was killed",
        )
        await api.wait_until(lambda: _all_sent(session_factory), timeout=20, interval=0.2)
        await asyncio.sleep(1.5)  # time enough for any duplicate to show up

        assert len(replicas.sender_indexes()) == 1, "one other replica took over the sender"
        after = [r for r in api.calls("sendMessage") if r.status == 200 and r.time > killed_at]
        assert after, "the new sender delivered the rest of the round"
        queued = await outbox_by_chat(session_factory)
        assert {chat: queued.get(chat) for chat in supporters} == dict.fromkeys(supporters, 1)
        twice = {chat for chat in supporters if len(api.messages(chat)) > 1}
        assert twice <= in_doubt
        assert all(len(api.messages(chat)) <= 2 for chat in supporters)
        assert api.rate_limit_hits == []
        assert busiest_second(api) <= 30
        report(
            request.config,
            f"outbox, three replicas: {len(accepted)} of {SUPPORTERS} check-ins accepted before "
            f"the sender was killed, {len(in_doubt)} in doubt, {len(twice)} sent twice; "
            f"busiest second {busiest_second(api)} messages, 429s {len(api.rate_limit_hits)}",
        )
    finally:
        await replicas.close()


async def _all_sent(sessions: async_sessionmaker[AsyncSession]) -> bool:
    query = select(func.count()).where(OutboxMessage.status != OutboxStatus.SENT.value)
    async with sessions() as session:
        return await session.scalar(query) == 0
