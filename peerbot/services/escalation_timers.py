"""Unclaimed escalations: raised again in the coordinators' group, then sent to each coordinator.

Safety first: the subject's status does not matter here (a stopped or erased person's red
flag is still chased); only a claim or a resolution stops the reminders.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.config import Settings
from peerbot.services import audit, coordinators, escalations
from peerbot.services.context import ServiceContext
from peerbot.services.program import ProgramData
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.dialect import skip_locked
from peerbot.storage.enums import EscalationEventKind, EscalationStatus, Role
from peerbot.storage.models import Escalation, EscalationEvent, Person
from peerbot.storage.outbox import Priority

BATCH = 50  # escalations chased per tick; the rest are due again on the next one


async def reraise_due(
    session: AsyncSession,
    program: ProgramData,
    settings: Settings,
    cipher: FieldCipher,
    *,
    now: datetime,
) -> int:
    """Chase every open escalation whose reminder is due; return how many were chased."""
    ctx = ServiceContext(
        session=session, program=program, cipher=cipher, settings=settings, now=now
    )
    due = await _claim_due(session, now=now)
    if not due:
        return 0
    subjects = await _subjects(session, due)
    policy = program.policy.escalations
    private_chats: list[int] | None = None
    for escalation in due:
        subject = subjects.get(escalation.person_id) if escalation.person_id else None
        if escalation.reminders_sent < policy.max_reraises and await _raise_again(
            ctx, escalation, subject
        ):
            escalation.reminders_sent += 1
            escalation.next_reminder_at = policy.reraise_at(escalation.severity, now)
        else:
            # Why also without a group: then nobody has seen the card at all.
            if private_chats is None:
                private_chats = await coordinators.coordinator_chats(ctx)
            await _send_privately(ctx, escalation, subject, private_chats)
            escalation.next_reminder_at = None
        session.add(
            EscalationEvent(escalation_id=escalation.id, kind=EscalationEventKind.REMINDED, at=now)
        )
    await session.flush()
    return len(due)


async def _claim_due(session: AsyncSession, *, now: datetime) -> Sequence[Escalation]:
    """Lock the open escalations due a reminder; another replica skips them."""
    statement = (
        select(Escalation)
        .where(
            Escalation.status == EscalationStatus.OPEN,
            Escalation.next_reminder_at.is_not(None),
            Escalation.next_reminder_at <= now,
        )
        .order_by(Escalation.next_reminder_at, Escalation.id)
        .limit(BATCH)
    )
    dialect_name = session.get_bind().dialect.name
    return (await session.scalars(skip_locked(statement, dialect_name))).all()


async def _subjects(session: AsyncSession, due: Sequence[Escalation]) -> dict[int, Person]:
    ids = {escalation.person_id for escalation in due if escalation.person_id is not None}
    if not ids:
        return {}
    people = await session.scalars(select(Person).where(Person.id.in_(ids)))
    return {person.id: person for person in people}


async def _raise_again(
    ctx: ServiceContext, escalation: Escalation, subject: Person | None
) -> bool:
    """Post the card again, naming the on-call coordinators; False when there is no group."""
    heading = coordinators.text(
        ctx,
        "card.reraised",
        count=escalation.reminders_sent + 1,
        minutes=_minutes_open(ctx, escalation),
    )
    return await coordinators.post(
        ctx,
        _card(
            ctx,
            escalation,
            subject,
            heading,
            mentions=_mentions(ctx),
            role=await escalations.subject_role(ctx, subject),
        ),
        priority=Priority.ESCALATION,
        dedupe_key=f"escalation:{escalation.id}:reraised:{escalation.reminders_sent + 1}",
    )


async def _send_privately(
    ctx: ServiceContext, escalation: Escalation, subject: Person | None, chats: list[int]
) -> None:
    """The last resort: the card to each coordinator's private chat, once."""
    heading = coordinators.text(
        ctx, "card.unclaimed_privately", minutes=_minutes_open(ctx, escalation)
    )
    payload = _card(
        ctx,
        escalation,
        subject,
        heading,
        mentions=None,
        role=await escalations.subject_role(ctx, subject),
    )
    await coordinators.post_privately(
        ctx,
        payload,
        priority=Priority.ESCALATION,
        dedupe_prefix=f"escalation:{escalation.id}:private",
    )
    await audit.record(
        ctx.session,
        "escalation.sent_privately",
        now=ctx.now,
        subject_id=escalation.person_id,
        escalation_id=escalation.id,
        recipients=len(chats),
    )


def _card(
    ctx: ServiceContext,
    escalation: Escalation,
    subject: Person | None,
    heading: str,
    *,
    mentions: str | None,
    role: Role,
) -> dict[str, Any]:
    """Heading, mentions, then the escalation's card with its buttons, as Telegram HTML."""
    card = escalations.card_payload(ctx, escalation, subject, role=role)
    lines = [_escape(heading)]
    if mentions:
        lines.append(mentions)
    lines += ["", _escape(str(card["text"]))]
    return {"text": "\n".join(lines), "parse_mode": "HTML", "reply_markup": card["reply_markup"]}


def _mentions(ctx: ServiceContext) -> str:
    """A mention of each on-call coordinator; the label is neutral, never a name."""
    label = _escape(coordinators.text(ctx, "card.on_call_label"))
    return " · ".join(
        f'<a href="tg://user?id={user_id}">{label}</a>'
        for user_id in sorted(ctx.settings.coordinator_ids)
    )


def _minutes_open(ctx: ServiceContext, escalation: Escalation) -> int:
    return max(0, int((ctx.now - escalation.created_at).total_seconds() // 60))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
