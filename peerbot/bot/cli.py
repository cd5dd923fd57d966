"""The `peerbot` command: run, simulate, migrate, check-config, export, report, invite, checkins,
match, redflags."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from peerbot import __version__
from peerbot.bot.cli_check import add_arguments as add_check_arguments
from peerbot.bot.cli_database import database_use, open_database
from peerbot.bot.cli_flows import add_parser as add_flows
from peerbot.bot.cli_keys import add_parser as add_keys
from peerbot.bot.cli_matching import add_parser as add_matching
from peerbot.bot.cli_redflags import add_parser as add_redflags
from peerbot.bot.cli_report import add_parser as add_report
from peerbot.bot.cli_retention import add_parser as add_retention
from peerbot.bot.cli_simulate import add_parser as add_simulate
from peerbot.bot.cli_supporters import add_parsers as add_supporters
from peerbot.bot.log_format import use_json_lines
from peerbot.config import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings
from peerbot.program import ProgramDataError

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.services.program_view.export import ExportSpec

EXIT_CONFIG = 2
README_TOKEN_SECTION = 'README, section "Setting up the bot"'


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_CONFIG
    _configure_logging(args.verbose)
    database_url = DEFAULT_DATABASE_URL
    try:
        settings = load_settings()
        database_url = settings.database_url
        if settings.log_format == "json":
            use_json_lines()
        use = database_use(args)
        if use is not None:  # reached, and the key is the database's
            open_database(settings, use)
        return int(args.handler(settings, args))
    except (SettingsError, ProgramDataError) as error:
        sys.stderr.write(f"peerbot: {error}\n")
        return EXIT_CONFIG
    except Exception as error:
        from peerbot.bot.cli_errors import explain

        explained = explain(error, database_url)
        if explained is None:  # a fault in peerbot itself: its traceback helps to fix it
            raise
        sys.stderr.write(f"peerbot: {explained.line}\n")
        return explained.status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerbot",
        description="Run a peer-support program on Telegram. Settings come from PEERBOT_* "
        "environment variables or a .env file (see the README).",
    )
    parser.add_argument("--version", action="version", version=f"peerbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_OneLineErrorParser
    )
    run = commands.add_parser(
        "run", help="apply migrations, then run the bot (long polling, or --webhook)"
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="serve Telegram's webhook on PEERBOT_LISTEN_HOST:PEERBOT_LISTEN_PORT instead of "
        "polling (needs PEERBOT_WEBHOOK_URL and PEERBOT_WEBHOOK_SECRET); run several such "
        "replicas behind a load balancer on one PostgreSQL database",
    )
    run.add_argument(
        "--no-coordinator-group",
        action="store_true",
        help="run without a coordinators' group: every card goes privately to each of "
        "PEERBOT_COORDINATOR_IDS (the same as PEERBOT_NO_COORDINATOR_GROUP=true)",
    )
    run.set_defaults(handler=_run)
    migrate = commands.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.set_defaults(handler=_migrate)
    check = commands.add_parser(
        "check-config", help="validate settings and program data (--online: with Telegram)"
    )
    add_check_arguments(check)
    check.set_defaults(handler=_check_config)
    _add_export(commands)
    add_redflags(commands)
    add_flows(commands)
    add_supporters(commands)
    add_matching(commands)
    add_report(commands)
    add_simulate(commands)
    add_retention(commands)
    add_keys(commands)
    return parser


class _OneLineErrorParser(argparse.ArgumentParser):
    """A sub-command parser that reports a bad argument in one line (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"{self.prog}: {message} (see {self.prog} --help)\n")

    # Unknown options would otherwise reach the main parser and its two-line usage error.
    def parse_known_args(  # type: ignore[override]  # typeshed's overloads, same behaviour
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def _add_export(commands: argparse._SubParsersAction[_OneLineErrorParser]) -> None:
    export = commands.add_parser(
        "export",
        help="write de-identified program data for evaluation",
        description="Write support requests, matches, contact notes, feedback or consent "
        "decisions as CSV or JSON lines for program evaluation. People appear only by their "
        "pseudonym (a random code): no names, no Telegram ids and, by default, no free text.",
    )
    export.add_argument(
        "kind",
        choices=["requests", "matches", "notes", "feedback", "consents"],
        help="what to export",
    )
    export.add_argument(
        "--format",
        required=True,
        choices=["csv", "jsonl"],
        help="CSV with a header, or JSON lines",
    )
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="write to FILE (default: standard output)"
    )
    export.add_argument(
        "--include-free-text",
        action="store_true",
        help="requests, notes and feedback: add the request summary and free-text "
        "answers, the note's details or the feedback comments, decrypted, where the "
        "participant's newest evaluation consent is granted and not withdrawn; these "
        "fields stay empty for everyone else",
    )
    export.set_defaults(handler=_export)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs request URLs, which carry the bot token; python-telegram-bot's debug
    # logs carry whole updates, which carry message text. Neither belongs in our logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.no_coordinator_group and not settings.no_coordinator_group:
        settings = load_settings(no_coordinator_group=True)  # checked as the setting would be
    if settings.bot_token is None:
        sys.stderr.write(
            "peerbot: PEERBOT_BOT_TOKEN is not set. Create a bot with @BotFather and put its "
            f"token in PEERBOT_BOT_TOKEN (see the {README_TOKEN_SECTION}).\n"
        )
        return EXIT_CONFIG
    if args.webhook and (settings.webhook_url is None or settings.webhook_secret is None):
        missing = (
            "PEERBOT_WEBHOOK_URL" if settings.webhook_url is None else "PEERBOT_WEBHOOK_SECRET"
        )
        sys.stderr.write(
            f"peerbot: {missing} is not set; --webhook needs the public https:// URL Telegram "
            "posts to and a secret token (1-256 characters of A-Z, a-z, 0-9, _ and -).\n"
        )
        return EXIT_CONFIG
    with _long_lived_objects():
        from peerbot.bot.deps import build_deps
        from peerbot.bot.runner import TokenRejected, serve
        from peerbot.storage.migrate import upgrade_if_behind

        deps = build_deps(settings)
        upgrade_if_behind(settings.database_url)
    if settings.setup_mode:
        logging.getLogger(__name__).warning(
            "set-up mode: PEERBOT_COORDINATOR_CHAT_ID is not set (nor "
            "PEERBOT_NO_COORDINATOR_GROUP), so no card could reach a coordinator; the bot "
            "only tells a group it is added to that group's id, and people that the program "
            "is not open yet"
        )
    try:
        asyncio.run(serve(deps, webhook=args.webhook))
    except TokenRejected:
        sys.stderr.write(
            "peerbot: Telegram rejected PEERBOT_BOT_TOKEN; check it with @BotFather "
            f"(see the {README_TOKEN_SECTION}).\n"
        )
        return EXIT_CONFIG
    return 0


