"""UTCDateTime binds aware datetimes as UTC and refuses naive ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from peerbot.storage.types import UTCDateTime

KOLKATA = timezone(timedelta(hours=5, minutes=30))


def test_binds_utc_naive_on_sqlite_and_aware_on_postgresql() -> None:
    moment = datetime(2025, 3, 1, 12, 0, tzinfo=KOLKATA)
    column_type = UTCDateTime()
    on_sqlite = column_type.process_bind_param(moment, sqlite.dialect())
    on_postgresql = column_type.process_bind_param(moment, postgresql.dialect())
    assert on_sqlite == datetime(2025, 3, 1, 6, 30)  # noqa: DTZ001
    assert on_postgresql == moment and on_postgresql.tzinfo is UTC


def test_loads_as_aware_utc() -> None:
    column_type = UTCDateTime()
    naive = datetime(2025, 3, 1, 6, 30)  # noqa: DTZ001
    loaded = column_type.process_result_value(naive, sqlite.dialect())
    assert loaded == datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
    assert column_type.process_result_value(None, sqlite.dialect()) is None


def test_refuses_naive_and_non_datetimes() -> None:
    column_type = UTCDateTime()
    with pytest.raises(ValueError, match="naive"):
        column_type.process_bind_param(datetime(2025, 1, 1), sqlite.dialect())  # noqa: DTZ001
    with pytest.raises(TypeError):
        column_type.process_bind_param("2025-01-01", sqlite.dialect())  # type: ignore[arg-type]
