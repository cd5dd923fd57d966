"""Database fixtures: tests that ask for a database run on SQLite and on PostgreSQL.

PostgreSQL isolation: one throwaway database per test session (created on first use,
dropped at the end, named with the process id so parallel runs never meet), and a fresh
``public`` schema for every test. PostgreSQL tests are skipped only when the server
does not answer at all.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.storage.crypto import FieldCipher
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.migrate import upgrade_to_head
from tests.support.figures import FIGURES
from tests.support.postgres import execute

# The server and a database to connect to for CREATE/DROP DATABASE.
POSTGRES_ADMIN_DSN = os.environ.get(
    "PEERBOT_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)

T = TypeVar("T")


def _run_in_thread(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on its own loop, away from the test's event loop."""

    async def main() -> T:
        return await make_coroutine()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, main()).result()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """Create a database for this test session and return its plain ``postgresql://`` DSN."""
    name = f"peerbot_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        _run_in_thread(lambda: execute(POSTGRES_ADMIN_DSN, f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as error:
        pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN_DSN} does not answer: {error!r}")
    dsn = make_url(POSTGRES_ADMIN_DSN).set(database=name).render_as_string(hide_password=False)
    yield dsn
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    _run_in_thread(lambda: execute(POSTGRES_ADMIN_DSN, drop))


@pytest.fixture(
    params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")]
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database's SQLAlchemy URL: a SQLite file, or PostgreSQL with a fresh schema."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "peerbot.sqlite3"
        return f"sqlite+aiosqlite:///{path}"
    dsn: str = request.getfixturevalue("postgres_database")
    _run_in_thread(lambda: execute(dsn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    url = make_url(dsn).set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


@pytest.fixture
def engine_cipher() -> FieldCipher:
    """The key the test engine seals the outbox's payloads with."""
    return FieldCipher(FieldCipher.generate_key())


@pytest.fixture
async def engine(database_url: str, engine_cipher: FieldCipher) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to head; disposed after the test."""
    await asyncio.to_thread(upgrade_to_head, database_url)
    engine = create_engine(database_url, cipher=engine_cipher)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The application's session factory on the migrated test database."""
    return make_session_factory(engine)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist a worker hands its figures to the controller, which prints them."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["figures"] = session.config.stash.get(FIGURES, [])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller's side of the above (a pytest-xdist hook; unused without it)."""
    figures = getattr(node, "workeroutput", {}).get("figures", [])
    node.config.stash.setdefault(FIGURES, []).extend(figures)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """Print the figures tests measured (detection recall and precision per language)."""
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("measured")
        for line in lines:
            terminalreporter.write_line(line)
