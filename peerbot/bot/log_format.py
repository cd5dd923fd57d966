"""Logs as JSON lines (PEERBOT_LOG_FORMAT=json), for log collectors: one object per record.

A record carries its time, level, logger, the formatted message (our log calls put ids in it,
never message text) and the ids passed with ``extra=``. An exception adds its type and the
frames it passed through, but not its message, which may quote data (a failed statement's
parameters, say).
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

# What every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonLineFormatter(logging.Formatter):
    """Format a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, value)
        error_type, _error, trace = record.exc_info or (None, None, None)
        if error_type is not None:
            entry["exc_type"] = error_type.__name__
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(trace)
            ]
        return json.dumps(entry, default=str, ensure_ascii=False)


def use_json_lines(logger: logging.Logger | None = None) -> None:
    """Make every handler of logger (default: the root logger) write JSON lines."""
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(JsonLineFormatter())
