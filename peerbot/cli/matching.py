"""`peerbot match propose-all`: proposals for every waiting request, now; `peerbot match
still-looking`: tell people waiting for days that we are still looking, now."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import action_group, command, deps_for, json_flag, run_on
from peerbot.cli.supporters import moment

if TYPE_CHECKING:
    from datetime import datetime

    from peerbot.bot.deps import Deps
    from peerbot.config import Settings


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """matching chores

    Matching participants with supporters.
    """
    actions = action_group(subcommands, "match", add_parser)
    json_flag(command(actions, "propose-all", _propose_all))
    still = command(actions, "still-looking", _still_looking)
    still.add_argument(
        "--at",
        type=moment,
        metavar="ISO-8601-TIME",
        help="the time to act as if it were, e.g. 2027-03-15T17:00:00Z (default: now)",
    )
    json_flag(still)


def _propose_all(settings: Settings, args: argparse.Namespace) -> int:
    """propose supporters for every waiting request (the bot also does this regularly)

    Share supporters' places out over every request still waiting, for the best total, and
    post a proposal card per request to the coordinators' group (delivered by the running bot).
    """
    proposed = run_on(deps_for(settings), _propose)
    if args.json:
        sys.stdout.write(json.dumps({"requests_proposed": proposed}) + "\n")
        return 0
    sys.stdout.write(f"requests proposed: {proposed}\n")
    return 0


async def _propose(deps: Deps) -> int:
    from peerbot.services.common.context import unit_of_work
    from peerbot.services.matching import batch_proposals

    async with unit_of_work(deps, now=deps.clock()) as ctx:
        return await batch_proposals.propose_all(ctx)


def _still_looking(settings: Settings, args: argparse.Namespace) -> int:
    """tell people whose request has waited for days that we are still looking (the bot also
    does this regularly)

    Send "we are still looking" to each person whose request has waited in matching, with no
    supporter offered, for program.yaml waiting.still_looking_after_days, as if the clock read
    --at (outside quiet hours, at most still_looking_at_most times per request).
    """
    told = run_on(deps_for(settings), partial(_tell, at=args.at))
    if args.json:
        sys.stdout.write(json.dumps({"people_told": told}) + "\n")
        return 0
    sys.stdout.write(f"people told: {told}\n")
    return 0


async def _tell(deps: Deps, *, at: datetime | None) -> int:
    from peerbot.services.common.context import unit_of_work
    from peerbot.services.matching import still_looking
    from peerbot.storage import outbox

    wall = deps.clock()
    async with unit_of_work(deps, now=at or wall) as ctx:
        told = await still_looking.tell_due(ctx)
    if at is not None and at > wall:  # what it queued goes out now, not at --at
        async with deps.sessions() as session, session.begin():
            await outbox.send_now(session, queued_at=at, now=wall)
    return told
