"""The replicas' inbox on SQLite and PostgreSQL: per-chat chains in order, leases, expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage import inbox, processed_updates
from peerbot.storage.models import ProcessedUpdate

Factory = async_sessionmaker[AsyncSession]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def store(factory: Factory, *updates: tuple[int, int | None]) -> list[bool]:
    """Record (update_id, chat_id) pairs as the webhook does."""
    async with factory() as session, session.begin():
        return [
            await inbox.record(
                session, update_id=update_id, chat_id=chat_id, payload_enc=f"p{update_id}", now=T0
            )
            for update_id, chat_id in updates
        ]


async def claim(
    factory: Factory, replica: str = "a", *, now: datetime = T0, limit: int = 10, longest: int = 20
) -> list[list[int]]:
    async with factory() as session, session.begin():
        chains = await inbox.claim_chains(
            session, replica_id=replica, now=now, lease=LEASE, limit=limit, longest=longest
        )
    return [[row.update_id for row in chain] for chain in chains]


async def process(factory: Factory, *update_ids: int) -> None:
    for update_id in update_ids:
        async with factory() as session, session.begin():
            assert await processed_updates.claim(session, update_id, T0)


async def test_a_duplicate_update_is_stored_once(session_factory: Factory) -> None:
    assert await store(session_factory, (1, 10)) == [True]
    assert await store(session_factory, (1, 10)) == [False]
    async with session_factory() as session:
        rows = (await session.scalars(select(ProcessedUpdate))).all()
    assert [(row.update_id, row.chat_id, row.payload_enc) for row in rows] == [(1, 10, "p1")]


async def test_each_chat_is_one_chain_in_update_order(session_factory: Factory) -> None:
    await store(session_factory, (1, 10), (2, 20), (3, 10), (4, 30), (5, 10), (6, 20))

    assert await claim(session_factory) == [[1, 3, 5], [2, 6], [4]]
    assert await claim(session_factory, "b") == [], "everything is leased"


async def test_a_chats_next_update_waits_until_the_earlier_one_is_processed(
    session_factory: Factory,
) -> None:
    await store(session_factory, (1, 10), (2, 10), (3, 20))
    assert await claim(session_factory, limit=2, longest=1) == [[1], [3]]

    await store(session_factory, (4, 20))
    assert await claim(session_factory, "b") == [], "1 and 3 are not processed yet"

    await process(session_factory, 1)
    assert await claim(session_factory, "b") == [[2]]
    await process(session_factory, 3)
    assert await claim(session_factory, "b") == [[4]]


async def test_limit_counts_every_update_of_the_chains(session_factory: Factory) -> None:
    await store(session_factory, (1, 10), (2, 10), (3, 10), (4, 20))
    assert await claim(session_factory, limit=2) == [[1], [4]]
    assert await claim(session_factory, "b", limit=2) == []


async def test_an_expired_lease_lets_another_replica_take_the_chain_over(
    session_factory: Factory,
) -> None:
    await store(session_factory, (1, 10), (2, 10))
    assert await claim(session_factory, "a") == [[1, 2]]
    assert await claim(session_factory, "b", now=T0 + LEASE / 2) == []

    assert await claim(session_factory, "b", now=T0 + LEASE) == [[1, 2]]
    async with session_factory() as session:
        owners = (await session.scalars(select(ProcessedUpdate.claimed_by))).all()
    assert owners == ["b", "b"]


async def test_release_gives_back_only_my_unprocessed_leases(session_factory: Factory) -> None:
    await store(session_factory, (1, 10), (2, 10))
    assert await claim(session_factory, "a") == [[1, 2]]
    await store(session_factory, (3, 20))
    assert await claim(session_factory, "b") == [[3]]
    await process(session_factory, 1)

    async with session_factory() as session, session.begin():
        assert await inbox.release(session, replica_id="a") == 1

    assert await claim(session_factory, "c") == [[2]]
    assert await claim(session_factory, "c") == [], "3 is still b's"


async def test_updates_without_a_chat_are_claimed_one_by_one(session_factory: Factory) -> None:
    await store(session_factory, (1, None), (2, None))
    assert await claim(session_factory) == [[1], [2]]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_claimers_skip_each_others_chats(session_factory: Factory) -> None:
    await store(session_factory, (1, 10), (2, 10), (3, 20), (4, 30))

    async with session_factory() as first, session_factory() as second, first.begin():
        held = await inbox.claim_chains(
            first, replica_id="a", now=T0, lease=LEASE, limit=1, longest=1
        )
        # the first transaction still holds its row lock; its lease is not committed
        async with second.begin():
            taken = await asyncio.wait_for(
                inbox.claim_chains(second, replica_id="b", now=T0, lease=LEASE, limit=10),
                timeout=5,
            )

    assert [[row.update_id for row in chain] for chain in held] == [[1]]
    assert [[row.update_id for row in chain] for chain in taken] == [[3], [4]]
