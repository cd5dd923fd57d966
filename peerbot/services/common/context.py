"""What every service call needs: the update's session, program data, cipher and the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.config import Settings
from peerbot.program import ProgramData
from peerbot.services.escalations.screening import Screened
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import Role
from peerbot.storage.models import Base, Person

RowT = TypeVar("RowT", bound=Base)


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


@dataclass(frozen=True)
class ServiceContext:
    """One unit of work: services add to this session; the caller commits."""

    session: AsyncSession
    program: ProgramData
    cipher: FieldCipher
    settings: Settings
    now: datetime
    update_id: int | None = None  # the Telegram update being answered, if any
    screened: Screened | None = None  # what its words raised before the dialog's work

    async def find(self, model: type[RowT], row_id: object) -> RowT | None:
        """The row with this id, or None (also when there is no id, e.g. in older meta)."""
        return await self.session.get(model, row_id) if row_id is not None else None


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
