"""The `peerbot` command: run, migrate, check-config."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from peerbot import __version__
from peerbot.config import Settings, SettingsError, load_settings
from peerbot.services.program import ProgramDataError, load_program

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
    try:
        settings = load_settings()
        return int(args.handler(settings))
    except (SettingsError, ProgramDataError) as error:
        sys.stderr.write(f"peerbot: {error}\n")
        return EXIT_CONFIG


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerbot",
        description="Run a peer-support program on Telegram. Settings come from PEERBOT_* "
        "environment variables or a .env file (see the README).",
    )
    parser.add_argument("--version", action="version", version=f"peerbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="apply migrations, then run the bot (long polling)")
    run.set_defaults(handler=_run)
    migrate = commands.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.set_defaults(handler=_migrate)
    check = commands.add_parser("check-config", help="validate settings and program data")
    check.set_defaults(handler=_check_config)
    return parser


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
    # It logs every 429 with a traceback; the sender logs one line and retries.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)


def _run(settings: Settings) -> int:
    if settings.bot_token is None:
        sys.stderr.write(
            "peerbot: PEERBOT_BOT_TOKEN is not set. Create a bot with @BotFather and put its "
            f"token in PEERBOT_BOT_TOKEN (see the {README_TOKEN_SECTION}).\n"
        )
        return EXIT_CONFIG
    from peerbot.bot.deps import build_deps
    from peerbot.bot.runner import TokenRejected, serve
    from peerbot.storage.migrate import upgrade_to_head

    deps = build_deps(settings)
    upgrade_to_head(settings.database_url)
    try:
        asyncio.run(serve(deps))
    except TokenRejected:
        sys.stderr.write(
            "peerbot: Telegram rejected PEERBOT_BOT_TOKEN; check it with @BotFather "
            f"(see the {README_TOKEN_SECTION}).\n"
        )
        return EXIT_CONFIG
    return 0


def _migrate(settings: Settings) -> int:
    from peerbot.storage.migrate import current_revision, upgrade_to_head

    upgrade_to_head(settings.database_url)
    logging.getLogger(__name__).info(
        "database is at revision %s", current_revision(settings.database_url)
    )
    return 0


def _check_config(settings: Settings) -> int:
    from peerbot.bot.deps import encryption_key

    program = load_program(settings.program_dir)
    encryption_key(settings)
    print(  # noqa: T201 - this command's output is its report
        f"configuration OK: database {settings.database_url.split('://', 1)[0]}, "
        f"locales {', '.join(program.texts.locales)}, "
        f"bot token {'set' if settings.bot_token else 'not set'}"
    )
    return 0
