"""The import contracts in pyproject.toml hold: imports run cli -> runtime -> bot, scheduler,
simulate -> services -> dialogs, storage, never back up (what `lint-imports` checks in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

cli = pytest.importorskip("importlinter.cli", reason="import-linter comes with the [dev] extra")

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"


def test_every_import_contract_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.lint_imports(config_filename=str(PYPROJECT), no_cache=True)
    report = capsys.readouterr().out
    assert status == 0, report
    assert "0 broken" in report
