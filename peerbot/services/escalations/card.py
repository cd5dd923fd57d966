"""The escalation card coordinators triage from, built here only: as first posted, as it
stands after a claim or a resolution, and headed when raised again or sent privately.

It shows what triage needs and never the person's words, unless the program asks for them.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.actions import EscalationAction
from peerbot.services.conversations.shown import Buttons, Text
from peerbot.services.coordination import coordinators
from peerbot.storage.enums import (
    EscalationCategory,
    EscalationEventKind,
    EscalationStatus,
    Role,
)
from peerbot.storage.models import Escalation, EscalationEvent, Person, RoleAssignment

OUTCOMES = ("contacted", "referred", "emergency_services", "no_action", "other")
# The person's answer to "Are you safe right now?", recorded as the event's kind.
SAFETY_ANSWERS = {
    "yes": EscalationEventKind.SAFE,
    "no": EscalationEventKind.NOT_SAFE,
    "unsure": EscalationEventKind.SAFETY_UNSURE,
}
SCREENER_QUESTIONS = ("q1", "q2", "q3", "q4", "q5", "q6", "q6_recent")


def text(
    ctx: ServiceContext,
    escalation: Escalation,
    person: Person | None,
    *,
    role: Role = Role.PARTICIPANT,
    matched: tuple[str, ...] = (),
) -> str:
    """What coordinators need for triage, never the person's words (redacted by default)."""
    return coordinators.text(
        ctx,
        "card.red_flag",
        severity=coordinators.text(ctx, f"severity.{escalation.severity.value}"),
        category=coordinators.text(ctx, f"category.{escalation.category.value}"),
        case=person.pseudonym if person else "—",
        role=coordinators.text(ctx, f"role.{role.value}"),
        source=" · ".join((escalation.source, *matched)),
    )


def buttons(ctx: ServiceContext, escalation: Escalation) -> Buttons:
    """An open card's Claim and Resolve buttons."""
    return coordinators.buttons(
        ctx,
        [
            [
                ("card.claim", EscalationAction(escalation.id, "claim")),
                ("card.resolve", EscalationAction(escalation.id, "resolve")),
            ]
        ],
    )


def raised(
    ctx: ServiceContext,
    escalation: Escalation,
    person: Person | None,
    *,
    role: Role,
    matched: tuple[str, ...],
    words: str | None,
    forwarded: bool,
    replies: bool = False,
) -> Text:
    """The card as first posted: notes on an unread or forwarded message, the words if allowed,
    and (replies) how to write to the person."""
    lines = [text(ctx, escalation, person, role=role, matched=matched)]
    if escalation.category == EscalationCategory.UNSCREENED:
        lines.append(coordinators.text(ctx, "card.unscreened"))
    if forwarded:
        lines.append(coordinators.text(ctx, "card.forwarded"))
    if words and ctx.program.policy.escalations.card_text == "full":
        lines.append(coordinators.text(ctx, "card.words", words=words))
    if replies:  # the card anchors the person's case thread
        lines.append(coordinators.text(ctx, "case.reply_hint"))
    return Text(text="\n".join(lines), buttons=buttons(ctx, escalation))


async def as_it_stands(
    ctx: ServiceContext, escalation: Escalation, subject: Person | None, *, outcomes: bool = False
) -> Text:
    """The card as it stands now: triage facts, who claimed or resolved it, the next buttons."""
    role = await subject_role(ctx, subject)
    facts = "\n\n".join(
        [text(ctx, escalation, subject, role=role), *await crisis_lines(ctx, escalation)]
    )
    status = await _status_line(ctx, escalation)
    card = Text(text=f"{facts}\n\n{status}" if status else facts)
    if outcomes:
        rows = [
            [(f"outcome.{o}", EscalationAction(escalation.id, f"outcome:{o}"))] for o in OUTCOMES
        ]
        choose = coordinators.text(
            ctx, "card.choose_outcome", case=subject.pseudonym if subject else "—"
        )
        return Text(text=f"{card.text}\n\n{choose}", buttons=coordinators.buttons(ctx, rows))
    if escalation.status == EscalationStatus.CLAIMED:
        resolve = [[("card.resolve", EscalationAction(escalation.id, "resolve"))]]
        return replace(card, buttons=coordinators.buttons(ctx, resolve))
    if escalation.status == EscalationStatus.OPEN:
        return replace(card, buttons=buttons(ctx, escalation))
    return card


