"""Builders for supporter stories at the service level: an invite, the profile, check-ins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.bot.deps import Deps
from peerbot.config import load_settings
from peerbot.dialogs.inputs import Input, Press, Text
from peerbot.program import load_program
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import journey
from peerbot.services.conversations.actions import TrainingConfirm
from peerbot.services.conversations.shown import Reply
from peerbot.services.coordination import coordinators
from peerbot.services.supporters import invites, supporters
from peerbot.storage import people
from peerbot.storage.crypto import FieldCipher
from tests.support.contexts import service_context

PROGRAM = load_program()
CIPHER = FieldCipher(FieldCipher.generate_key())
GROUP = -100777
COORDINATORS = frozenset({9001, 9002})

# Press indexes into the supporter flow's options (see dialogs/flows/supporter.yaml).
DEFAULT_PROFILE: dict[str, Any] = {
    "lived_experience": [3, 4],  # grief, caring
    "languages": [0, 1],  # en, es
    "age_band": 2,  # 35–44
    "gender": "skip",
    "region": "Queens, NYC",
    "timezone": 1,  # America/New_York
    "formats": [0, 1],  # text, phone
    "availability": [2, 3],  # evenings, weekends
    "capacity": 2,
    "training": 0,  # completed
    "checkin_weekday": 0,  # Monday
    "checkin_time": 3,  # 18:00
}


def settings(**overrides: Any):
    values = {
        "bot_token": "1:test",
        "coordinator_chat_id": GROUP,
        "coordinator_ids": COORDINATORS,
        "timezone": "Europe/Madrid",
    }
    return load_settings(**{**values, **overrides})


def deps_for(engine: Any, sessions: async_sessionmaker[AsyncSession]) -> Deps:
    """Deps on the test database with these settings (for the scheduler pass)."""
    return Deps(
        settings=settings(database_url=str(engine.url)),
        engine=engine,
        sessions=sessions,
        program=PROGRAM,
        cipher=CIPHER,
    )


def context(session: AsyncSession, now: datetime, **overrides: Any) -> ServiceContext:
    return service_context(
        session=session, program=PROGRAM, cipher=CIPHER, settings=settings(**overrides), now=now
    )


@dataclass
class Chat:
    """One person's private chat with the bot, driven through the services."""

    sessions: async_sessionmaker[AsyncSession]
    telegram_id: int
    locale: str = "en"
    first_name: str | None = None
    username: str | None = None
    replies: list[Reply] = field(default_factory=list)

    async def who(self, session: AsyncSession) -> Who:
        person = await people.find_by_telegram_id(session, self.telegram_id)
        locale = person.language if person else self.locale
        return Who(
            self.telegram_id,
            self.telegram_id,
            locale,
            person,
            first_name=self.first_name,
            username=self.username,
        )

    async def start(self, now: datetime, payload: str | None = None) -> Reply:
        async with self.sessions() as session, session.begin():
            reply = await journey.start(context(session, now), await self.who(session), payload)
        self.replies.append(reply)
        return reply

    async def send(self, now: datetime, received: Input) -> Reply:
        async with self.sessions() as session, session.begin():
            reply = await journey.flow_input(
                context(session, now), await self.who(session), received
            )
        self.replies.append(reply)
        return reply

    async def call(self, now: datetime, service: Any, *args: Any) -> Reply:
        """Any service taking (ctx, who, *args), e.g. supporters.pause."""
        async with self.sessions() as session, session.begin():
            reply = await service(context(session, now), await self.who(session), *args)
        self.replies.append(reply)
        return reply

    async def answer(self, now: datetime, step: str, value: Any) -> Reply:
        """Answer one question: an index, a list of indexes (then Done), "skip" or text."""
        if isinstance(value, list):
            for index in value:
                await self.send(now, Press(step, index))
            return await self.send(now, Press(step, "done"))
        if isinstance(value, str) and value != "skip":
            return await self.send(now, Text(value))
        return await self.send(now, Press(step, value))


async def new_invite(
    sessions: async_sessionmaker[AsyncSession], now: datetime, **options: Any
) -> str:
    async with sessions() as session, session.begin():
        created = await invites.create(context(session, now), **options)
    return created.code


