"""claim_many: due check-ins held by their ids, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.storage import checkins
from peerbot.storage.enums import CheckinKind, CheckinStatus
from peerbot.storage.models import Checkin, Person

Factory = async_sessionmaker[AsyncSession]
NOW = datetime(2027, 3, 8, 18, 0, tzinfo=UTC)
PSEUDONYMS = (f"S-{n:04d}" for n in count(1))


async def scheduled(factory: Factory, how_many: int, **values: Any) -> list[int]:
    """Ids of check-ins of one new supporter, due an hour apart, the last an hour before NOW."""
    async with factory() as session, session.begin():
        person = Person(pseudonym=next(PSEUDONYMS))
        session.add(person)
        await session.flush()
        rows = [
            Checkin(
                person_id=person.id,
                kind=CheckinKind.SUPPORTER_WELLBEING,
                due_at=NOW - timedelta(hours=how_many - n),
                **values,
            )
            for n in range(how_many)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def test_claim_many_holds_only_scheduled_unheld_rows_oldest_first(
    session_factory: Factory,
) -> None:
    free = await scheduled(session_factory, 3)
    [sent] = await scheduled(session_factory, 1, status=CheckinStatus.SENT)
    [held] = await scheduled(session_factory, 1, claimed_until=NOW + timedelta(minutes=1))
    [lapsed] = await scheduled(session_factory, 1, claimed_until=NOW)
    until = NOW + timedelta(minutes=5)

    async with session_factory() as session, session.begin():
        wanted = [*reversed(free), sent, held, lapsed]
        claimed = await checkins.claim_many(session, wanted, now=NOW, until=until)

    assert [row.id for row in claimed] == [*free, lapsed]  # by due time, then id
    async with session_factory() as session:
        rows = {row.id: row for row in await session.scalars(select(Checkin))}
    assert all(rows[row_id].claimed_until == until for row_id in (*free, lapsed))
    assert rows[sent].claimed_until is None
    assert rows[held].claimed_until == NOW + timedelta(minutes=1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_claim_many_finds_the_rows_by_id_not_by_status_on_sqlite(
    engine: AsyncEngine, session_factory: Factory
) -> None:
    ids = await scheduled(session_factory, 20)
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("UPDATE checkins"):
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with session_factory() as session, session.begin():
            await checkins.claim_many(session, ids[:5], now=NOW, until=NOW + timedelta(minutes=5))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    [(statement, parameters)] = statements
    async with engine.connect() as connection:
        plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        details = [row[3] for row in plan]
    assert any("PRIMARY KEY" in detail for detail in details), details
    assert not any("ix_checkins_status_due_at" in detail for detail in details), details
