"""How much work is waiting, read for the health metrics: inbox, outbox, escalations, check-ins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.storage.enums import (
    CheckinStatus,
    EscalationSeverity,
    EscalationStatus,
    OutboxStatus,
)
from peerbot.storage.models import Checkin, Escalation, OutboxMessage, ProcessedUpdate


@dataclass(frozen=True)
class Backlog:
    """Counts of waiting rows; every severity is present, at 0 when none is open."""

    inbox: int = 0
    outbox: int = 0
    escalations_open: dict[EscalationSeverity, int] = field(default_factory=dict)
    checkins_due: int = 0


async def read_backlog(session: AsyncSession, *, now: datetime) -> Backlog:
    """Count updates received but not processed, pending outbox rows, escalations raised and
    not yet claimed (per severity) and check-ins due but not yet sent."""
    inbox = await session.scalar(
        select(func.count()).where(ProcessedUpdate.processed_at.is_(None))
    )
    outbox = await session.scalar(
        select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
    )
    checkins_due = await session.scalar(
        select(func.count()).where(
            Checkin.status == CheckinStatus.SCHEDULED, Checkin.due_at <= now
        )
    )
    open_rows = await session.execute(
        select(Escalation.severity, func.count())
        .where(Escalation.status == EscalationStatus.OPEN)
        .group_by(Escalation.severity)
    )
    escalations = dict.fromkeys(EscalationSeverity, 0)
    escalations.update({EscalationSeverity(severity): count for severity, count in open_rows})
    return Backlog(
        inbox=inbox or 0,
        outbox=outbox or 0,
        escalations_open=escalations,
        checkins_due=checkins_due or 0,
    )