@contextlib.contextmanager
def _long_lived_objects() -> Iterator[None]:
    """Build what lives as long as the process without the garbage collector in the way.

    Start-up makes about 150,000 objects (modules, models, program data, compiled red-flag
    rules) and next to no garbage: collecting while they are built costs about a sixth of
    the start-up, and frozen afterwards they stay out of every later collection, which
    keeps those short while updates are handled.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from peerbot.storage.migrate import current_revision, upgrade_to_head

    upgrade_to_head(settings.database_url)
    logging.getLogger(__name__).info(
        "database is at revision %s", current_revision(settings.database_url)
    )
    return 0


def _check_config(settings: Settings, args: argparse.Namespace) -> int:
    from peerbot.bot.cli_check import check_config

    return check_config(settings, args)


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from peerbot.bot.deps import build_deps
    from peerbot.services.program_view import export
    from peerbot.storage.crypto import DecryptionError

    if args.include_free_text and args.kind not in ("requests", "notes", "feedback"):
        sys.stderr.write(
            "peerbot export: --include-free-text applies to requests, notes and feedback only\n"
        )
        return EXIT_CONFIG
    out: Path | None = args.out
    if out is not None and not out.parent.is_dir():
        sys.stderr.write(f"peerbot export: --out {out}: folder {out.parent} does not exist\n")
        return EXIT_CONFIG
    if out is not None and out.is_dir():
        sys.stderr.write(f"peerbot export: --out {out}: is a folder; name a file\n")
        return EXIT_CONFIG
    deps = build_deps(settings)
    spec = export.ExportSpec(
        kind=export.ExportKind(args.kind),
        format=export.ExportFormat(args.format),
        include_free_text=args.include_free_text,
        free_text_questions=export.free_text_questions(deps.program.flows.values()),
    )
    try:
        if out is None:
            rows = asyncio.run(_write_export(deps, spec, sys.stdout))
        else:
            rows = _export_to_file(deps, spec, out)
    except SQLAlchemyError as error:
        reason = str(error).splitlines()[0]
        sys.stderr.write(f"peerbot export: {reason} (is the database migrated?)\n")
        return 1
    except DecryptionError as error:
        sys.stderr.write(f"peerbot export: {error}\n")
        return 1
    except BrokenPipeError:
        # The reader stopped early (`| head`): no traceback, and none at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    logging.getLogger(__name__).info("exported %s: %d rows", spec.kind.value, rows)
    return 0


def _export_to_file(deps: Deps, spec: ExportSpec, out: Path) -> int:
    """Write next to ``out`` and rename at the end, so a failed export leaves no half file.

    The file is created readable by its owner only: it is research data about people.
    """
    partial = out.with_name(f".{out.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            rows = asyncio.run(_write_export(deps, spec, stream))
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return rows


async def _write_export(deps: Deps, spec: ExportSpec, stream: TextIO) -> int:
    from peerbot.services.program_view import export

    try:
        async with deps.sessions() as session:
            return await export.write_export(session, deps.cipher, spec, stream, now=deps.clock())
    finally:
        await deps.engine.dispose()
