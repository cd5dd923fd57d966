"""Which database errors are worth a second try: a lock, a lost connection, a write conflict."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

# PostgreSQL: serialization failure, deadlock; class 08 is "connection exception".
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
_LOST_CONNECTION = ("connection is closed", "connection was closed", "terminating connection")
_LOCKED = ("database is locked", "database table is locked")


def is_transient(error: BaseException | None) -> bool:
    """True when the same work may well succeed if tried again in a moment."""
    if isinstance(error, StaleDataError):
        return True  # another update changed the row first (a stale conversation version)
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
    if sqlstate in _RETRY_SQLSTATES or sqlstate.startswith("08"):
        return True
    described = str(error.orig).lower()
    return any(words in described for words in (*_LOCKED, *_LOST_CONNECTION))
