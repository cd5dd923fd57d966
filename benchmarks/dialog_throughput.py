"""Dialog throughput: synthetic participants walk the whole consent and intake at once.

Updates go into the application's update queue as a webhook would put them; every outgoing
call (the outbox sender's messages, button answers) is answered in-process by one light fake
request class, so nothing waits on a network. Each participant answers a step only once the
bot's answer to the previous one arrived, as a person does. The same participants and updates
then go through a bare python-telegram-bot application whose only handler replies: the
framework's ceiling on this machine.

Pacing is switched off: the outbox runs with a ChatPacer allowing a million messages a second
per chat and overall, so Telegram's rate limits never throttle what is measured here.

    python -m benchmarks.dialog_throughput [--participants N] [--db sqlite|postgresql|both]
                                           [--runs K]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from telegram import Bot, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest, RequestData

from benchmarks.report import figures, median, percentile, table
from peerbot.bot.app import MAX_CONCURRENT_UPDATES, build_application
from peerbot.bot.pacing import ChatPacer
from peerbot.bot.sender import OutboxSender
from peerbot.config import load_settings
from peerbot.runtime.build import build_deps
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.migrate import upgrade_to_head
from peerbot.storage.models import SupportRequest
from tests.support.postgres import execute

TOKEN = "123456:dialog-throughput"
BOT_ID = 123456
GROUP_ID = -1000000000042
FIRST_USER_ID = 700_000_000
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_DATABASE = "peerbot_bench"
UNLIMITED = 1_000_000
WARM_UP_PARTICIPANTS = 5
REPLY_TIMEOUT_SECONDS = 120.0

BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "peerbot", "username": "peerbot_bench"}


# -- the fake Telegram -------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One outgoing Bot API call as the fake received it."""

    at: float
    method: str
    message_id: int | None
    markup: str | None  # reply_markup as the JSON the bot sent, if any


@dataclass
class Wire:
    """Every call the bot made, per chat, and a way to wait for the next one."""

    calls: dict[int, list[Call]] = field(default_factory=lambda: defaultdict(list))
    _arrived: dict[int, asyncio.Event] = field(default_factory=dict)
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def record(self, chat_id: int, method: str, markup: str | None, message_id: int | None) -> int:
        if message_id is None and method.startswith("send"):
            message_id = next(self._message_ids)
        self.calls[chat_id].append(Call(time.perf_counter(), method, message_id, markup))
        event = self._arrived.get(chat_id)
        if event is not None:
            event.set()
        return message_id or 0

    async def wait_for(
        self, chat_id: int, since: int, wanted: Callable[[Call], bool]
    ) -> tuple[Call, int]:
        """The first call to chat_id at index >= since that is wanted, and the next index."""
        event = self._arrived.setdefault(chat_id, asyncio.Event())
        calls = self.calls[chat_id]
        async with asyncio.timeout(REPLY_TIMEOUT_SECONDS):
            while True:
                while since < len(calls):
                    since += 1
                    if wanted(calls[since - 1]):
                        return calls[since - 1], since
                event.clear()
                await event.wait()


class FakeTelegram(BaseRequest):
    """Answers every Bot API call at once with the smallest answer Telegram would give.

    The bot still encodes each call as for Telegram and decodes the answer, so everything
    above the network is measured.
    """

    def __init__(self, wire: Wire) -> None:
        self._wire = wire

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.json_parameters if request_data is not None else {}
        result = self._answer(name, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, name: str, params: dict[str, str]) -> object:
        if name == "getMe":
            return BOT_USER
        if name == "answerCallbackQuery":  # our query ids start with the chat id
            chat_id = int(params["callback_query_id"].split(":", 1)[0])
            self._wire.record(chat_id, name, None, None)
            return True
        if "chat_id" not in params:
            return True
        chat_id = int(params["chat_id"])
        edited = int(params["message_id"]) if "message_id" in params else None
        message_id = self._wire.record(chat_id, name, params.get("reply_markup"), edited)
        if name == "deleteMessage" or name.startswith("set"):
            return True
        chat_type = "private" if chat_id > 0 else "supergroup"
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": BOT_USER,
        }


