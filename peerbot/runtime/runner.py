"""Run the bot: poll (or serve a webhook), process, deliver, tick; stop cleanly on SIGINT/SIGTERM.

Webhook mode runs as one of several replicas sharing a PostgreSQL database: each stores what
it is posted, claims chats' updates from the shared inbox, ticks the scheduler (whose passes
claim rows), and the one holding the sender lock delivers the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal

from telegram.error import InvalidToken, NetworkError, TelegramError

from peerbot.bot.app import PeerbotApplication, build_application, set_command_menu
from peerbot.bot.deps import Deps
from peerbot.bot.group_watch import WATCH_KEY, GroupWatch
from peerbot.bot.inbox_worker import InboxWorker
from peerbot.bot.polling import ALLOWED_UPDATES, InboxPoller
from peerbot.bot.sender import OutboxSender, SenderTuning
from peerbot.runtime import heartbeat
from peerbot.runtime.leadership import WEBHOOK_LOCK, Leadership
from peerbot.scheduler import jobs
from peerbot.storage import audit
from peerbot.storage.locks import lock_for_transaction

log = logging.getLogger(__name__)

WEBHOOK_REGISTERED = "webhook.registered"  # audit action; details: a fingerprint, no secret


class TokenRejected(Exception):
    """Telegram answered that the bot token is not valid."""


async def serve(deps: Deps, stop: asyncio.Event | None = None, *, webhook: bool = False) -> None:
    """Run until stop is set (or a signal arrives); in-flight updates finish first."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    application = build_application(deps)
    try:
        if not await _initialize(application, stop):
            return
        watch = application.bot_data.get(WATCH_KEY)
        if isinstance(watch, GroupWatch):
            await watch.load(application.bot)  # the group as an earlier run left it
        if webhook:
            await _serve_webhook(application, deps, stop)
            return
        sender = _new_sender(application, deps)
        poller = InboxPoller(
            bot=application.bot,
            session_factory=deps.sessions,
            cipher=deps.cipher,
            clock=deps.clock,
            update_queue=application.update_queue,
        )
        if application.job_queue is not None:
            jobs.register(application.job_queue, deps)
        await application.start()
        menu = asyncio.create_task(set_command_menu(application, deps))
        sending = asyncio.create_task(sender.run(), name="outbox-sender")
        polling = asyncio.create_task(poller.run(), name="inbox-poller")
        beating = asyncio.create_task(
            heartbeat.beat(
                heartbeat.path_for(deps.settings),
                alive=lambda: not (polling.done() or sending.done()),
            ),
            name="heartbeat",
        )
        log.info("peerbot is running as @%s", application.bot.username)
        await _until_stopped(stop, polling, sending)
        beating.cancel()  # the heartbeat file goes: a healthcheck sees the bot stopping
        with contextlib.suppress(asyncio.CancelledError):
            await beating
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


async def _serve_webhook(application: PeerbotApplication, deps: Deps, stop: asyncio.Event) -> None:
    """One replica: HTTP in, shared inbox, scheduler ticks, the sender where the lock is held.

    On stop: the server stops taking posts (and finishes answering those it has), the worker
    stops claiming, the application finishes what was queued, the leases left are given back.
    """
    settings = deps.settings
    await register_webhook(application, deps)
    worker = InboxWorker(
        bot=application.bot,
        session_factory=deps.sessions,
        cipher=deps.cipher,
        clock=deps.clock,
        update_queue=application.update_queue,
        processor=application.update_processor,
        replica_id=settings.replica_id,
    )
    deps.inbox_wake = worker.wake
    leadership = Leadership(deps.engine, lambda: _leading_sender(application, deps))
    from peerbot.bot.webhook import webhook_server  # Starlette and uvicorn: this mode only

    server = webhook_server(deps, on_received=worker.wake)
    if application.job_queue is not None:
        jobs.register(application.job_queue, deps)
    await application.start()
    menu = asyncio.create_task(set_command_menu(application, deps))
    serving = asyncio.create_task(server.serve(), name="webhook-server")
    working = asyncio.create_task(worker.run(), name="inbox-worker")
    leading = asyncio.create_task(leadership.run(), name="sender-leadership")
    log.info("peerbot replica %s is running as @%s", settings.replica_id, application.bot.username)
    try:
        await _until_stopped(stop, serving, working, leading)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await serving
        worker.stop()
        with contextlib.suppress(Exception):
            await working
        await application.stop()  # finishes the updates already claimed
        with contextlib.suppress(Exception):
            await worker.release()
        leadership.stop()
        with contextlib.suppress(Exception):
            await leading
        menu.cancel()
    log.info("peerbot replica %s stopped", settings.replica_id)


def _leading_sender(application: PeerbotApplication, deps: Deps) -> OutboxSender:
    """A fresh sender for a term as leader; on PostgreSQL it also looks for rows that other
    replicas queued (their commits cannot wake it) a few times a second."""
    tuning = SenderTuning(idle_poll_seconds=0.25) if not deps.settings.is_sqlite else None
    return _new_sender(application, deps, tuning)


def _new_sender(
    application: PeerbotApplication, deps: Deps, tuning: SenderTuning | None = None
) -> OutboxSender:
    """The outbox's sender for this process; deps.wake_sender() wakes it from now on."""
    sender = OutboxSender(
        session_factory=deps.sessions,
        bot=application.bot,
        clock=deps.clock,
        pacer=deps.pacer,
        tuning=tuning,
        group=application.bot_data.get(WATCH_KEY),
    )
    deps.sender = sender
    return sender


async def register_webhook(application: PeerbotApplication, deps: Deps) -> bool:
    """setWebhook once for all replicas; True when this replica called it.

    Under a lock, and only when Telegram has another URL or the URL, secret or update kinds
    changed since the last registration. Telegram never tells the secret back, so a
    fingerprint of what was registered is kept in the audit trail.
    """
    settings = deps.settings
    url, secret = settings.webhook_url, settings.webhook_secret
    if url is None or secret is None:
        raise ValueError("webhook mode needs PEERBOT_WEBHOOK_URL and PEERBOT_WEBHOOK_SECRET")
    fingerprint = hashlib.sha256(
        "\n".join([url, secret.get_secret_value(), *ALLOWED_UPDATES]).encode()
    ).hexdigest()
    async with deps.sessions() as session, session.begin():
        await lock_for_transaction(session, WEBHOOK_LOCK)
        info = await application.bot.get_webhook_info()
        registered = await audit.last_details(session, WEBHOOK_REGISTERED) or {}
        if info.url == url and registered.get("fingerprint") == fingerprint:
            return False
        await application.bot.set_webhook(
            url, secret_token=secret.get_secret_value(), allowed_updates=ALLOWED_UPDATES
        )
        await audit.record(session, WEBHOOK_REGISTERED, now=deps.clock(), fingerprint=fingerprint)
    log.info("webhook registered")
    return True


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
