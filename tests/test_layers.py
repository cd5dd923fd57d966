"""The import contracts in pyproject.toml hold: imports run cli -> runtime -> bot, scheduler,
simulate -> services -> dialogs, storage, never back up (what `lint-imports` checks in CI)."""

from __future__ import annotations

import ast
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


# One way to run a service (services/__init__.py): the caller owns the transaction, so no
# service commits, rolls back or opens one, nor takes a session factory to open its own.
TRANSACTION_CALLS = {"commit", "rollback", "begin", "begin_nested"}


def _transaction_work(path: Path) -> list[str]:
    """Where this module opens or ends a transaction, or takes an async_sessionmaker."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TRANSACTION_CALLS
            and not node.args  # flows.begin(ctx, ...) starts a conversation, not a transaction
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}()")
        elif isinstance(node, ast.arg) and "async_sessionmaker" in ast.unparse(
            node.annotation or ast.Constant(None)
        ):
            found.append(f"line {node.lineno}: takes async_sessionmaker ({node.arg})")
    return found


def test_no_service_owns_a_transaction() -> None:
    found = {
        str(path.relative_to(SERVICES)): where
        for path in sorted(SERVICES.rglob("*.py"))
        if path.relative_to(SERVICES).as_posix() != "common/context.py"
        if (where := _transaction_work(path))
    }
    assert found == {}, "a service owns a transaction; its caller should (services/__init__.py)"


# A public service function is an entry point: it takes the service context first, so the
# caller's unit of work is the one way in. Private helpers may pass `ctx.session` on.
def _takes_a_bare_session(function: ast.AsyncFunctionDef) -> bool:
    """Whether the function's first parameter is annotated AsyncSession."""
    parameters = [*function.args.posonlyargs, *function.args.args]
    annotation = parameters[0].annotation if parameters else None
    return annotation is not None and "AsyncSession" in ast.unparse(annotation)


def test_no_public_service_function_takes_a_bare_session() -> None:
    found = [
        f"{path.relative_to(SERVICES)}:{node.lineno} {node.name}()"
        for path in sorted(SERVICES.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.AsyncFunctionDef)
        and not node.name.startswith("_")
        and _takes_a_bare_session(node)
    ]
    assert found == [], (
        "A public service function takes `ctx: ServiceContext` first, not a bare AsyncSession "
        "(services/__init__.py). Take ctx, make the function private, or move a query several "
        "services share to peerbot/storage/ (storage functions take a session):\n  "
        + "\n  ".join(found)
    )
