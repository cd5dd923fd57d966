"""PostgreSQL statements run beside the application, to create, reset and drop the throwaway
databases tests and benchmarks run on."""

import asyncpg


async def execute(dsn: str, statement: str) -> None:
    """Run one statement on a connection of its own (CREATE DATABASE cannot run in a
    transaction)."""
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