# -- the participants ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What the participant sends, and which answer from the bot lets them go on.

    Exactly one of command, press or text is set. `then` is the flow step whose question
    comes next, "edit" (a toggled button) or "" (a last message without buttons).
    """

    then: str
    command: str | None = None
    press: tuple[str, str] | None = None
    text: str | None = None


def _presses(*steps: tuple[str, str, str]) -> list[Step]:
    return [Step(then, press=(step, choice)) for step, choice, then in steps]


# The consent and the intake as tests/support/journeys.py answers them, with the area and
# the last free-text question typed rather than skipped.
JOURNEY: tuple[Step, ...] = (
    Step("about_program", command="/start"),
    *_presses(
        ("about_program", "continue", "about_contact"),
        ("about_contact", "continue", "about_privacy"),
        ("about_privacy", "continue", "participation"),
        ("participation", "yes", "share_with_supporter"),
        ("share_with_supporter", "yes", "evaluation"),
        ("evaluation", "yes", "topics"),
        ("topics", "0", "edit"),
        ("topics", "3", "edit"),
        ("topics", "done", "who_for"),
        ("who_for", "0", "support_kind"),
        ("support_kind", "1", "edit"),
        ("support_kind", "done", "format"),
        ("format", "0", "channels"),
        ("channels", "0", "edit"),
        ("channels", "done", "languages"),
        ("languages", "0", "edit"),
        ("languages", "done", "age_band"),
        ("age_band", "2", "supporter_gender"),
        ("supporter_gender", "0", "supporter_similar_age"),
        ("supporter_similar_age", "1", "must_haves"),
        ("must_haves", "done", "country"),
        ("country", "skip", "region"),
    ),
    Step("timezone", text="Madrid"),
    *_presses(
        ("timezone", "2", "availability"),
        ("availability", "2", "edit"),
        ("availability", "done", "safety"),
        ("safety", "1", "anything_else"),
    ),
    Step("summary", text="Evenings after work suit me best, by text."),
    *_presses(("summary", "confirm", "")),
)


def peerbot_answered(step: Step) -> Callable[[Call], bool]:
    """The bot's answer the participant waits for before the next step."""
    if step.then == "edit":
        return lambda call: call.method == "editMessageReplyMarkup"
    if not step.then:
        return lambda call: call.method == "sendMessage" and call.markup is None
    wanted = f'"f:{step.then}:'
    return lambda call: call.method == "sendMessage" and wanted in (call.markup or "")


def bare_answered(step: Step) -> Callable[[Call], bool]:
    return lambda call: call.method == "sendMessage"


_update_ids = itertools.count(1)


def make_update(step: Step, user_id: int, question_id: int, bot: Bot) -> Update:
    """The update Telegram would post for this step."""
    user = {"id": user_id, "is_bot": False, "first_name": "Sam", "language_code": "en"}
    chat = {"id": user_id, "type": "private", "first_name": "Sam"}
    update_id = next(_update_ids)
    data: dict[str, Any] = {"update_id": update_id}
    if step.press is not None:
        data["callback_query"] = {
            "id": f"{user_id}:{update_id}",
            "from": user,
            "chat_instance": str(user_id),
            "data": f"f:{step.press[0]}:{step.press[1]}",
            "message": {
                "message_id": question_id,
                "date": int(time.time()),
                "chat": chat,
                "from": BOT_USER,
                "text": "…",
            },
        }
    else:
        text = step.command or step.text or ""
        message: dict[str, Any] = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if step.command is not None:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        data["message"] = message
    return Update.de_json(data, bot)


@dataclass
class Walk:
    """One participant's updates: when each went into the queue."""

    user_id: int
    put_at: list[float] = field(default_factory=list)


async def walk(
    application: Application,  # type: ignore[type-arg]
    wire: Wire,
    user_id: int,
    answered: Callable[[Step], Callable[[Call], bool]],
) -> Walk:
    """Send the journey's updates one by one, each after the bot answered the previous one."""
    record = Walk(user_id)
    question_id, seen = 0, 0
    for step in JOURNEY:
        update = make_update(step, user_id, question_id, application.bot)
        seen = len(wire.calls[user_id])
        record.put_at.append(time.perf_counter())
        await application.update_queue.put(update)
        call, seen = await wire.wait_for(user_id, seen, answered(step))
        if call.method == "sendMessage" and call.message_id is not None:
            question_id = call.message_id
    return record


