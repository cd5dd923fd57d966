"""Fixtures for the fault-injection suite: each test adds a line of the fault × outcome table
printed in pytest's closing summary ("measured")."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import api, bot_workdir  # noqa: F401  (the same fake Bot API and folder)
from tests.support.figures import report

COLUMNS = ("fault", "escalations", "resources after", "card reached", "the person read")


@pytest.fixture
def fault_table(request: pytest.FixtureRequest) -> Callable[[dict[str, object]], None]:
    """Add a row (a dict by COLUMNS) to the table printed at the end of the run."""

    def add(row: dict[str, object]) -> None:
        cells = " | ".join(f"{column}: {row[column]}" for column in COLUMNS)
        report(request.config, f"fault × outcome — {cells}")

    return add
