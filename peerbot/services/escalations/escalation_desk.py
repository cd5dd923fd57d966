"""The coordinators' desk: claim, resolve with an outcome and a note, and list what is open."""

from __future__ import annotations

from sqlalchemy import case, select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.actions import EscalationAction
from peerbot.services.conversations.shown import EditPressed, Notice, Reply, Text
from peerbot.services.coordination import coordinators, group_delivery
from peerbot.services.escalations import card, escalations
from peerbot.storage import audit
from peerbot.storage.enums import EscalationEventKind, EscalationSeverity, EscalationStatus
from peerbot.storage.models import (
    Escalation,
    EscalationEvent,
    OutboxMessage,
    Person,
)

NOTE_PROMPT = "note_prompt"
OPEN_STATUSES = (EscalationStatus.OPEN, EscalationStatus.CLAIMED)


async def act(ctx: ServiceContext, coordinator: Person, action: EscalationAction) -> Reply:
    """A verified coordinator pressed a card button."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    escalation = await ctx.session.get(Escalation, action.escalation_id, with_for_update=True)
    if escalation is None:
        return reply.add(Notice("engine.stale_button"))
    subject = await _subject(ctx, escalation)
    case_id = subject.pseudonym if subject else "—"
    if escalation.status == EscalationStatus.RESOLVED:
        return reply.add(
            EditPressed(await card.as_it_stands(ctx, escalation, subject)),
            Notice("card.already_resolved", {"case": case_id}),
        )
    if action.action == "claim":
        return await _claim(ctx, coordinator, escalation, subject, reply)
    if action.action == "resolve":
        choosing = await card.as_it_stands(ctx, escalation, subject, outcomes=True)
        return reply.add(EditPressed(choosing))
    outcome = action.action.removeprefix("outcome:")
    if outcome in card.OUTCOMES and action.action.startswith("outcome:"):
        return await _resolve(ctx, coordinator, escalation, subject, outcome, reply)
    return reply.add(Notice("engine.stale_button"))


async def save_note(
    ctx: ServiceContext, coordinator: Person, replied_to_message_id: int, note: str
) -> Reply | None:
    """A reply to a note prompt: the note is kept, encrypted, on the escalation."""
    row = await ctx.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.chat_id == ctx.settings.coordinator_chat_id,
            OutboxMessage.telegram_message_id == replied_to_message_id,
            OutboxMessage.dedupe_key.like(f"escalation:%:{NOTE_PROMPT}"),
        )
    )
    if row is None or row.dedupe_key is None:
        return None  # a reply to something else: not ours to handle
    escalation_id = int(row.dedupe_key.split(":")[1])
    ctx.session.add(
        EscalationEvent(
            escalation_id=escalation_id,
            kind=EscalationEventKind.NOTE,
            actor_id=coordinator.id,
            at=ctx.now,
            note_enc=ctx.cipher.encrypt(note),
        )
    )
    await audit.record(
        ctx.session,
        "escalation.note",
        now=ctx.now,
        actor_id=coordinator.id,
        escalation_id=escalation_id,
    )
    escalation = await ctx.session.get(Escalation, escalation_id)
    subject = await _subject(ctx, escalation) if escalation else None
    reply = Reply(coordinators.coordinator_locale(ctx))
    return reply.add(Notice("card.note_saved", {"case": subject.pseudonym if subject else "—"}))


async def open_list(ctx: ServiceContext) -> Reply:
    """Unresolved escalations, most severe first, then oldest first."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    severity_rank = case(
        {EscalationSeverity.CRITICAL: 0, EscalationSeverity.HIGH: 1},
        value=Escalation.severity,
        else_=2,
    )
    rows = (
        await ctx.session.scalars(
            select(Escalation)
            .where(Escalation.status.in_(OPEN_STATUSES))
            .order_by(severity_rank, Escalation.created_at, Escalation.id)
        )
    ).all()
    if not rows:
        return reply.add(Notice("card.open_none"))
    lines = [coordinators.text(ctx, "card.open_heading")]
    undelivered = await group_delivery.undelivered_escalations(ctx, (e.id for e in rows))
    if undelivered:
        lines.append(coordinators.text(ctx, "delivery.open_undelivered", count=undelivered))
    for escalation in rows:
        subject = await _subject(ctx, escalation)
        lines.append(
            coordinators.text(
                ctx,
                "card.open_line",
                severity=coordinators.text(ctx, f"severity.{escalation.severity.value}"),
                category=coordinators.text(ctx, f"category.{escalation.category.value}"),
                case=subject.pseudonym if subject else "—",
                age=int((ctx.now - escalation.created_at).total_seconds() // 60),
                state=await _state_line(ctx, escalation),
            )
        )
    await audit.record(ctx.session, "escalation.listed", now=ctx.now, count=len(rows))
    return reply.add(Text(text="\n".join(lines)))


async def _claim(
    ctx: ServiceContext,
    coordinator: Person,
    escalation: Escalation,
    subject: Person | None,
    reply: Reply,
) -> Reply:
    if escalation.status == EscalationStatus.CLAIMED:
        claimer = await ctx.session.get(Person, escalation.claimed_by_id or 0)
        return reply.add(
            EditPressed(await card.as_it_stands(ctx, escalation, subject)),
            Notice(
                "card.already_claimed",
                {
                    "case": subject.pseudonym if subject else "—",
                    "name": coordinators.name_of(ctx, claimer),
                },
            ),
        )
    escalation.status = EscalationStatus.CLAIMED
    escalation.claimed_by_id = coordinator.id
    escalation.claimed_at = ctx.now
    escalation.next_reminder_at = None
    await _event(ctx, escalation, coordinator, EscalationEventKind.CLAIMED, "escalation.claimed")
    return reply.add(EditPressed(await card.as_it_stands(ctx, escalation, subject)))


async def _resolve(
    ctx: ServiceContext,
    coordinator: Person,
    escalation: Escalation,
    subject: Person | None,
    outcome: str,
    reply: Reply,
) -> Reply:
    if escalation.claimed_by_id is None:
        escalation.claimed_by_id, escalation.claimed_at = coordinator.id, ctx.now
    escalation.status = EscalationStatus.RESOLVED
    escalation.resolution = outcome
    escalation.resolved_at = ctx.now
    escalation.next_reminder_at = None
    await _event(
        ctx,
        escalation,
        coordinator,
        EscalationEventKind.RESOLVED,
        "escalation.resolved",
        outcome=outcome,
    )
    if ctx.settings.coordinator_chat_id is not None:  # notes are replies in the group only
        await coordinators.post(
            ctx,
            Text(
                text=coordinators.text(
                    ctx, "card.note_prompt", case=subject.pseudonym if subject else "—"
                ),
                force_reply=True,
            ),
            priority=coordinators.Priority.COORDINATION,
            dedupe_key=f"escalation:{escalation.id}:{NOTE_PROMPT}",
        )
    return reply.add(EditPressed(await card.as_it_stands(ctx, escalation, subject)))


async def _event(
    ctx: ServiceContext,
    escalation: Escalation,
    coordinator: Person,
    kind: EscalationEventKind,
    action: str,
    **details: object,
) -> None:
    await escalations.record_event(
        ctx, escalation, kind, action, actor_id=coordinator.id, details=details
    )


async def _state_line(ctx: ServiceContext, escalation: Escalation) -> str:
    if escalation.status == EscalationStatus.CLAIMED:
        claimer = await ctx.session.get(Person, escalation.claimed_by_id or 0)
        return coordinators.text(
            ctx, "card.state.claimed", name=coordinators.name_of(ctx, claimer)
        )
    return coordinators.text(ctx, "card.state.open")


async def _subject(ctx: ServiceContext, escalation: Escalation) -> Person | None:
    if escalation.person_id is None:
        return None
    return await ctx.session.get(Person, escalation.person_id)
