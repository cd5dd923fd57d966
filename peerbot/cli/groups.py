"""Building the command line: `peerbot NAME ACTION ...` groups, and commands whose help is
their handler's docstring, so what a command does is written once, beside the code doing it."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.config import Settings

Handler = Callable[["Settings", argparse.Namespace], int]
T = TypeVar("T")


def action_group(
    subcommands: argparse._SubParsersAction[Any], name: str, described_by: Callable[..., Any]
) -> argparse._SubParsersAction[Any]:
    """Add `peerbot NAME ACTION`, its help and description the docstring of `described_by`
    (the function adding the group), and return its actions."""
    group = subcommands.add_parser(name, **_help(described_by))
    return group.add_subparsers(
        dest=f"{name}_command", metavar="ACTION", required=True, parser_class=type(group)
    )


def command(
    parent: argparse._SubParsersAction[Any], name: str, handler: Handler
) -> argparse.ArgumentParser:
    """Add `name` under `parent`, run by `handler`: the docstring's first paragraph is the
    one-line help, the rest the description `--help` prints."""
    parser = parent.add_parser(name, **_help(handler))
    parser.set_defaults(handler=handler)
    return parser


def _help(function: Callable[..., Any]) -> dict[str, Any]:
    summary, _, details = inspect.cleandoc(function.__doc__ or "").partition("\n\n")
    return {"help": " ".join(summary.split()), "description": " ".join(details.split()) or None}


def json_flag(parser: argparse.ArgumentParser) -> None:
    """`--json`: the same counts as one JSON object, for scripts."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object with the same counts"
    )


def run_on(deps: Deps, work: Callable[[Deps], Awaitable[T]]) -> T:
    """Run one command's database work, and close the pool whatever happens."""

    async def run() -> T:
        try:
            return await work(deps)
        finally:
            await deps.engine.dispose()

    return asyncio.run(run())


def deps_for(settings: Settings, *, migrate: bool = True) -> Deps:
    """What a command needs to reach the database, its schema brought up to date first
    unless the command must change nothing (`migrate=False`)."""
    from peerbot.runtime.build import build_deps
    from peerbot.storage.migrate import upgrade_if_behind

    deps = build_deps(settings)
    if migrate:
        upgrade_if_behind(settings.database_url)
    return deps


def database_failed(command_name: str, error: Exception) -> int:
    """Say, on one line, why a command could not read or write the database; exit 1."""
    reason = str(error).splitlines()[0]
    sys.stderr.write(f"peerbot {command_name}: {reason} (is the database migrated?)\n")
    return 1
