"""Audit trail: who did what to whose record; details carry ids and codes, never free text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
