"""Fixtures for the fault-injection suite, and the fault × outcome table it prints."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import api, bot_workdir  # noqa: F401  (the same fake Bot API and folder)

ROWS = pytest.StashKey[list[dict[str, Any]]]()
COLUMNS = ("fault", "escalations", "resources after", "card reached", "the person read")


@pytest.fixture
def fault_table(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Add a row to the table printed at the end of the run."""
    rows = request.config.stash.setdefault(ROWS, [])
    return rows.append


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: hand the rows to the controller
        worker_output["fault_rows"] = json.dumps(session.config.stash.get(ROWS, []))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    rows = json.loads(getattr(node, "workeroutput", {}).get("fault_rows", "[]"))
    node.config.stash.setdefault(ROWS, []).extend(rows)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    rows = sorted(config.stash.get(ROWS, []), key=lambda row: row["fault"])
    if not rows:
        return
    terminalreporter.section("fault × outcome")
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS]
    line = " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))
    terminalreporter.write_line(line)
    terminalreporter.write_line("-" * len(line))
    for row in rows:
        cells = (str(row[c]).ljust(w) for c, w in zip(COLUMNS, widths, strict=True))
        terminalreporter.write_line(" | ".join(cells))
