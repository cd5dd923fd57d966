"""The busiest evening: every supporter's check-in due at once, participants mid-intake, and
crises coming in, with `peerbot run` talking over HTTP to a fake Bot API that enforces
Telegram's limits (1 message/s per private chat, 20/min per group, 30/s overall).

Used by `benchmarks.fanout` and `benchmarks.escalation`; see benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from peerbot.emulator.fake_telegram import FakeBotApi
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.enums import SupporterStatus
from tests.support.journeys import Person as ScriptedPerson
from tests.support.rows import add_supporters_due

TOKEN = "123456:benchmark-token-for-the-fake-api"
GROUP = -1001234567890
FIRST_SUPPORTER_ID = 10_000_000
CARD_PREFIX = "⚠️ Safety flag"
CRISIS_TEXT = "I want to kill myself tonight"
PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "peerbot_bench_evening"
SEED_BATCH = 2_000
COUNTED = frozenset({"sendmessage", "senddocument", "sendphoto"})  # edits are not messages


@dataclass(frozen=True)
class Plan:
    """What the evening holds; `speedup` multiplies every rate limit (and the bot's pacing)."""

    supporters: int = 10_000
    speedup: float = 1.0
    chatting: int = 20  # participants going through consent and intake at any moment
    red_flag_every: float = 12.0  # seconds between crisis messages (divided by speedup)
    database: str = "sqlite"

    @property
    def limit_seconds(self) -> float:
        """The fastest Telegram allows: N messages at 30 (x speedup) per second."""
        return self.supporters / (30 * self.speedup)


@dataclass
class Evening:
    """What the fake Bot API saw."""

    plan: Plan
    checkin_times: list[float] = field(default_factory=list)
    checkin_chats: set[int] = field(default_factory=set)
    sends_during: int = 0  # messages of any kind accepted from the first check-in to the last
    reply_latencies: list[float] = field(default_factory=list)
    unanswered_actions: int = 0
    crisis_replies: list[float] = field(default_factory=list)
    card_latencies: list[float] = field(default_factory=list)
    flags_raised: int = 0
    rate_limited: dict[str, int] = field(default_factory=dict)
    participant_actions: int = 0

    @property
    def fanout_seconds(self) -> float:
        return self.checkin_times[-1] - self.checkin_times[0] if self.checkin_times else 0.0

    @property
    def shared_limit_seconds(self) -> float:
        """Telegram's limit for everything sent meanwhile: the check-ins share the 30 a second
        with the replies to participants and the coordinators' cards."""
        return self.sends_during / (30 * self.plan.speedup)


class Watch:
    """Times of the calls the fake Bot API accepted, per chat (monotonic clock)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.accepted: dict[int, list[float]] = defaultdict(list)
        self.cards: list[float] = []
        self.checkins: list[tuple[float, int]] = []
        self.sends: list[float] = []  # every call Telegram counts toward its 30 a second
        self.supporters = range(0)
        answer = api.answer

        async def watched(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            status, body = await answer(method, params)
            chat_id = params.get("chat_id")
            if status == 200 and isinstance(chat_id, int):
                now = time.monotonic()
                self.accepted[chat_id].append(now)
                text_sent = str(params.get("text", ""))
                if method.lower() in COUNTED:
                    self.sends.append(now)
                if chat_id == GROUP and text_sent.startswith(CARD_PREFIX):
                    self.cards.append(now)
                elif chat_id in self.supporters and method.lower() == "sendmessage":
                    self.checkins.append((now, chat_id))
            return status, body

        api.answer = watched  # type: ignore[method-assign]

    def replies_between(self, chat_id: int, start: float, end: float) -> list[float]:
        return [t for t in self.accepted.get(chat_id, ()) if start < t <= end]


class TimedUser:
    """A fake user who thinks a moment before each action and notes when it acted."""

    def __init__(self, user: Any, rng: random.Random, think: tuple[float, float]) -> None:
        self._user = user
        self._rng = rng
        self._think = think
        self.actions: list[float] = []

    @property
    def chat_id(self) -> int:
        return int(self._user.chat_id)

    async def _act(self) -> None:
        await asyncio.sleep(self._rng.uniform(*self._think))
        self.actions.append(time.monotonic())

    async def send_text(self, text_sent: str) -> None:
        await self._act()
        await self._user.send_text(text_sent)

    async def send_command(self, command: str, args: str = "") -> None:
        await self._act()
        await self._user.send_command(command, args)

    async def press(self, label: str, message: Any = None) -> None:
        await self._act()
        await self._user.press(label, message=message)


async def prepare_database(plan: Plan, workdir: Path) -> dict[str, str]:
    """A migrated database with the supporters and their due check-ins; the bot's settings."""
    env = {
        "PEERBOT_BOT_TOKEN": TOKEN,
        "PEERBOT_COORDINATOR_CHAT_ID": str(GROUP),
        "PEERBOT_ENCRYPTION_KEY": _key(),
    }
    if plan.database == "postgresql":
        admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            await connection.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        await admin.dispose()
        env["PEERBOT_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    else:
        env["PEERBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'peerbot.db'}"
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "peerbot", "migrate"],
        env=_environment(env),
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    await seed_supporters(env["PEERBOT_DATABASE_URL"], plan.supporters)
    return env


def _key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _environment(settings: dict[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("PEERBOT_")}
    return {**kept, **settings}


def afternoon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is early afternoon now (no check-in waits for morning)."""
    offset = (14 - now.hour + 12) % 24 - 12
    if offset == 0:
        return "UTC"
    return f"Etc/GMT-{offset}" if offset > 0 else f"Etc/GMT+{-offset}"


async def seed_supporters(database_url: str, count: int) -> None:
    """Active, trained supporters, each with a well-being check-in due a minute ago."""
    engine = create_engine(database_url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    zone, due = afternoon_zone(now), now - timedelta(minutes=1)
    telegram_ids = range(FIRST_SUPPORTER_ID, FIRST_SUPPORTER_ID + count)
    for start in range(0, count, SEED_BATCH):
        async with sessions() as session, session.begin():
            await add_supporters_due(
                session,
                telegram_ids[start : start + SEED_BATCH],
                due,
                time_zone=zone,
                lived_experience=["grief"],
                languages=["en"],
                status=SupporterStatus.ACTIVE,
                training="completed",
                training_confirmed_at=now,
                next_checkin_at=due,
            )
    await engine.dispose()


def start_bot(plan: Plan, api_url: str, settings: dict[str, str], workdir: Path) -> Any:
    """`peerbot run` (or the same with scaled pacing when sped up), logging to a file."""
    command = [sys.executable, "-m", "peerbot", "run"]
    if plan.speedup != 1:
        command = [sys.executable, "-m", "benchmarks.paced_bot", str(plan.speedup)]
    env = _environment({**settings, "PEERBOT_TELEGRAM_API_URL": api_url})
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    log = (workdir / "peerbot.log").open("ab")
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)


async def participant_loop(
    api: FakeBotApi, watch: Watch, evening: Evening, stop: asyncio.Event, seed: int
) -> None:
    """New participants one after another: consent, then the intake, like a person would."""
    rng = random.Random(seed)
    think = (2.0 / evening.plan.speedup, 6.0 / evening.plan.speedup)  # reading, then a tap
    while not stop.is_set():
        user = TimedUser(api.private_user(first_name="Pat"), rng, think)
        person = ScriptedPerson(api, user, timeout=60)
        try:
            await _walk(person, stop)
        except (AssertionError, TimeoutError):
            evening.unanswered_actions += 1
        ends = [*user.actions[1:], time.monotonic()]
        for started, ended in zip(user.actions, ends, strict=True):
            replies = watch.replies_between(user.chat_id, started, ended)
            evening.participant_actions += 1
            if replies:
                evening.reply_latencies.append(replies[-1] - started)


async def _walk(person: ScriptedPerson, stop: asyncio.Event) -> None:
    steps = (person.consent, person.intake_until_safety)
    for step in steps:
        if stop.is_set():
            return
        await step()


async def red_flag_loop(
    api: FakeBotApi, watch: Watch, evening: Evening, stop: asyncio.Event
) -> None:
    """Someone writes about ending their life every few seconds; time the crisis reply and
    the coordinators' card."""
    every = evening.plan.red_flag_every / evening.plan.speedup
    while not stop.is_set():
        await asyncio.sleep(every)
        if stop.is_set():
            return
        person = api.private_user(first_name="Ren")
        cards_before = len(watch.cards)
        started = time.monotonic()
        await person.send_text(CRISIS_TEXT)
        evening.flags_raised += 1
        with contextlib.suppress(AssertionError):
            await api.wait_until(
                lambda chat=person.chat_id, before=cards_before: (
                    len(watch.cards) > before and watch.accepted.get(chat)
                ),
                timeout=30,
                interval=0.005,
            )
        if watch.accepted.get(person.chat_id):
            evening.crisis_replies.append(watch.accepted[person.chat_id][0] - started)
        if len(watch.cards) > cards_before:
            evening.card_latencies.append(watch.cards[cards_before] - started)


async def run_evening(plan: Plan, *, progress: bool = True) -> Evening:
    """Seed, start the bot, and watch until every supporter's check-in was accepted."""
    evening = Evening(plan)
    workdir = Path(tempfile.mkdtemp(prefix="peerbot-evening-"))
    settings = await prepare_database(plan, workdir)
    async with FakeBotApi() as api:
        speed = plan.speedup
        api.enforce_rate_limits(
            per_private_chat_per_s=1 * speed,
            per_group_per_min=round(20 * speed),
            global_per_s=round(30 * speed),
            private_burst=2,  # a short burst (3 at once), as the bot's pacing assumes
        )
        api.group(chat_id=GROUP)
        for i in range(plan.supporters):
            api.private_user(user_id=FIRST_SUPPORTER_ID + i, first_name="Sam")
        watch = Watch(api)
        watch.supporters = range(FIRST_SUPPORTER_ID, FIRST_SUPPORTER_ID + plan.supporters)
        bot = start_bot(plan, api.url, settings, workdir)
        stop = asyncio.Event()
        try:
            await api.wait_until(lambda: api.calls("getUpdates"), timeout=30)
            crowd = [
                asyncio.create_task(participant_loop(api, watch, evening, stop, seed))
                for seed in range(plan.chatting)
            ]
            flags = asyncio.create_task(red_flag_loop(api, watch, evening, stop))
            await _until_all_sent(watch, plan, progress)
            stop.set()
            await asyncio.gather(*crowd, flags)
        finally:
            bot.terminate()
            bot.wait(timeout=30)
    evening.checkin_times = sorted(t for t, _ in watch.checkins)
    evening.checkin_chats = {chat for _, chat in watch.checkins}
    if evening.checkin_times:
        first, last = evening.checkin_times[0], evening.checkin_times[-1]
        evening.sends_during = sum(1 for t in watch.sends if first <= t <= last)
    for hit in api.rate_limit_hits:
        evening.rate_limited[hit.scope] = evening.rate_limited.get(hit.scope, 0) + 1
    return evening


async def _until_all_sent(watch: Watch, plan: Plan, progress: bool) -> None:
    deadline = time.monotonic() + 60 + 3 * plan.limit_seconds
    shown = 0.0
    while len(watch.checkins) < plan.supporters and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        if progress and time.monotonic() - shown > 10:
            shown = time.monotonic()
            done = len(watch.checkins)
            sys.stderr.write(f"  check-ins accepted: {done:,}/{plan.supporters:,}\n")
