"""A simulation: the real bot (handlers, services, database, scheduler, sender) running
against the emulated Bot API, with a virtual clock and people played from one keyboard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select

from peerbot.config import Settings, load_settings
from peerbot.emulator.fake_api import EmulatedBotApi
from peerbot.emulator.fake_models import FakeGroup, FakeMessage
from peerbot.emulator.fake_users import FakeUser
from peerbot.services.common.context import ServiceDeps, unit_of_work
from peerbot.services.supporters import invites
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import OutboxStatus
from peerbot.storage.migrate import upgrade_to_head
from peerbot.storage.models import OutboxMessage

BOT_TOKEN = "100200300:simulated"
GROUP_ID = -1000000000001
ROLES = ("participant", "supporter", "coordinator")
SETTLED_AFTER = 0.15  # seconds with nothing to process or send


class VirtualClock:
    """Time in the simulation: starts at 14:00 UTC today (daytime in Europe and the
    Americas) and moves only when told to."""

    def __init__(self) -> None:
        today = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0)
        self._offset = today - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, by: timedelta) -> None:
        self._offset += by


@dataclass
class Persona:
    """Someone played in the simulation."""

    name: str
    role: str
    user: FakeUser

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})"


class RunningBot(Protocol):
    """The real bot as a simulation drives it; peerbot.runtime builds it on the emulator."""

    @property
    def deps(self) -> ServiceDeps: ...

    async def serve(self, stop: asyncio.Event) -> None:
        """Poll, process, send and tick until stop is set."""

    async def run_due(self, now: datetime) -> None:
        """Run everything that falls due at `now`, as the scheduler would."""


# Build the bot for these settings, on this clock, against this emulated Bot API.
StartBot = Callable[[Settings, Callable[[], datetime], EmulatedBotApi], RunningBot]


@dataclass
class Simulation:
    """The running bot, the emulated Telegram, the clock and the people."""

    settings: Settings
    start_bot: StartBot
    api: EmulatedBotApi = field(default_factory=EmulatedBotApi)
    clock: VirtualClock = field(default_factory=VirtualClock)
    personas: dict[str, Persona] = field(default_factory=dict)
    current: Persona | None = None
    bot: RunningBot | None = None
    group: FakeGroup | None = None
    created: bool = False  # the last persona() call made someone new
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Migrate, start the bot against the emulator, and make the coordinators' group."""
        await asyncio.to_thread(upgrade_to_head, self.settings.database_url)
        self.bot = self.start_bot(self.settings, self.clock, self.api)
        self.group = self.api.group(chat_id=GROUP_ID, title="Coordinators")
        self._task = asyncio.create_task(self.bot.serve(self._stop), name="peerbot")
        await self.api.wait_until(lambda: self.api.calls("getUpdates"), timeout=30)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=15)

    def persona(self, role: str, name: str) -> Persona:
        """Switch to (or create) a persona; a new coordinator joins the group."""
        key = name.casefold()
        found = self.personas.get(key)
        self.created = found is None
        if found is None:
            user = self.api.private_user(first_name=name)
            found = Persona(name, role, user)
            self.personas[key] = found
            if role == "coordinator" and self.group is not None:
                self.group.add_member(user)
        self.current = found
        return found

    def chat_of(self, persona: Persona) -> int:
        """Where a persona types: coordinators in their group, everyone else privately."""
        if persona.role == "coordinator" and self.group is not None:
            return self.group.id
        return persona.user.chat_id

    async def say(self, text: str) -> None:
        """Send what the current persona typed (a /command or text) to their chat."""
        persona = self._require_persona()
        chat = self.chat_of(persona)
        if text.startswith("/"):
            command, _, args = text.partition(" ")
            await persona.user.send_command(command, args.strip(), chat=chat)
        else:
            await persona.user.send_text(text, chat=chat)
        await self.settle()

    async def reply(self, number: int, text: str) -> FakeMessage:
        """The current persona replies, where they type, to message `number` there (a /command
        too): a coordinator answers a case by replying to its card or a relayed message."""
        persona = self._require_persona()
        chat = self.api.resolve_chat(self.chat_of(persona))
        replied = self.api.find_message(chat, number)
        if replied is None:
            raise LookupError(f"there is no message #{number} there")
        sent = await persona.user.send_text(text, chat=chat, reply_to=replied)
        await self.settle()
        return sent

    async def open_invite(self) -> None:
        """A new supporter persona opens a fresh invite, as if a coordinator had sent one."""
        assert self.bot is not None
        async with unit_of_work(self.bot.deps, now=self.clock()) as ctx:
            created = await invites.create(ctx)
        await self.say(f"/start {invites.START_PREFIX}{created.code}")

    async def press(self, message: FakeMessage, label: str) -> None:
        persona = self._require_persona()
        await persona.user.press(label, message=message)
        await self.settle()

    async def advance(self, by: timedelta) -> None:
        """Move the clock on, then run everything that falls due, as the scheduler would."""
        assert self.bot is not None
        self.clock.advance(by)
        await self.bot.run_due(self.clock())
        await self.settle()

    async def settle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every update is handled and every message that is due was sent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet_since: float | None = None
        while loop.time() < deadline:
            busy = bool(self.api.pending_updates()) or await self._unsent()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= SETTLED_AFTER:
                return
            await asyncio.sleep(0.02)

    async def _unsent(self) -> bool:
        assert self.bot is not None
        async with self.bot.deps.sessions() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= self.clock(),
                )
            )
        return bool(pending)

    def _require_persona(self) -> Persona:
        if self.current is None:
            raise LookupError("nobody is being played yet")
        return self.current


def simulation_settings(folder: Path, environ_url: str | None) -> Settings:
    """Settings for a simulation: a fresh SQLite file unless PEERBOT_DATABASE_URL is set."""
    url = environ_url or f"sqlite+aiosqlite:///{folder / 'simulation.sqlite3'}"
    return load_settings(
        bot_token=BOT_TOKEN,
        database_url=url,
        coordinator_chat_id=GROUP_ID,
        encryption_key=FieldCipher.generate_key(),
        telegram_api_url="http://emulated.invalid",
    )
