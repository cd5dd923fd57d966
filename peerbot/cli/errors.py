"""What an operator reads when a command cannot reach or use its database, or cannot write a
file: one line naming the setting or the fix, never a traceback."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from peerbot.cli.database import DatabaseNotMigrated
from peerbot.storage.crypto import KEY_VARIABLE, DecryptionError
from peerbot.storage.keys import KeyMismatch

EXIT_FAILED = 1
EXIT_CONFIG = 2
URL = "PEERBOT_DATABASE_URL"
# PostgreSQL's SQLSTATE codes (Appendix A of its manual).
BAD_CREDENTIALS = ("28000", "28P01")
NO_SUCH_DATABASE = "3D000"
NO_SUCH_TABLE = "42P01"
CANNOT_CONNECT = ("08001", "08004", "08006", "57P03")
WRITE_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR)


@dataclass(frozen=True)
class Explained:
    """One line for the operator, and the exit status."""

    line: str
    status: int = EXIT_FAILED


def explain(error: BaseException, database_url: str) -> Explained | None:
    """The line for a failure the operator can fix; None for a fault in peerbot itself."""
    if isinstance(error, KeyMismatch):
        return Explained(str(error), EXIT_CONFIG)
    if isinstance(error, DatabaseNotMigrated):
        return Explained(str(error))
    if isinstance(error, DecryptionError):
        return Explained(
            f"{error}: free text in the database was encrypted with a key not in {KEY_VARIABLE}; "
            "add that key after a comma",
            EXIT_CONFIG,
        )
    if isinstance(error, SQLAlchemyError):
        return _database_error(error, database_url)
    if isinstance(error, OSError):
        return _os_error(error, database_url)
    return None


def _database_error(error: SQLAlchemyError, database_url: str) -> Explained:
    where = _where(database_url)
    original = error.orig if isinstance(error, DBAPIError) else None
    reason = _first_line(original if original is not None else error)
    state = _sqlstate(original)
    if state in BAD_CREDENTIALS:
        return Explained(
            f"PostgreSQL at {where} refused the user or password in {URL} ({reason}): "
            "fix them in the URL",
            EXIT_CONFIG,
        )
    if state == NO_SUCH_DATABASE:
        return Explained(
            f"{reason} at {where}: create it (createdb NAME) or fix the database name in {URL}",
            EXIT_CONFIG,
        )
    if state in CANNOT_CONNECT:
        return _unreachable(database_url, reason)
    lowered = reason.lower()
    if state == NO_SUCH_TABLE or "no such table" in lowered:
        return Explained(str(DatabaseNotMigrated()))
    if "disk is full" in lowered or "disk full" in lowered:
        return _disk_full(where)
    if "readonly database" in lowered or "unable to open database file" in lowered:
        return Explained(
            f"cannot write the SQLite database {where} ({reason}): the folder must exist and be "
            f"writable by this user (SQLite writes its journal beside the file); fix that, or "
            f"set {URL} to a file in a writable folder"
        )
    return Explained(f"the database at {where} ({URL}) failed: {reason}")


def _os_error(error: OSError, database_url: str) -> Explained:
    if error.errno == errno.ENOSPC:
        return _disk_full(error.filename or _where(database_url))
    if error.filename is not None and error.errno in WRITE_ERRNOS:
        return Explained(
            f"cannot write {error.filename} ({error.strerror}): make its folder writable by this "
            f"user, or on SQLite set {URL} to a file in a writable folder (the key file "
            ".peerbot-key is kept beside the database)"
        )
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return _unreachable(database_url, error.strerror or type(error).__name__)
    if error.filename is None and error.errno is None:
        return _unreachable(database_url, str(error) or type(error).__name__)
    return Explained(f"{error.strerror or error}: {error.filename or _where(database_url)}")


def _unreachable(database_url: str, reason: str) -> Explained:
    return Explained(
        f"cannot reach the database at {_where(database_url)} ({reason}): is it running, and "
        f"are the host and port in {URL} right?"
    )


def _disk_full(where: str) -> Explained:
    return Explained(f"the disk is full (writing {where}): free some space and run this again")


def _where(database_url: str) -> str:
    """The database's place, without its password: host:port/name, or the SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.database or "(in memory)"
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _sqlstate(original: BaseException | None) -> str | None:
    for candidate in (original, getattr(original, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    for prefix in ("(sqlite3.OperationalError) ", "(sqlalchemy.dialects.postgresql.asyncpg."):
        if text.startswith(prefix):
            text = text.split(") ", 1)[-1]
    lines = text.splitlines()
    return lines[0] if lines else type(error).__name__
