"""People repository: who is writing, with their roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from peerbot.storage.models import Person


async def find_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    """The person with this Telegram user id, roles loaded; None if the bot does not know them."""
    return await session.scalar(
        select(Person)
        .where(Person.telegram_user_id == telegram_user_id)
        .options(selectinload(Person.roles))
    )
