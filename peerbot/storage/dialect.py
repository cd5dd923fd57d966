"""The few statements that differ between SQLite and PostgreSQL, picked by dialect."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import FromClause, Select

SelectT = TypeVar("SelectT", bound=Select)  # any arity of selected columns


async def insert_ignore(
    session: AsyncSession,
    table_or_model: FromClause | type[DeclarativeBase],
    values: dict[str, Any] | list[dict[str, Any]],
    conflict_columns: list[str],
) -> int:
    """Insert rows, skipping those that clash on ``conflict_columns``; return how many went in.

    All rows of a batch must name the same columns; Python-side column defaults apply.
    """
    rows = [values] if isinstance(values, dict) else values
    if not rows:
        return 0
    table = table_or_model if isinstance(table_or_model, FromClause) else table_or_model.__table__
    if not isinstance(table, Table):
        raise TypeError("insert_ignore needs a Table or a mapped class")
    dialect_name = session.get_bind().dialect.name
    if dialect_name == "postgresql":
        stmt: Any = postgresql.insert(table).values(rows)
    elif dialect_name == "sqlite":
        stmt = sqlite.insert(table).values(rows)
    else:
        raise NotImplementedError(f"insert_ignore does not support {dialect_name}")
    stmt = stmt.on_conflict_do_nothing(index_elements=conflict_columns)
    result = cast(CursorResult[Any], await session.execute(stmt))
    return result.rowcount


def skip_locked(stmt: SelectT, dialect_name: str, *, of: Any = None) -> SelectT:
    """Lock the selected rows, skipping rows another transaction holds (PostgreSQL only).

    SQLite serialises writers, so the statement is returned unchanged there.
    """
    if dialect_name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of)
    return stmt
