"""`peerbot simulate`: the whole program in the terminal, with no Telegram account."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import command

if TYPE_CHECKING:
    from peerbot.config import Settings


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """Register `simulate [--demo] [--script FILE]` on the `peerbot` sub-commands."""
    simulate = command(subcommands, "simulate", _simulate)
    simulate.add_argument(
        "--demo", action="store_true", help="add a few supporters so matching has someone"
    )
    simulate.add_argument(
        "--script",
        type=Path,
        metavar="FILE",
        help="read the inputs from FILE, print the transcript",
    )


def _simulate(_settings: Settings, args: argparse.Namespace) -> int:
    """try the program in the terminal, playing every role (no Telegram needed)

    Run the real bot against an emulated Telegram with a virtual clock. You play a
    participant, supporters and coordinators; buttons are numbered. Uses a fresh SQLite file
    unless PEERBOT_DATABASE_URL is set.
    """
    from peerbot.runtime.simulation import start_simulated
    from peerbot.simulate.runner import colour_wanted, simulate

    for name in ("", "telegram", "peerbot", "apscheduler"):  # the transcript is the output
        logging.getLogger(name).setLevel(logging.WARNING)
    script = args.script
    if script is not None and not script.is_file():
        sys.stderr.write(f"peerbot simulate: --script {script}: no such file\n")
        return 2
    stream = script.open(encoding="utf-8") if script is not None else None
    try:
        return asyncio.run(
            simulate(
                database_url=os.environ.get("PEERBOT_DATABASE_URL"),
                with_demo=args.demo,
                script=stream,
                out=sys.stdout,
                color=script is None and colour_wanted(sys.stdout),
                start_bot=start_simulated,
            )
        )
    except KeyboardInterrupt:
        return 0
    finally:
        if stream is not None:
            stream.close()
