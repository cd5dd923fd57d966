"""What every service call needs: the unit of work's session, program data, cipher, the time
and the way out to the outbox; and the one place such a unit of work is opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.config import Settings
from peerbot.program import ProgramData
from peerbot.services.escalations.screening import Screened
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import Role
from peerbot.storage.models import Base, Person

if TYPE_CHECKING:
    from peerbot.services.conversations.shown import Outgoing, Shown

RowT = TypeVar("RowT", bound=Base)


class Outbox(Protocol):
    """Queue what a service shows to a chat, in the caller's transaction; the adapter renders."""

    async def post(
        self,
        chat_id: int,
        view: Shown,
        *,
        priority: int,
        dedupe_key: str | None = None,
        locale: str | None = None,
    ) -> None:
        """One view for one chat (the dedupe key as given); locale: the program's default."""

    async def post_reply(self, outgoing: Outgoing, *, priority: int) -> None:
        """Every item of a reply for a chat that did not write (dedupe keys numbered)."""


class ServiceDeps(Protocol):
    """The long-lived objects a caller builds service contexts from (the bot's Deps has them)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def program(self) -> ProgramData: ...

    @property
    def cipher(self) -> FieldCipher: ...

    def outbox_for(self, session: AsyncSession, now: datetime) -> Outbox:
        """The way out to the outbox, inside this session's transaction."""
        ...


@dataclass(frozen=True)
class ServiceContext:
    """One unit of work: services add to this session and post views; the caller commits."""

    session: AsyncSession
    program: ProgramData
    cipher: FieldCipher
    settings: Settings
    now: datetime
    update_id: int | None = None  # the Telegram update being answered, if any
    screened: Screened | None = None  # what its words raised before the dialog's work
    outbox: Outbox = field(kw_only=True)  # the adapter's renderer, queueing in this session

    async def find(self, model: type[RowT], row_id: object) -> RowT | None:
        """The row with this id, or None (also when there is no id, e.g. in older meta)."""
        return await self.session.get(model, row_id) if row_id is not None else None


def context_for(
    deps: ServiceDeps, session: AsyncSession, now: datetime, **extra: Any
) -> ServiceContext:
    """The service context of a unit of work the caller has opened on `session`."""
    return ServiceContext(
        session,
        deps.program,
        deps.cipher,
        deps.settings,
        now,
        outbox=deps.outbox_for(session, now),
        **extra,
    )


@asynccontextmanager
async def unit_of_work(deps: ServiceDeps, *, now: datetime) -> AsyncIterator[ServiceContext]:
    """Open a session and a transaction, yield its service context, commit on leaving."""
    async with deps.sessions() as session, session.begin():
        yield context_for(deps, session, now)


@dataclass
class Who:
    """The person an update comes from: Telegram ids, record (if any), roles and language.

    The bot looks it up once per update; each service call gets its own copy, which the
    service may change (a person enrolled, a language chosen)."""

    telegram_user_id: int
    chat_id: int
    locale: str
    person: Person | None = None
    first_name: str | None = None  # as Telegram shows it; kept (encrypted) only on joining
    username: str | None = None
    roles: frozenset[Role] = frozenset()
