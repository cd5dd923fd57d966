"""Inbound update log on SQLite and PostgreSQL: store once, process once, redo after a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage import processed_updates
from peerbot.storage.models import ProcessedUpdate

Factory = async_sessionmaker[AsyncSession]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


class Crash(Exception):
    """Raised inside a transaction to roll it back, as a failing handler would."""


async def record(factory: Factory, *updates: tuple[int, str], now: datetime = T0) -> int:
    async with factory() as session, session.begin():
        return await processed_updates.record_received(session, list(updates), now=now)


async def claim(
    factory: Factory, update_id: int, *, now: datetime = T0, outcome: str = "ok"
) -> bool:
    async with factory() as session, session.begin():
        return await processed_updates.claim(session, update_id, now, outcome=outcome)


async def unprocessed(factory: Factory) -> list[tuple[int, str]]:
    async with factory() as session:
        return list(await processed_updates.unprocessed(session))


async def stored(factory: Factory) -> dict[int, ProcessedUpdate]:
    async with factory() as session:
        rows = (await session.scalars(select(ProcessedUpdate))).all()
    return {row.update_id: row for row in rows}


async def next_offset(factory: Factory) -> int | None:
    async with factory() as session:
        return await processed_updates.next_offset(session)


async def test_record_received_stores_updates_and_ignores_duplicates(
    session_factory: Factory,
) -> None:
    assert await record(session_factory) == 0
    assert await record(session_factory, (1, "cipher 1"), (2, "cipher 2")) == 2
    assert await record(session_factory, (2, "cipher 2 again"), (3, "cipher 3")) == 1

    assert await unprocessed(session_factory) == [
        (1, "cipher 1"),
        (2, "cipher 2"),
        (3, "cipher 3"),
    ]
    rows = await stored(session_factory)
    assert rows[1].received_at == T0
    assert rows[1].processed_at is None


async def test_claim_of_a_stored_update_succeeds_once_and_clears_its_payload(
    session_factory: Factory,
) -> None:
    await record(session_factory, (5, "cipher 5"))

    assert await claim(session_factory, 5, now=T0 + DAY, outcome="ok") is True
    assert await claim(session_factory, 5, now=T0 + 2 * DAY, outcome="error") is False

    row = (await stored(session_factory))[5]
    assert row.processed_at == T0 + DAY
    assert row.outcome == "ok"
    assert row.payload_enc is None
    assert row.received_at == T0
    assert await unprocessed(session_factory) == []


async def test_claim_of_an_update_never_stored_succeeds_once(session_factory: Factory) -> None:
    assert await claim(session_factory, 9, outcome="error") is True
    assert await claim(session_factory, 9) is False

    row = (await stored(session_factory))[9]
    assert row.processed_at == T0
    assert row.outcome == "error"
    assert row.payload_enc is None
    # a late copy from getUpdates is not stored for replay
    assert await record(session_factory, (9, "cipher 9")) == 0
    assert await unprocessed(session_factory) == []


@pytest.mark.parametrize("was_stored", [True, False], ids=["stored", "not-stored"])
async def test_a_claim_rolled_back_leaves_the_update_to_redo(
    session_factory: Factory, was_stored: bool
) -> None:
    if was_stored:
        await record(session_factory, (7, "cipher 7"))

    with pytest.raises(Crash):
        async with session_factory() as session, session.begin():
            assert await processed_updates.claim(session, 7, T0) is True
            raise Crash

    assert await unprocessed(session_factory) == ([(7, "cipher 7")] if was_stored else [])
    assert await claim(session_factory, 7) is True
    assert await claim(session_factory, 7) is False


async def test_unprocessed_lists_stored_unprocessed_updates_oldest_first(
    session_factory: Factory,
) -> None:
    await record(session_factory, (30, "cipher 30"), (10, "cipher 10"))
    await record(session_factory, (20, "cipher 20"), now=T0 - DAY)
    await record(session_factory, (40, "cipher 40"))
    await claim(session_factory, 20)
    await claim(session_factory, 50)  # processed without being stored

    assert await unprocessed(session_factory) == [
        (10, "cipher 10"),
        (30, "cipher 30"),
        (40, "cipher 40"),
    ]


async def test_next_offset_follows_the_highest_update_id(session_factory: Factory) -> None:
    assert await next_offset(session_factory) is None

    await record(session_factory, (41, "cipher 41"), (40, "cipher 40"))
    assert await next_offset(session_factory) == 42

    await claim(session_factory, 50)
    assert await next_offset(session_factory) == 51


async def test_prune_removes_old_processed_ids_but_keeps_the_newest(
    session_factory: Factory,
) -> None:
    await record(session_factory, (1, "c1"), (2, "c2"), (3, "c3"), (4, "c4"))
    await claim(session_factory, 1, now=T0)
    await claim(session_factory, 2, now=T0)
    await claim(session_factory, 4, now=T0 + 2 * DAY)

    async with session_factory() as session, session.begin():
        assert await processed_updates.prune(session, processed_before=T0 + DAY) == 2
    # 3 is not processed yet, 4 is recent
    assert sorted(await stored(session_factory)) == [3, 4]
    assert await unprocessed(session_factory) == [(3, "c3")]

    await claim(session_factory, 3, now=T0)
    async with session_factory() as session, session.begin():
        assert await processed_updates.prune(session, processed_before=T0 + 3 * DAY) == 1
    # 4 is old now, but it is the newest: the getUpdates offset must survive
    assert sorted(await stored(session_factory)) == [4]
    assert await next_offset(session_factory) == 5
    assert await claim(session_factory, 4) is False
