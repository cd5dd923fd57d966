"""Audit trail: who did what to whose record; details carry ids and codes, never free text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.storage.models import AuditEvent


async def record(
    session: AsyncSession,
    action: str,
    *,
    now: datetime,
    actor_id: int | None = None,
    subject_id: int | None = None,
    **details: Any,
) -> None:
    """Add one audit event to the current transaction."""
    session.add(
        AuditEvent(
            at=now,
            action=action,
            actor_id=actor_id,
            subject_person_id=subject_id,
            details=details,
        )
    )
    await session.flush()


async def last_details(session: AsyncSession, action: str) -> dict[str, Any] | None:
    """The details of the newest event of this kind, if there is one."""
    details = await session.scalar(
        select(AuditEvent.details)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return details
