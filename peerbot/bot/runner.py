"""Run the bot: poll, process, deliver, tick; stop cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram.error import InvalidToken, NetworkError, TelegramError

from peerbot.bot.app import PeerbotApplication, build_application, set_command_menu
from peerbot.bot.deps import Deps
from peerbot.bot.polling import InboxPoller
from peerbot.bot.sender import OutboxSender
from peerbot.scheduler import jobs

log = logging.getLogger(__name__)


class TokenRejected(Exception):
    """Telegram answered that the bot token is not valid."""


async def serve(deps: Deps, stop: asyncio.Event | None = None) -> None:
    """Run until stop is set (or a signal arrives); in-flight updates finish first."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    application = build_application(deps)
    try:
        if not await _initialize(application, stop):
            return
        sender = OutboxSender(
            session_factory=deps.sessions, bot=application.bot, clock=deps.clock, pacer=deps.pacer
        )
        deps.sender = sender
        poller = InboxPoller(
            bot=application.bot,
            session_factory=deps.sessions,
            cipher=deps.cipher,
            clock=deps.clock,
            update_queue=application.update_queue,
        )
        if application.job_queue is not None:
            jobs.register(application.job_queue)
        await application.start()
        menu = asyncio.create_task(set_command_menu(application, deps))
        sending = asyncio.create_task(sender.run(), name="outbox-sender")
        polling = asyncio.create_task(poller.run(), name="inbox-poller")
        log.info("peerbot is running as @%s", application.bot.username)
        await _until_stopped(stop, polling, sending)
        poller.stop()
        with contextlib.suppress(Exception):
            await polling
        await application.stop()  # finishes the updates already fetched
        await sender.stop()
        await sending
        menu.cancel()
        log.info("peerbot stopped")
    finally:
        await application.shutdown()
        await deps.engine.dispose()


async def _initialize(application: PeerbotApplication, stop: asyncio.Event) -> bool:
    """getMe until Telegram answers; a rejected token is fatal, an outage is waited out."""
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            raise TokenRejected from None
        except (NetworkError, TelegramError) as error:
            log.warning(
                "Telegram unreachable at start (%s); retrying in %.0fs",
                type(error).__name__,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 30.0)
    return False


async def _until_stopped(stop: asyncio.Event, *tasks: asyncio.Task[None]) -> None:
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done - {waiter}:
        error = task.exception()
        if isinstance(error, InvalidToken):
            raise TokenRejected from None
        if error is not None:
            raise error


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
