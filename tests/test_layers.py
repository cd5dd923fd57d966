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


# The Telegram shape belongs to bot/ (its renderer and its one way into the outbox): no
# service names a Bot API method or field, or queues a message itself.
TELEGRAM_SHAPE = (
    "reply_markup",
    "inline_keyboard",
    "parse_mode",
    "link_preview_options",
    "outbox.enqueue",
    "sendMessage",
    "editMessage",
    "sendPhoto",
    "sendDocument",
    "setMyCommands",
)
SERVICES = Path(__file__).parent.parent / "peerbot" / "services"


def test_no_service_builds_a_telegram_message() -> None:
    found = [
        f"{path.relative_to(SERVICES)}: {word}"
        for path in sorted(SERVICES.rglob("*.py"))
        for word in TELEGRAM_SHAPE
        if word in path.read_text(encoding="utf-8")
    ]
    assert found == []
