"""What every service call needs: the update's session, program data, cipher and the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.config import Settings
from peerbot.services.program import ProgramData
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.models import Person


@dataclass(frozen=True)
class ServiceContext:
    """One unit of work: services add to this session; the caller commits."""

    session: AsyncSession
    program: ProgramData
    cipher: FieldCipher
    settings: Settings
    now: datetime


@dataclass
class Who:
    """The person writing: their Telegram ids, record (if any) and language."""

    telegram_user_id: int
    chat_id: int
    locale: str
    person: Person | None = None
