"""JSON kept encrypted at rest (the outbox's payloads): the engine carries the key.

A payload is written and read by many modules, through the ORM and through Core statements
alike, so the column type seals and opens it wherever it is bound or loaded. The key is the
engine's (``create_engine(..., cipher=...)``): an engine made without one cannot read or
write such a column, and says so.
"""

from __future__ import annotations

import json
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from peerbot.storage.crypto import FieldCipher

_CIPHERS: WeakKeyDictionary[Dialect, FieldCipher] = WeakKeyDictionary()


class NoKeyForSealedColumn(Exception):
    """An engine made without the encryption key touched a sealed column."""


def seal_with(dialect: Dialect, cipher: FieldCipher) -> None:
    """Let this engine's dialect seal and open sealed columns with cipher."""
    _CIPHERS[dialect] = cipher


def _cipher(dialect: Dialect) -> FieldCipher:
    try:
        return _CIPHERS[dialect]
    except KeyError:
        raise NoKeyForSealedColumn(
            "this database engine was made without the encryption key, which the outbox's "
            "payloads need"
        ) from None


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object stored as one ciphertext; a value written before sealing (plain JSON,
    which starts with "{") is still read, so rows queued before an upgrade are delivered."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _cipher(dialect).encrypt(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        if value.startswith("{"):
            return dict(json.loads(value))
        return dict(json.loads(_cipher(dialect).decrypt(value) or "{}"))
