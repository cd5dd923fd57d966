"""People repository: who is writing, with their roles."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from peerbot.storage.codes import new_pseudonym
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


async def unused_pseudonym(session: AsyncSession, *, tries: int = 10) -> str:
    """A random pseudonym no one holds yet.

    Five characters give 28 million codes: with 100,000 people stored, one new person in
    about 300 would draw a code already taken and fail on the unique constraint.
    """
    for _ in range(tries):
        pseudonym = new_pseudonym()
        taken = await session.scalar(select(Person.id).where(Person.pseudonym == pseudonym))
        if taken is None:
            return pseudonym
    raise RuntimeError("no free pseudonym found; the code space is nearly full")
