"""Red flags become escalations: recorded, and a card for the coordinators in the same commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from peerbot.services.cases import cases, threads
from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import card
from peerbot.services.escalations.screening import LateFlag
from peerbot.storage import audit
from peerbot.storage.enums import (
    EscalationCategory,
    EscalationEventKind,
    EscalationSeverity,
    EscalationStatus,
    Role,
)
from peerbot.storage.models import Escalation, EscalationEvent, Person
from peerbot.storage.outbox import Priority

URGENT_SEVERITIES = (EscalationSeverity.CRITICAL, EscalationSeverity.HIGH)


async def raise_flag(
    ctx: ServiceContext,
    person: Person | None,
    *,
    category: str,
    severity: str,
    source: str,
    matched: tuple[str, ...] = (),
    words: str | None = None,
    cause_key: str | None = None,
    forwarded: bool = False,
) -> Escalation:
    """Record an escalation and queue its card for the coordinators' group.

    cause_key names what raised it (see cause_of_words, cause_of_answer; by default the
    update being answered): a cause already recorded returns its escalation, so a retried or
    replayed update raises nothing twice.
    """
    if cause_key is None and ctx.update_id is not None:
        cause_key = cause_of_answer(ctx.update_id, source, category)
    if cause_key is not None:
        known = await ctx.session.scalar(
            select(Escalation).where(Escalation.cause_key == cause_key)
        )
        if known is not None:
            return known
    escalation = Escalation(
        person_id=person.id if person else None,
        category=EscalationCategory(category),
        severity=EscalationSeverity(severity),
        status=EscalationStatus.OPEN,
        source=source[:64],
        created_at=ctx.now,
        next_reminder_at=ctx.program.policy.escalations.reraise_at(severity, ctx.now),
        cause_key=cause_key,
    )
    ctx.session.add(escalation)
    await ctx.session.flush()
    if ctx.screened is not None and cause_key is not None:  # inside an update's own work
        person_id = person.id if person else None
        flag = LateFlag(person_id, category, severity, source, matched, cause_key)
        ctx.screened.late.append(flag)
    ctx.session.add(
        EscalationEvent(escalation_id=escalation.id, kind=EscalationEventKind.RAISED, at=ctx.now)
    )
    await audit.record(
        ctx.session,
        "escalation.raised",
        now=ctx.now,
        subject_id=person.id if person else None,
        escalation_id=escalation.id,
        category=category,
        severity=severity,
    )
    role = await card.subject_role(ctx, person)
    in_group = role != Role.SUPPORTER  # a supporter's own distress is not for the whole group
    view = card.raised(
        ctx,
        escalation,
        person,
        role=role,
        matched=matched,
        words=words,
        forwarded=forwarded,
        replies=in_group and person is not None,
    )
    card_key = f"escalation:{escalation.id}:raised"
    if not in_group:
        await coordinators.post_privately(
            ctx, view, priority=Priority.ESCALATION, dedupe_prefix=card_key
        )
    else:
        await coordinators.post(ctx, view, priority=Priority.ESCALATION, dedupe_key=card_key)
    if person is not None:  # the card anchors the person's case: a reply to it reaches them
        case = await cases.open_for(
            ctx,
            person,
            cases.ESCALATION,
            card_key=card_key if in_group else None,
            escalation_id=escalation.id,
        )
        if not in_group:  # the group hears only that contact is asked for, not why
            await threads.ensure_card(ctx, case, person, role.value, text_key="case.card_contact")
    return escalation


async def raise_late(ctx: ServiceContext, flags: list[LateFlag]) -> list[Escalation]:
    """Raise again the flags of an update whose own transaction failed for good."""
    raised = []
    for flag in flags:
        person = await ctx.find(Person, flag.person_id)
        raised.append(
            await raise_flag(
                ctx,
                person,
                category=flag.category,
                severity=flag.severity,
                source=flag.source,
                matched=flag.matched,
                cause_key=flag.cause_key,
            )
        )
    return raised


async def raise_severity(ctx: ServiceContext, escalation: Escalation, severity: str) -> bool:
    """Make an escalation more severe (never less); True if it changed.

    An open one is chased at the new severity's pace from now on (sooner, never later); a
    claimed one is reminded by its severity already (escalation_timers reads it each tick).
    """
    new = EscalationSeverity(severity)
    if severity_rank(new) <= severity_rank(escalation.severity):
        return False
    before = escalation.severity
    escalation.severity = new
    if escalation.status == EscalationStatus.OPEN:
        due = ctx.program.policy.escalations.reraise_at(new, ctx.now)
        known = escalation.next_reminder_at
        if due is not None and (known is None or known > due):
            escalation.next_reminder_at = due
    await audit.record(
        ctx.session,
        "escalation.severity_raised",
        now=ctx.now,
        subject_id=escalation.person_id,
        escalation_id=escalation.id,
        before=str(before),
        severity=str(new),
    )
    return True


async def record_event(
    ctx: ServiceContext,
    escalation: Escalation,
    kind: EscalationEventKind,
    action: str,
    *,
    actor_id: int | None = None,
    note: str | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """Add a step to the escalation's history (a note encrypted) and audit it (with details;
    never the note)."""
    step = EscalationEvent(escalation_id=escalation.id, kind=kind, actor_id=actor_id, at=ctx.now)
    step.note_enc = ctx.cipher.encrypt(note) if note else None
    ctx.session.add(step)
    about: dict[str, Any] = {"subject_id": escalation.person_id, "escalation_id": escalation.id}
    await audit.record(
        ctx.session, action, now=ctx.now, actor_id=actor_id, **about | dict(details or {})
    )


def severity_rank(severity: str) -> int:
    """Medium < high < critical."""
    order = (EscalationSeverity.MEDIUM, EscalationSeverity.HIGH, EscalationSeverity.CRITICAL)
    return order.index(EscalationSeverity(severity))


def cause_of_words(ctx: ServiceContext, chat_id: int, message_id: int, category: str) -> str:
    """A message's words raise each category once, whether sent, edited or replayed.

    The chat is kept only as a keyed digest: the key must not link a flag to a Telegram
    account (an erased person's, or someone's who never consented)."""
    return f"words:{ctx.cipher.blind(f'{chat_id}:{message_id}')}:{category}"


def cause_of_answer(update_id: int, source: str, category: str) -> str:
    """An answer (a press or a typed answer) raises each flag of its step once per update."""
    return f"answer:{update_id}:{source}:{category}"[:96]


def is_urgent(severity: str) -> bool:
    return EscalationSeverity(severity) in URGENT_SEVERITIES
