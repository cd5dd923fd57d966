"""Run a simulation from the keyboard or from a script file, printing the transcript."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from peerbot.simulate import demo
from peerbot.simulate.session import Simulation, StartBot, simulation_settings
from peerbot.simulate.terminal import Screen, handle

WELCOME = """\
peerbot simulator: the real bot, an emulated Telegram, and a clock that moves when you say.
You are {name}, a participant. Send /start to begin; /help lists the simulator's commands."""


async def simulate(
    *,
    database_url: str | None,
    with_demo: bool,
    script: TextIO | None,
    out: TextIO,
    color: bool,
    start_bot: StartBot,
) -> int:
    """Play until /quit or the end of the script."""
    async with running(
        database_url=database_url, with_demo=with_demo, out=out, color=color, start_bot=start_bot
    ) as (simulation, screen):
        await play(simulation, screen, script)
    return 0


@asynccontextmanager
async def running(
    *,
    database_url: str | None,
    with_demo: bool,
    out: TextIO,
    color: bool,
    start_bot: StartBot,
) -> AsyncIterator[tuple[Simulation, Screen]]:
    """A started simulation and its screen, the participant Alex welcomed; stopped after."""
    with tempfile.TemporaryDirectory(prefix="peerbot-simulate-") as folder:
        simulation = Simulation(simulation_settings(Path(folder), database_url), start_bot)
        screen = Screen(simulation, out=out, color=color)
        await simulation.start()
        try:
            if with_demo:
                names = await demo.seed(simulation)
                screen.line(
                    f"Demo supporters: {', '.join(names)} (play one with /as supporter NAME)",
                    "dim",
                )
            simulation.persona("participant", "Alex")
            screen.line(WELCOME.format(name="Alex"), "bold")
            yield simulation, screen
        finally:
            await simulation.stop()


async def play(simulation: Simulation, screen: Screen, script: TextIO | None) -> None:
    """Play the script's lines (or what is typed) until /quit or their end."""
    while True:
        if script is not None:
            typed = script.readline()
            if not typed:
                return
            if typed.strip() and not typed.lstrip().startswith("#"):
                screen.line(f"> {typed.rstrip()}", "bold yellow")
        else:
            try:
                typed = await asyncio.to_thread(input, "> ")
            except EOFError:
                return
        if not await handle(simulation, screen, typed):
            return


def colour_wanted(out: TextIO) -> bool:
    """Colour only on a terminal, and only if rich is installed."""
    if not out.isatty():
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True
