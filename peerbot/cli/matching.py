"""`peerbot match propose-all`: proposals for every waiting request, now."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import action_group

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.config import Settings


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """Register `match propose-all` on the `peerbot` sub-commands."""
    actions = action_group(
        subcommands,
        "match",
        help="matching chores",
        description="Matching participants with supporters.",
    )
    propose_all = actions.add_parser(
        "propose-all",
        help="propose supporters for every waiting request (the bot also does this regularly)",
        description="Share supporters' places out over every request still waiting, for the "
        "best total, and post a proposal card per request to the coordinators' group "
        "(delivered by the running bot).",
    )
    propose_all.add_argument(
        "--json", action="store_true", help="print one JSON object with the same counts"
    )
    propose_all.set_defaults(handler=_propose_all)


def _propose_all(settings: Settings, args: argparse.Namespace) -> int:
    from peerbot.runtime.build import build_deps
    from peerbot.storage.migrate import upgrade_if_behind

    deps = build_deps(settings)
    upgrade_if_behind(settings.database_url)
    proposed = asyncio.run(_run(deps))
    if args.json:
        sys.stdout.write(json.dumps({"requests_proposed": proposed}) + "\n")
        return 0
    sys.stdout.write(f"requests proposed: {proposed}\n")
    return 0


async def _run(deps: Deps) -> int:
    from peerbot.services.common.context import unit_of_work
    from peerbot.services.matching import batch_proposals

    try:
        async with unit_of_work(deps, now=deps.clock()) as ctx:
            return await batch_proposals.propose_all(ctx)
    finally:
        await deps.engine.dispose()
