"""People repository: who is writing, with their roles."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from peerbot.storage.models import Person

# Built once, roles joined in: it runs on every update.
_BY_TELEGRAM_ID = (
    select(Person)
    .where(Person.telegram_user_id == bindparam("telegram_user_id"))
    .options(joinedload(Person.roles))
)


async def find_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    """The person with this Telegram user id, roles loaded; None if the bot does not know them."""
    found = await session.scalars(_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id})
    return found.unique().one_or_none()
