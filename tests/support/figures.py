"""Figures a test measures (e.g. detection recall), shown in pytest's closing summary."""

from __future__ import annotations

import pytest

FIGURES = pytest.StashKey[list[str]]()


def report(config: pytest.Config, line: str) -> None:
    """Keep a line for the summary at the end of the run."""
    config.stash.setdefault(FIGURES, []).append(line)
