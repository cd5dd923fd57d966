"""The `peerbot` command: its parser, logging and error handling, and `run`, `migrate` and
`check-config`; the other command groups have a module each beside this one."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NoReturn

from peerbot import __version__
from peerbot.bot.log_format import use_json_lines
from peerbot.cli.check import add_arguments as add_check_arguments
from peerbot.cli.database import database_use, open_database
from peerbot.cli.export import add_parser as add_export
from peerbot.cli.flows import add_parser as add_flows
from peerbot.cli.keys import add_parser as add_keys
from peerbot.cli.matching import add_parser as add_matching
from peerbot.cli.redflags import add_parser as add_redflags
from peerbot.cli.report import add_parser as add_report
from peerbot.cli.retention import add_parser as add_retention
from peerbot.cli.simulate import add_parser as add_simulate
from peerbot.cli.supporters import add_parsers as add_supporters
from peerbot.config import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings
from peerbot.program import ProgramDataError

if TYPE_CHECKING:
    pass

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
        from peerbot.cli.errors import explain

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
    add_export(commands)
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
        from peerbot.runtime.build import build_deps
        from peerbot.runtime.runner import TokenRejected, serve
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
    from peerbot.cli.check import check_config

    return check_config(settings, args)
