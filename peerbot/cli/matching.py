"""`peerbot match propose-all`: proposals for every waiting request, now."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import action_group, command, deps_for, json_flag, run_on

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.config import Settings


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """matching chores

    Matching participants with supporters.
    """
    actions = action_group(subcommands, "match", add_parser)
    json_flag(command(actions, "propose-all", _propose_all))


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
