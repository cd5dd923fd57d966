"""`peerbot invite` and `peerbot checkins run-due`: supporter chores for operators and tests."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import action_group, command, deps_for, json_flag, run_on

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.config import Settings

EXIT_USAGE = 2
DURATION = re.compile(r"^(\d{1,4})([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def add_parsers(subcommands: argparse._SubParsersAction[Any]) -> None:
    """Register `invite` and `checkins run-due` on the `peerbot` sub-commands."""
    invite = command(subcommands, "invite", _invite)
    invite.add_argument("--note", help="a note for coordinators (stored encrypted)")
    invite.add_argument(
        "--expires",
        type=duration,
        default=timedelta(days=7),
        metavar="DURATION",
        help="how long the link works, e.g. 7d, 48h, 2w (default 7d)",
    )
    _add_checkins(subcommands)


def _add_checkins(subcommands: argparse._SubParsersAction[Any]) -> None:
    """supporters' well-being check-ins

    Check-in chores.
    """
    actions = action_group(subcommands, "checkins", _add_checkins)
    run_due = command(actions, "run-due", _run_due)
    run_due.add_argument(
        "--at",
        type=moment,
        metavar="ISO-8601-TIME",
        help="the time to act as if it were, e.g. 2027-03-15T22:00:00Z (default: now)",
    )
    json_flag(run_due)


def duration(text: str) -> timedelta:
    """7d, 48h, 90m or 2w."""
    found = DURATION.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 7d, 48h or 2w")
    return timedelta(**{UNITS[found.group(2)]: int(found.group(1))})


def moment(text: str) -> datetime:
    """An ISO-8601 time; without an offset it is read as UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time such as 2027-03-15T22:00:00Z"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    """create a one-time invitation link for a new peer supporter

    Create a single-use link that makes the person who opens it a peer supporter. The link is
    printed alone on the last line; only a hash of it is stored.
    """
    if settings.bot_token is None:
        sys.stderr.write(
            "peerbot invite: PEERBOT_BOT_TOKEN is not set; the link needs the bot's username\n"
        )
        return EXIT_USAGE
    deps = deps_for(settings)
    try:
        username = asyncio.run(_bot_username(settings))
    except Exception as error:  # noqa: BLE001 - any failure to reach Telegram is reported
        sys.stderr.write(
            f"peerbot invite: could not ask Telegram for the bot's username "
            f"({type(error).__name__})\n"
        )
        return 1
    create = partial(_create_invite, username=username, note=args.note, valid_for=args.expires)
    link = run_on(deps, create)
    sys.stdout.write(f"{link}\n")
    return 0


async def _bot_username(settings: Settings) -> str:
    from telegram import Bot

    assert settings.bot_token is not None
    api = settings.telegram_api_url
    async with Bot(
        settings.bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
    ) as bot:
        me = await bot.get_me()
    if not me.username:
        raise LookupError("the bot has no username")
    return me.username


async def _create_invite(
    deps: Deps, *, username: str, note: str | None, valid_for: timedelta
) -> str:
    from peerbot.services.common.context import unit_of_work
    from peerbot.services.supporters import invites

    async with unit_of_work(deps, now=deps.clock()) as ctx:
        created = await invites.create(ctx, valid_for=valid_for, note=note)
    sys.stdout.write(f"Valid until {created.expires_at.isoformat(timespec='minutes')}.\n")
    return invites.link(username, created.code)


def _run_due(settings: Settings, args: argparse.Namespace) -> int:
    """run one scheduling pass now

    Send the check-ins that are due, end breaks that are over and count unanswered check-ins
    as missed, as if the clock read --at. Messages go out through the running bot.
    """
    report = run_on(deps_for(settings), partial(_pass, at=args.at))
    if args.json:
        counts = ("sent", "waiting", "cancelled", "missed", "escalated")
        facts = {"checkins": {name: getattr(report, name) for name in counts}}
        sys.stdout.write(json.dumps(facts) + "\n")
        return 0
    sys.stdout.write(
        f"check-ins sent {report.sent}, waiting {report.waiting}, cancelled "
        f"{report.cancelled}, missed {report.missed}; escalations {report.escalated}\n"
    )
    return 0


async def _pass(deps: Deps, *, at: datetime | None) -> Any:
    from peerbot.scheduler.checkin_pass import run_pass
    from peerbot.storage import outbox

    wall = deps.clock()
    report = await run_pass(deps, now=at or wall)
    if at is not None and at > wall:  # what it queued goes out now, not at --at
        async with deps.sessions() as session, session.begin():
            await outbox.send_now(session, queued_at=at, now=wall)
    return report