async def join(
    chat: Chat, now: datetime, code: str, profile: Mapping[str, Any] | None = None
) -> Reply:
    """Open the invite, agree, answer the profile and confirm it; return the last reply."""
    await chat.start(now, f"{invites.START_PREFIX}{code}")
    await chat.send(now, Press("agreement", "yes"))
    for step, value in {**DEFAULT_PROFILE, **(profile or {})}.items():
        await chat.answer(now, step, value)
    return await chat.send(now, Press("summary", "confirm"))


def texts_of(reply: Reply) -> list[str]:
    """The text keys of a reply's notices and questions, in order."""
    keys = []
    for item in reply.items:
        key = getattr(item, "key", None) or getattr(item, "prompt_key", None)
        if key:
            keys.append(key)
    return keys


async def rows(sessions: async_sessionmaker[AsyncSession], model: Any, *where: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.scalars(select(model).where(*where))).all())


async def answer_checkin(
    chat: Chat,
    now: datetime,
    who5: tuple[int, int, int, int, int],
    *,
    burnout: int = 1,
    memories: int = 0,
    contact: int = 1,
    note: str | None = None,
) -> Reply:
    """Answer a check-in that was sent: five WHO-5 numbers, then the other items by index."""
    for number, value in enumerate(who5, start=1):
        await chat.send(now, Press(f"who5_{number}", value))
    await chat.send(now, Press("burnout", burnout - 1))
    await chat.send(now, Press("memories", memories))
    await chat.send(now, Press("contact", contact))
    if note is None:
        return await chat.send(now, Press("note", "skip"))
    return await chat.send(now, Text(note))


# Press indexes into the intake (see dialogs/flows/intake.yaml).
DEFAULT_INTAKE: dict[str, Any] = {
    "topics": [3],  # grief
    "who_for": 0,  # myself
    "support_kind": [1],  # emotional
    "format": 0,  # one to one
    "channels": [0],  # text
    "languages": [0],  # en
    "age_band": 3,  # 35–44
    "supporter_gender": 0,  # no preference
    "supporter_similar_age": 1,  # no preference
    "must_haves": [],
    "country": "skip",
    "region": "skip",
    "timezone": 1,  # New York
    "availability": [2],  # evenings
    "safety": 1,  # no
    "anything_else": "My mother died in May and evenings are hard.",
}


async def request_support(
    chat: Chat,
    now: datetime,
    intake: Mapping[str, Any] | None = None,
    *,
    share: bool = True,
    evaluation: bool = True,
) -> Reply:
    """Consent (sharing with a supporter or not, evaluation use or not), then the whole
    intake, confirmed."""
    await chat.start(now)
    for step in ("about_program", "about_contact", "about_privacy"):
        await chat.send(now, Press(step, "continue"))
    await chat.send(now, Press("participation", "yes"))
    await chat.send(now, Press("share_with_supporter", "yes" if share else "no"))
    await chat.send(now, Press("evaluation", "yes" if evaluation else "no"))
    for step, value in {**DEFAULT_INTAKE, **(intake or {})}.items():
        await chat.answer(now, step, value)
        if step == "safety" and value == 0:  # "yes": a message follows, then Continue
            await chat.send(now, Press("safety_followup", "continue"))
    return await chat.send(now, Press("summary", "confirm"))


async def as_coordinator(
    sessions: async_sessionmaker[AsyncSession], now: datetime, service: Any, *args: Any
) -> Reply:
    """A coordinator (Dana, 9001) doing something: service(ctx, coordinator, *args)."""
    async with sessions() as session, session.begin():
        ctx = context(session, now)
        coordinator = await coordinators.enroll(ctx, 9001, "Dana")
        return await service(ctx, coordinator, *args)


async def trained_supporter(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    telegram_id: int,
    profile: Mapping[str, Any] | None = None,
    *,
    first_name: str = "Robin",
    username: str | None = None,
) -> Chat:
    """A supporter who joined and whose training a coordinator confirmed."""
    chat = Chat(sessions, telegram_id, first_name=first_name, username=username)
    await join(chat, now, await new_invite(sessions, now), profile)
    async with sessions() as session:
        person = await people.find_by_telegram_id(session, telegram_id)
    assert person is not None
    await as_coordinator(sessions, now, supporters.confirm_training, TrainingConfirm(person.id))
    return chat
