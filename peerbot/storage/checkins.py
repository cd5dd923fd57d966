"""Check-in rows: the schedule, claimed by row so two replicas never send one prompt twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.storage.dialect import not_for_index
from peerbot.storage.enums import CheckinKind, CheckinStatus
from peerbot.storage.models import Checkin

WELLBEING = CheckinKind.SUPPORTER_WELLBEING
FINISHED = (CheckinStatus.ANSWERED, CheckinStatus.MISSED)


async def due_ids(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[int]:
    """Ids of scheduled prompts (of any kind) that are due and not held back, oldest first."""
    return (
        await session.scalars(
            select(Checkin.id)
            .where(
                Checkin.status == CheckinStatus.SCHEDULED,
                Checkin.due_at <= now,
                or_(Checkin.claimed_until.is_(None), Checkin.claimed_until <= now),
            )
            .order_by(Checkin.due_at, Checkin.id)
            .limit(limit)
        )
    ).all()


async def unanswered_ids(
    session: AsyncSession, *, sent_before: datetime, limit: int
) -> Sequence[int]:
    """Ids of sent check-ins still unanswered since before sent_before."""
    return (
        await session.scalars(
            select(Checkin.id)
            .where(
                Checkin.kind == WELLBEING,
                Checkin.status == CheckinStatus.SENT,
                Checkin.sent_at <= sent_before,
            )
            .order_by(Checkin.sent_at, Checkin.id)
            .limit(limit)
        )
    ).all()


async def claim_many(
    session: AsyncSession, checkin_ids: Sequence[int], *, now: datetime, until: datetime
) -> Sequence[Checkin]:
    """Hold these due check-ins for this transaction, leaving out any another process has.

    As in claim(), a conditional write comes first, so the rows are ours (row locks on
    PostgreSQL, the write lock on SQLite) until the transaction ends. The rows are found by
    their ids: on SQLite an index on status would walk every scheduled check-in (a whole
    program's) and fill the page cache with them, for the 20 rows in hand.
    """
    status = not_for_index(Checkin.status, session.get_bind().dialect.name)
    claimed = (
        await session.scalars(
            update(Checkin)
            .where(
                Checkin.id.in_(checkin_ids),
                status == CheckinStatus.SCHEDULED,
                or_(Checkin.claimed_until.is_(None), Checkin.claimed_until <= now),
            )
            .values(claimed_until=until)
            .returning(Checkin.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed:
        return []
    return (
        await session.scalars(
            select(Checkin)
            .where(Checkin.id.in_(claimed))
            .order_by(Checkin.due_at, Checkin.id)
            .execution_options(populate_existing=True)
        )
    ).all()


async def take(
    session: AsyncSession,
    checkin_id: int,
    *,
    from_status: CheckinStatus,
    to_status: CheckinStatus,
    **values: object,
) -> bool:
    """Move a check-in on only if it is still where we saw it; False: another pass took it.

    On SQLite, which has no row locks, this conditional write is what keeps a prompt from
    being sent twice by two processes; on PostgreSQL the claim's row lock already does.
    """
    result = await session.execute(
        update(Checkin)
        .where(Checkin.id == checkin_id, Checkin.status == from_status)
        .values(status=to_status, **values)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def cancel_scheduled(
    session: AsyncSession, person_id: int, *, every_kind: bool = False
) -> None:
    """Drop the person's scheduled (not yet sent) well-being check-ins, or every prompt
    scheduled for them (follow-ups and feedback too) with every_kind."""
    kinds = [WELLBEING] if not every_kind else list(CheckinKind)
    await session.execute(
        update(Checkin)
        .where(
            Checkin.person_id == person_id,
            Checkin.kind.in_(kinds),
            Checkin.status == CheckinStatus.SCHEDULED,
        )
        .values(status=CheckinStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )


async def recent_finished(session: AsyncSession, person_id: int, count: int) -> Sequence[Checkin]:
    """The person's last `count` answered or missed check-ins, newest first."""
    return (
        await session.scalars(
            select(Checkin)
            .where(
                Checkin.person_id == person_id,
                Checkin.kind == WELLBEING,
                Checkin.status.in_(FINISHED),
            )
            .order_by(Checkin.due_at.desc(), Checkin.id.desc())
            .limit(count)
        )
    ).all()


async def previous_score(session: AsyncSession, person_id: int, before_id: int) -> float | None:
    """The WHO-5 percentage of the person's last answered check-in before this one."""
    return await session.scalar(
        select(Checkin.score)
        .where(
            Checkin.person_id == person_id,
            Checkin.kind == WELLBEING,
            Checkin.status == CheckinStatus.ANSWERED,
            Checkin.id != before_id,
        )
        .order_by(Checkin.answered_at.desc(), Checkin.id.desc())
        .limit(1)
    )
