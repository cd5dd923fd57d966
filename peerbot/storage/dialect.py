"""The few statements that differ between SQLite and PostgreSQL, picked by dialect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute
from sqlalchemy.sql import FromClause, Select, operators
from sqlalchemy.sql.elements import UnaryExpression

SelectT = TypeVar("SelectT", bound=Select)  # any arity of selected columns
T = TypeVar("T")


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
    stmt = _insert(session.get_bind().dialect.name, _table(table_or_model)).values(rows)
    stmt = stmt.on_conflict_do_nothing(index_elements=conflict_columns)
    result = cast(CursorResult[Any], await session.execute(stmt))
    return result.rowcount


def insert_or_update(
    dialect_name: str,
    table_or_model: FromClause | type[DeclarativeBase],
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
    *,
    update: Mapping[str, Any],
    where: ColumnElement[bool],
) -> Any:
    """An INSERT that, where the row clashes on conflict_columns and the row already there
    matches `where`, sets `update` on that row instead; 0 rows written when neither applies.

    Build it once with bindparam() values and execute it with parameters.
    """
    stmt = _insert(dialect_name, _table(table_or_model)).values(dict(values))
    return stmt.on_conflict_do_update(
        index_elements=list(conflict_columns), set_=dict(update), where=where
    )


def _table(table_or_model: FromClause | type[DeclarativeBase]) -> Table:
    table = table_or_model if isinstance(table_or_model, FromClause) else table_or_model.__table__
    if not isinstance(table, Table):
        raise TypeError("expected a Table or a mapped class")
    return table


def _insert(dialect_name: str, table: Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT clauses.

    Each dialect is imported here, when used: the engine loads only its own, and PostgreSQL's
    (about 2 MB of modules) is dead weight in a bot that runs on SQLite, and the other way round.
    """
    if dialect_name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect_name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"ON CONFLICT is not supported on {dialect_name}")


def skip_locked(stmt: SelectT, dialect_name: str, *, of: Any = None) -> SelectT:
    """Lock the selected rows, skipping rows another transaction holds (PostgreSQL only).

    SQLite serialises writers, so the statement is returned unchanged there.
    """
    if dialect_name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of)
    return stmt


def not_for_index(
    column: ColumnElement[T] | QueryableAttribute[T], dialect_name: str
) -> ColumnElement[T]:
    """The column as a value SQLite's planner will not search an index on; unchanged elsewhere.

    SQLite keeps no statistics unless ANALYZE is run, so beside `id IN (...)` it may pick an
    index on a condition as common as `status = 'scheduled'` and walk every entry of that
    status. The unary + is SQLite's own way to leave such a term to be checked row by row
    (it is a no-op on any value); PostgreSQL has statistics, and no + for text.
    """
    element = column.__clause_element__() if isinstance(column, QueryableAttribute) else column
    if dialect_name != "sqlite":
        return element
    return UnaryExpression(element, operator=operators.custom_op("+"), type_=element.type)