def headed(
    ctx: ServiceContext,
    escalation: Escalation,
    subject: Person | None,
    heading: str,
    *,
    mentions: str | None,
    role: Role,
) -> Text:
    """Heading, mentions, then the escalation's card with its buttons, as Telegram HTML."""
    lines = [_escape(heading)]
    if mentions:
        lines.append(mentions)
    lines += ["", _escape(text(ctx, escalation, subject, role=role))]
    return Text(text="\n".join(lines), html=True, buttons=buttons(ctx, escalation))


def on_call_mentions(ctx: ServiceContext) -> str:
    """A mention of each on-call coordinator; the label is neutral, never a name."""
    label = _escape(coordinators.text(ctx, "card.on_call_label"))
    return " · ".join(
        f'<a href="tg://user?id={user_id}">{label}</a>'
        for user_id in sorted(ctx.settings.coordinator_ids)
    )


async def crisis_lines(ctx: ServiceContext, escalation: Escalation) -> list[str]:
    """What the person answered after the flag: are they safe, and the screener's questions."""
    events = (
        await ctx.session.scalars(
            select(EscalationEvent)
            .where(
                EscalationEvent.escalation_id == escalation.id,
                EscalationEvent.kind.in_((*SAFETY_ANSWERS.values(), EscalationEventKind.SCREENED)),
            )
            .order_by(EscalationEvent.id)
        )
    ).all()
    lines = []
    for event in events:
        if event.kind != EscalationEventKind.SCREENED:
            answer = next(a for a, kind in SAFETY_ANSWERS.items() if kind == event.kind)
            lines.append(coordinators.text(ctx, f"card.safety.{answer}"))
            continue
        record = _screened_record(ctx, event)
        if record is not None:
            lines.append(screener_lines(ctx, record.get("answers", {}), record.get("risk", "")))
    return lines


def screener_lines(ctx: ServiceContext, given: dict[str, str], risk: str) -> str:
    """The screener's answers as the coordinators read them, one question a line."""
    lines = [coordinators.text(ctx, "card.cssrs.heading", risk=_risk_name(ctx, risk))]
    for question_id in SCREENER_QUESTIONS:
        value = given.get(question_id)
        shown = coordinators.text(ctx, f"card.cssrs.{value}" if value else "card.cssrs.skipped")
        lines.append(coordinators.text(ctx, f"card.cssrs.{question_id}", answer=shown))
    return "\n".join(lines)


def _screened_record(ctx: ServiceContext, event: EscalationEvent) -> dict[str, Any] | None:
    text = ctx.cipher.decrypt(event.note_enc) if event.note_enc else None
    if text is None:  # erased by retention or /forget
        return None
    record = json.loads(text)
    return record if isinstance(record, dict) else None


def _risk_name(ctx: ServiceContext, risk: str) -> str:
    return coordinators.text(ctx, f"card.cssrs.risk.{risk}")


async def subject_role(ctx: ServiceContext, subject: Person | None) -> Role:
    """Supporter if the person holds that role, else participant."""
    if subject is None:
        return Role.PARTICIPANT
    supporter = await ctx.session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == subject.id, RoleAssignment.role == Role.SUPPORTER
        )
    )
    return Role.SUPPORTER if supporter else Role.PARTICIPANT


async def _status_line(ctx: ServiceContext, escalation: Escalation) -> str:
    zone = ZoneInfo(ctx.settings.timezone)
    who = coordinators.name_of(ctx, await ctx.session.get(Person, escalation.claimed_by_id or 0))
    if escalation.status == EscalationStatus.RESOLVED and escalation.resolved_at:
        return coordinators.text(
            ctx,
            "card.resolved",
            name=who,
            time=escalation.resolved_at.astimezone(zone).strftime("%H:%M"),
            outcome=coordinators.text(ctx, f"outcome.{escalation.resolution}"),
        )
    if escalation.status == EscalationStatus.CLAIMED and escalation.claimed_at:
        return coordinators.text(
            ctx,
            "card.claimed",
            name=who,
            time=escalation.claimed_at.astimezone(zone).strftime("%H:%M"),
        )
    return ""


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
