"""`peerbot simulate`'s bot: the real process (handlers, services, scheduler passes, sender)
wired to the emulated Bot API and the simulation's clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from peerbot.bot.deps import Deps
from peerbot.bot.pacing import ChatPacer
from peerbot.config import Settings
from peerbot.emulator.fake_api import EmulatedBotApi
from peerbot.emulator.request import EmulatorRequest
from peerbot.runtime.build import build_deps
from peerbot.runtime.runner import serve
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.common.context import unit_of_work
from peerbot.services.conversations import reminders
from peerbot.services.escalations import escalation_timers
from peerbot.services.matching import batch_proposals
from peerbot.simulate.session import BOT_TOKEN


@dataclass
class SimulatedBot:
    """The bot a simulation drives (simulate.session.RunningBot)."""

    deps: Deps

    async def serve(self, stop: asyncio.Event) -> None:
        await serve(self.deps, stop)

    async def run_due(self, now: datetime) -> None:
        """What the scheduler's ticks would do at `now`, at once."""
        deps = self.deps
        await run_pass(deps, now=now)
        async with unit_of_work(deps, now=now) as ctx:
            await reminders.remind_idle(ctx)
            await reminders.expire_idle(ctx)
            await escalation_timers.reraise_due(ctx)
            await batch_proposals.propose_all(ctx)
        deps.wake_sender()


def start_simulated(
    settings: Settings, clock: Callable[[], datetime], api: EmulatedBotApi
) -> SimulatedBot:
    """The bot built as `peerbot run` builds it, but talking to the emulator on the given clock."""
    deps = build_deps(settings)
    deps.clock = clock
    bot_id = int(BOT_TOKEN.split(":", 1)[0])
    deps.request_for = lambda: EmulatorRequest(api, bot_id=bot_id)
    # Telegram's pacing would only slow the transcript down; nothing is sent to Telegram.
    deps.pacer = ChatPacer(rate_per_second=1000, burst=1000, overall_per_second=10_000)
    return SimulatedBot(deps)
