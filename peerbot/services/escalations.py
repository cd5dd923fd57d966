"""Red flags become escalations: recorded, and a card for the coordinators in the same commit."""

from __future__ import annotations

from peerbot.services import audit, coordinators
from peerbot.services.context import ServiceContext
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
    role: Role = Role.PARTICIPANT,
    matched: tuple[str, ...] = (),
) -> Escalation:
    """Record an escalation and queue its card for the coordinators' group."""
    escalation = Escalation(
        person_id=person.id if person else None,
        category=EscalationCategory(category),
        severity=EscalationSeverity(severity),
        status=EscalationStatus.OPEN,
        source=source[:64],
        created_at=ctx.now,
    )
    ctx.session.add(escalation)
    await ctx.session.flush()
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
    await coordinators.post_card(
        ctx,
        "card.red_flag",
        priority=Priority.ESCALATION,
        dedupe_key=f"escalation:{escalation.id}:raised",
        severity=coordinators.text(ctx, f"severity.{severity}"),
        category=coordinators.text(ctx, f"category.{category}"),
        case=person.pseudonym if person else "—",
        role=coordinators.text(ctx, f"role.{role.value}"),
        source=" · ".join((source, *matched)),
    )
    return escalation


def is_urgent(severity: str) -> bool:
    return EscalationSeverity(severity) in URGENT_SEVERITIES