# -- one measured pass --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    """What one application did with the participants' updates."""

    updates: int
    seconds: float
    cpu_seconds: float  # this process, all threads (not the database server's)
    calls: int  # Bot API calls made meanwhile (answers, and cards to the coordinators)
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_update(self) -> float:
        return 1000 * self.cpu_seconds / self.updates if self.updates else 0.0

    @property
    def calls_per_update(self) -> float:
        return self.calls / self.updates if self.updates else 0.0


def measure(walks: Sequence[Walk], wire: Wire, started: float, cpu_seconds: float) -> Pass:
    """Latency of an update: from the queue to the last call to its chat before the next one."""
    latencies: list[float] = []
    calls = sum(1 for call in wire.calls[GROUP_ID] if call.at >= started)
    for record in walks:
        chat = wire.calls[record.user_id]
        ends = [*record.put_at[1:], float("inf")]
        for put, until in zip(record.put_at, ends, strict=True):
            answers = [c.at for c in chat if put <= c.at < until]
            calls += len(answers)
            if answers:
                latencies.append(max(answers) - put)
    updates = sum(len(record.put_at) for record in walks)
    return Pass(updates, time.perf_counter() - started, cpu_seconds, calls, latencies)


async def crowd(
    application: Application,  # type: ignore[type-arg]
    wire: Wire,
    participants: int,
    first_user_id: int,
    answered: Callable[[Step], Callable[[Call], bool]],
) -> Pass:
    """All participants at once; the pass ends when the last one got its last answer."""
    started, cpu = time.perf_counter(), time.process_time()
    users = range(first_user_id, first_user_id + participants)
    walks = await asyncio.gather(*(walk(application, wire, u, answered) for u in users))
    return measure(walks, wire, started, time.process_time() - cpu)


async def peerbot_pass(database_url: str, participants: int) -> Pass:
    """The real application and outbox sender on database_url (already migrated)."""
    settings = load_settings(
        bot_token=TOKEN,
        database_url=database_url,
        coordinator_chat_id=GROUP_ID,
        encryption_key=FieldCipher.generate_key(),
    )
    deps = build_deps(settings)
    wire = Wire()
    deps.request_for = lambda: FakeTelegram(wire)
    deps.pacer = ChatPacer(
        rate_per_second=UNLIMITED,
        burst=UNLIMITED,
        overall_per_second=UNLIMITED,
        group_per_minute=UNLIMITED,
    )
    application = build_application(deps)
    sender = OutboxSender(
        session_factory=deps.sessions, bot=application.bot, clock=deps.clock, pacer=deps.pacer
    )
    deps.sender = sender
    await application.initialize()
    await application.start()
    sending = asyncio.create_task(sender.run())
    try:
        await crowd(application, wire, WARM_UP_PARTICIPANTS, FIRST_USER_ID, peerbot_answered)
        result = await crowd(
            application,
            wire,
            participants,
            FIRST_USER_ID + WARM_UP_PARTICIPANTS,
            peerbot_answered,
        )
        async with deps.sessions() as session:
            requests = await session.scalar(select(func.count()).select_from(SupportRequest))
        if requests != WARM_UP_PARTICIPANTS + participants:
            raise RuntimeError(f"{requests} support requests for {participants} participants")
    finally:
        await application.stop()
        await sender.stop(grace_seconds=0)
        await sending
        await application.shutdown()
        await deps.engine.dispose()
    return result


async def bare_pass(participants: int) -> Pass:
    """python-telegram-bot alone: one handler that replies; the same fake and the same updates."""
    wire = Wire()

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Thank you.")

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(FakeTelegram(wire))
        .get_updates_request(FakeTelegram(wire))
        .updater(None)
        .concurrent_updates(MAX_CONCURRENT_UPDATES)
        .build()
    )
    application.add_handler(TypeHandler(Update, reply))
    await application.initialize()
    await application.start()
    try:
        await crowd(application, wire, WARM_UP_PARTICIPANTS, FIRST_USER_ID, bare_answered)
        return await crowd(
            application, wire, participants, FIRST_USER_ID + WARM_UP_PARTICIPANTS, bare_answered
        )
    finally:
        await application.stop()
        await application.shutdown()


