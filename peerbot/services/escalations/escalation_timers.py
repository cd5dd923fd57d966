"""Escalations followed up: unclaimed ones raised again in the coordinators' group, then sent
to each coordinator; claimed ones left unresolved recalled to their claimer, then the group.

Safety first: the subject's status does not matter here (a stopped or erased person's red
flag is still chased); only a claim stops the first kind of reminder, only a resolution the
second.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, false, func, or_, select

from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import card
from peerbot.storage import audit
from peerbot.storage.dialect import skip_locked
from peerbot.storage.enums import (
    EscalationEventKind,
    EscalationSeverity,
    EscalationStatus,
    Role,
)
from peerbot.storage.models import Escalation, EscalationEvent, Person
from peerbot.storage.outbox import Priority

BATCH = 50  # escalations chased per tick; the rest are due again on the next one


async def reraise_due(ctx: ServiceContext) -> int:
    """Chase every open escalation whose reminder is due; return how many were chased."""
    now = ctx.now
    due = await _claim_due(ctx)
    if not due:
        return 0
    subjects = await _subjects(ctx, due)
    policy = ctx.program.policy.escalations
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
        _note_reminded(ctx, escalation)
    await ctx.session.flush()
    return len(due)


async def remind_claimed_due(ctx: ServiceContext) -> int:
    """Remind about every claimed escalation left unresolved too long; return how many.

    The first reminder goes privately to the coordinator who claimed it; each later one (as
    long again after the previous) to the coordinators' group, up to max_claimed_reminders.
    """
    due = await _claimed_due(ctx)
    if not due:
        return 0
    subjects = await _subjects(ctx, due)
    claimers = await _people(ctx, {e.claimed_by_id for e in due if e.claimed_by_id})
    for escalation in due:
        subject = subjects.get(escalation.person_id) if escalation.person_id else None
        claimer = claimers.get(escalation.claimed_by_id) if escalation.claimed_by_id else None
        role = await card.subject_role(ctx, subject)
        if escalation.claimed_reminders_sent == 0 and claimer and claimer.telegram_user_id:
            await _remind_claimer(ctx, escalation, subject, claimer.telegram_user_id, role)
        else:
            await _remind_group(ctx, escalation, subject, claimer, role)
        escalation.claimed_reminders_sent += 1
        escalation.claimed_reminded_at = ctx.now
        _note_reminded(ctx, escalation)
    await ctx.session.flush()
    return len(due)


async def _claimed_due(ctx: ServiceContext) -> Sequence[Escalation]:
    """Lock the claimed, unresolved escalations whose next reminder is due."""
    policy, now = ctx.program.policy.escalations, ctx.now
    last = func.coalesce(Escalation.claimed_reminded_at, Escalation.claimed_at)
    per_severity = [
        and_(Escalation.severity == severity, last <= now - interval)
        for severity in EscalationSeverity
        if (interval := policy.remind_claimed_after(severity)) is not None
    ]
    statement = (
        select(Escalation)
        .where(
            Escalation.status == EscalationStatus.CLAIMED,
            Escalation.claimed_reminders_sent < policy.max_claimed_reminders,
            or_(false(), *per_severity),
        )
        .order_by(Escalation.claimed_at, Escalation.id)
        .limit(BATCH)
    )
    dialect_name = ctx.session.get_bind().dialect.name
    return (await ctx.session.scalars(skip_locked(statement, dialect_name))).all()


async def _remind_claimer(
    ctx: ServiceContext, escalation: Escalation, subject: Person | None, chat_id: int, role: Role
) -> None:
    heading = coordinators.text(
        ctx, "card.claimed_reminder_private", elapsed=_elapsed_since_claim(ctx, escalation)
    )
    await ctx.outbox.post(
        chat_id,
        card.headed(ctx, escalation, subject, heading, mentions=None, role=role),
        priority=Priority.ESCALATION,
        dedupe_key=f"escalation:{escalation.id}:claimed-reminder:{_claim_mark(escalation)}:1",
    )


async def _remind_group(
    ctx: ServiceContext,
    escalation: Escalation,
    subject: Person | None,
    claimer: Person | None,
    role: Role,
) -> None:
    """To the group (or each coordinator privately, when there is no group)."""
    count = escalation.claimed_reminders_sent + 1
    heading = coordinators.text(
        ctx,
        "card.claimed_reminder_group",
        name=coordinators.name_of(ctx, claimer),
        elapsed=_elapsed_since_claim(ctx, escalation),
        count=count,
    )
    view = card.headed(ctx, escalation, subject, heading, mentions=None, role=role)
    key = f"escalation:{escalation.id}:claimed-reminder:{_claim_mark(escalation)}:{count}"
    if not await coordinators.post(ctx, view, priority=Priority.ESCALATION, dedupe_key=key):
        await coordinators.post_privately(
            ctx, view, priority=Priority.ESCALATION, dedupe_prefix=key
        )


def _claim_mark(escalation: Escalation) -> int:
    """Tells one claim from a later one, so a re-claimed escalation is reminded afresh."""
    return int(escalation.claimed_at.timestamp()) if escalation.claimed_at else 0


def _elapsed_since_claim(ctx: ServiceContext, escalation: Escalation) -> str:
    """'45 min' or, from two hours on, '26 h'."""
    since = escalation.claimed_at or escalation.created_at
    minutes = max(0, int((ctx.now - since).total_seconds() // 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


async def _people(ctx: ServiceContext, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    people = await ctx.session.scalars(select(Person).where(Person.id.in_(ids)))
    return {person.id: person for person in people}


async def _claim_due(ctx: ServiceContext) -> Sequence[Escalation]:
    """Lock the open escalations due a reminder; another replica skips them."""
    statement = (
        select(Escalation)
        .where(
            Escalation.status == EscalationStatus.OPEN,
            Escalation.next_reminder_at.is_not(None),
            Escalation.next_reminder_at <= ctx.now,
        )
        .order_by(Escalation.next_reminder_at, Escalation.id)
        .limit(BATCH)
    )
    dialect_name = ctx.session.get_bind().dialect.name
    return (await ctx.session.scalars(skip_locked(statement, dialect_name))).all()


async def _subjects(ctx: ServiceContext, due: Sequence[Escalation]) -> dict[int, Person]:
    """The people the escalations are about, by id."""
    return await _people(ctx, {e.person_id for e in due if e.person_id is not None})


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
        card.headed(
            ctx,
            escalation,
            subject,
            heading,
            mentions=card.on_call_mentions(ctx),
            role=await card.subject_role(ctx, subject),
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
    view = card.headed(
        ctx,
        escalation,
        subject,
        heading,
        mentions=None,
        role=await card.subject_role(ctx, subject),
    )
    await coordinators.post_privately(
        ctx,
        view,
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


def _minutes_open(ctx: ServiceContext, escalation: Escalation) -> int:
    return max(0, int((ctx.now - escalation.created_at).total_seconds() // 60))


def _note_reminded(ctx: ServiceContext, escalation: Escalation) -> None:
    """The escalation's history records each reminder."""
    ctx.session.add(
        EscalationEvent(escalation_id=escalation.id, kind=EscalationEventKind.REMINDED, at=ctx.now)
    )
