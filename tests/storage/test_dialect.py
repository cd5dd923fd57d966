"""insert_ignore, skip_locked and not_for_index behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage.dialect import insert_ignore, not_for_index, skip_locked
from peerbot.storage.models import Checkin, OutboxMessage, ProcessedUpdate

Factory = async_sessionmaker[AsyncSession]


async def test_insert_ignore_inserts_once(session_factory: Factory) -> None:
    async with session_factory() as session, session.begin():
        first = await insert_ignore(session, ProcessedUpdate, {"update_id": 1}, ["update_id"])
        again = await insert_ignore(session, ProcessedUpdate, {"update_id": 1}, ["update_id"])
    assert (first, again) == (1, 0)
    async with session_factory() as session:
        row = (await session.scalars(select(ProcessedUpdate))).one()
    assert row.received_at.tzinfo is not None  # the column's Python default applied
    assert row.processed_at is None


async def test_insert_ignore_counts_only_new_rows_of_a_batch(session_factory: Factory) -> None:
    async with session_factory() as session, session.begin():
        await insert_ignore(session, ProcessedUpdate, [{"update_id": 2}], ["update_id"])
        batch = [{"update_id": number} for number in (1, 2, 3)]
        inserted = await insert_ignore(session, ProcessedUpdate.__table__, batch, ["update_id"])
        assert inserted == 2
        assert await insert_ignore(session, ProcessedUpdate, [], ["update_id"]) == 0
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 3


async def test_insert_ignore_on_a_unique_column(session_factory: Factory) -> None:
    message = {"chat_id": 1, "payload_enc": {"text": "x"}, "dedupe_key": "checkin:7"}
    async with session_factory() as session, session.begin():
        assert await insert_ignore(session, OutboxMessage, message, ["dedupe_key"]) == 1
        assert await insert_ignore(session, OutboxMessage, message, ["dedupe_key"]) == 0
    async with session_factory() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert (row.status, row.priority, row.attempts) == ("pending", 50, 0)


def test_skip_locked_adds_for_update_only_on_postgresql() -> None:
    statement = select(OutboxMessage).limit(5)
    locked = skip_locked(statement, "postgresql")
    assert "FOR UPDATE SKIP LOCKED" in str(locked.compile(dialect=postgresql.dialect()))
    unchanged = skip_locked(statement, "sqlite")
    assert unchanged is statement
    assert "FOR UPDATE" not in str(unchanged.compile(dialect=sqlite.dialect()))


def test_not_for_index_adds_a_unary_plus_only_on_sqlite() -> None:
    def where(dialect_name: str, dialect: Any) -> str:
        status = not_for_index(Checkin.status, dialect_name)
        statement = select(Checkin.id).where(status == "scheduled")
        return str(statement.compile(dialect=dialect)).split("WHERE ")[1]

    assert where("sqlite", sqlite.dialect()) == "(+ checkins.status) = ?"
    assert where("postgresql", postgresql.dialect()) == "checkins.status = %(status_1)s"


async def test_not_for_index_selects_the_same_rows(session_factory: Factory) -> None:
    async with session_factory() as session, session.begin():
        session.add_all(
            [ProcessedUpdate(update_id=1, outcome="handled"), ProcessedUpdate(update_id=2)]
        )
        await session.flush()
        column = not_for_index(ProcessedUpdate.outcome, session.get_bind().dialect.name)
        found = await session.scalars(select(ProcessedUpdate.update_id).where(column == "handled"))
        assert found.all() == [1]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_skip_locked_gives_concurrent_claimers_disjoint_rows(
    session_factory: Factory,
) -> None:
    async with session_factory() as session, session.begin():
        session.add_all(OutboxMessage(chat_id=chat, payload={}) for chat in range(4))

    def due(limit: int) -> Select[int]:
        return skip_locked(
            select(OutboxMessage.id).order_by(OutboxMessage.id).limit(limit), "postgresql"
        )

    async with (
        session_factory() as first,
        session_factory() as second,
        first.begin(),
        second.begin(),
    ):
        mine = set((await first.scalars(due(2))).all())
        theirs = set((await second.scalars(due(4))).all())
        # A plain FOR UPDATE would wait here; SKIP LOCKED moves on at once.
        late = await asyncio.wait_for(first.scalars(due(4)), timeout=5)
        assert set(late.all()) == mine  # own locks are no obstacle
    assert len(mine) == 2 and len(theirs) == 2
    assert mine.isdisjoint(theirs)