# -- databases ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def sqlite_database() -> Any:
    """A fresh SQLite file in a temporary folder, migrated to head."""
    with tempfile.TemporaryDirectory(prefix="peerbot-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'peerbot.sqlite3'}"
        await asyncio.to_thread(upgrade_to_head, url)
        yield url


@contextlib.asynccontextmanager
async def postgres_database() -> Any:
    """A database of our own beside the tests' one (named per process), dropped afterwards."""
    name = f"{POSTGRES_DATABASE}_{os.getpid()}"
    await execute(POSTGRES_ADMIN_DSN, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES_ADMIN_DSN).set(drivername="postgresql+asyncpg", database=name)
        rendered = url.render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade_to_head, rendered)
        yield rendered
    finally:
        await execute(POSTGRES_ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DATABASES: dict[str, Callable[[], Any]] = {
    "sqlite": sqlite_database,
    "postgresql": postgres_database,
}


# -- the report -----------------------------------------------------------------------------------


@dataclass
class Figures:
    """Every run's figures for one engine."""

    peerbot: list[Pass] = field(default_factory=list)
    bare: list[Pass] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        ours = median([p.per_second for p in self.peerbot])
        ceiling = median([p.per_second for p in self.bare])
        return {
            "updates_per_s": ours,
            "p50_ms": median([percentile(p.latencies, 0.5) * 1000 for p in self.peerbot]),
            "p99_ms": median([percentile(p.latencies, 0.99) * 1000 for p in self.peerbot]),
            "cpu_ms_per_update": median([p.cpu_ms_per_update for p in self.peerbot]),
            "calls_per_update": median([p.calls_per_update for p in self.peerbot]),
            "bare_updates_per_s": ceiling,
            "bare_p50_ms": median([percentile(p.latencies, 0.5) * 1000 for p in self.bare]),
            "bare_cpu_ms_per_update": median([p.cpu_ms_per_update for p in self.bare]),
            "ratio": ours / ceiling if ceiling else float("nan"),
            "runs_updates_per_s": [round(p.per_second, 1) for p in self.peerbot],
            "bare_runs_updates_per_s": [round(p.per_second, 1) for p in self.bare],
        }


async def run(engines: Sequence[str], participants: int, runs: int) -> dict[str, Figures]:
    """Per run and engine: the bare ceiling, then peerbot, back to back."""
    results = {engine: Figures() for engine in engines}
    for _ in range(runs):
        for engine in engines:
            results[engine].bare.append(await bare_pass(participants))
            async with DATABASES[engine]() as url:
                results[engine].peerbot.append(await peerbot_pass(url, participants))
    return results


def report(results: dict[str, Figures], participants: int, runs: int) -> None:
    summaries = {engine: figures.summary() for engine, figures in results.items()}
    columns = (
        "updates_per_s",
        "p50_ms",
        "p99_ms",
        "cpu_ms_per_update",
        "calls_per_update",
        "bare_updates_per_s",
        "bare_cpu_ms_per_update",
        "ratio",
    )
    table(
        f"dialog throughput: {participants} participants x {len(JOURNEY)} updates each, "
        f"median of {runs} run(s); Telegram's rate limits off (pacer and limiter unlimited)",
        [(engine, *(s[c] for c in columns)) for engine, s in summaries.items()],
        header=(
            "engine",
            "updates/s",
            "p50 ms",
            "p99 ms",
            "cpu ms/update",
            "calls/update",
            "bare updates/s",
            "bare cpu ms/update",
            "ratio",
        ),
    )
    targets = []
    if "sqlite" in summaries:
        targets.append(("sqlite: ratio to bare", ">= 0.5", summaries["sqlite"]["ratio"]))
    if "postgresql" in summaries:
        measured = summaries["postgresql"]["updates_per_s"]
        targets.append(("postgresql: updates/s", ">= 1,000", measured))
    table("targets (2 cores)", targets, header=("figure", "target", "measured"))
    values: dict[str, object] = {
        "participants": participants,
        "updates_per_participant": len(JOURNEY),
        "runs": runs,
    }
    for engine, summary in summaries.items():
        values.update({f"{engine}_{name}": value for name, value in summary.items()})
    figures("dialog_throughput", values)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    engines = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run(engines, args.participants, args.runs))
    report(results, args.participants, args.runs)


if __name__ == "__main__":
    main()
