"""A simulation: the real bot (handlers, services, database, scheduler, sender) running
against the emulated Bot API, with a virtual clock and people played from one keyboard."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from peerbot.bot.deps import Deps, build_deps
from peerbot.bot.pacing import ChatPacer
from peerbot.bot.runner import serve
from peerbot.config import Settings, load_settings
from peerbot.emulator.fake_api import EmulatedBotApi
from peerbot.emulator.fake_models import FakeGroup, FakeMessage
from peerbot.emulator.fake_users import FakeUser
from peerbot.emulator.request import EmulatorRequest
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations import reminders
from peerbot.services.escalations import escalation_timers
from peerbot.services.matching import batch_proposals
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


@dataclass
class Simulation:
    """The running bot, the emulated Telegram, the clock and the people."""

    settings: Settings
    api: EmulatedBotApi = field(default_factory=EmulatedBotApi)
    clock: VirtualClock = field(default_factory=VirtualClock)
    personas: dict[str, Persona] = field(default_factory=dict)
    current: Persona | None = None
    deps: Deps | None = None
    group: FakeGroup | None = None
    created: bool = False  # the last persona() call made someone new
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Migrate, start the bot against the emulator, and make the coordinators' group."""
        await asyncio.to_thread(upgrade_to_head, self.settings.database_url)
        deps = build_deps(self.settings)
        deps.clock = self.clock
        bot_id = int(BOT_TOKEN.split(":", 1)[0])
        deps.request_for = lambda: EmulatorRequest(self.api, bot_id=bot_id)
        # Telegram's pacing would only slow the transcript down; nothing is sent to Telegram.
        deps.pacer = ChatPacer(rate_per_second=1000, burst=1000, overall_per_second=10_000)
        self.deps = deps
        self.group = self.api.group(chat_id=GROUP_ID, title="Coordinators")
        self._task = asyncio.create_task(serve(deps, self._stop), name="peerbot")
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

    async def open_invite(self) -> None:
        """A new supporter persona opens a fresh invite, as if a coordinator had sent one."""
        assert self.deps is not None
        async with self.deps.sessions() as session, session.begin():
            created = await invites.create(session, self.deps.cipher, now=self.clock())
        await self.say(f"/start {invites.START_PREFIX}{created.code}")

    async def press(self, message: FakeMessage, label: str) -> None:
        persona = self._require_persona()
        await persona.user.press(label, message=message)
        await self.settle()

    async def advance(self, by: timedelta) -> None:
        """Move the clock on, then run everything that falls due, as the scheduler would."""
        assert self.deps is not None
        self.clock.advance(by)
        deps, now = self.deps, self.clock()
        await run_pass(deps, now=now)
        async with deps.sessions() as session, session.begin():
            await reminders.remind_idle(session, deps.program, now=now)
            await reminders.expire_idle(session, deps.program, now=now)
            await escalation_timers.reraise_due(
                session, deps.program, deps.settings, deps.cipher, now=now
            )
            ctx = ServiceContext(session, deps.program, deps.cipher, deps.settings, now)
            await batch_proposals.propose_all(ctx)
        deps.wake_sender()
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
        assert self.deps is not None
        async with self.deps.sessions() as session:
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
