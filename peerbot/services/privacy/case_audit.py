"""/audit: who read or changed a case's record and when, by role and pseudonym, never by name.

A case is a support request (its code, R-…, as on the new-request card) or a person (their
pseudonym, P-…, which escalation and match cards call the case).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.storage import audit
from peerbot.storage.enums import Role
from peerbot.storage.models import (
    AuditEvent,
    Escalation,
    Match,
    Person,
    RoleAssignment,
    SupportRequest,
)

SHOWN = 30
ROLE_ORDER = (Role.COORDINATOR, Role.SUPPORTER, Role.PARTICIPANT)


@dataclass(frozen=True)
class Case:
    """What the audit trail of a case is about: a person, and the rows that name them."""

    label: str  # the code the coordinator typed, normalised
    person_id: int
    request_code: str | None
    match_ids: tuple[int, ...]
    escalation_ids: tuple[int, ...]


async def case_trail(ctx: ServiceContext, coordinator: Person, args: Sequence[str]) -> Reply:
    """The last audit events of the case named in ``args``, oldest first; the look is audited."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    if not args:
        return reply.add(_text(ctx, "audit.usage"))
    label = args[0].strip().upper()
    case = await find_case(ctx, label)
    events = await trail(ctx, case) if case is not None else []
    await audit.record(  # after reading, so the trail shows what came before this look
        ctx.session,
        "case.audited",
        now=ctx.now,
        actor_id=coordinator.id,
        subject_id=case.person_id if case else None,
        case=case.label if case else None,  # a code, never what else was typed
    )
    if case is None:
        return reply.add(_text(ctx, "audit.unknown", case=label[:16]))
    if not events:
        return reply.add(_text(ctx, "audit.none", case=label))
    lines = [coordinators.text(ctx, "audit.heading", case=label, count=len(events))]
    lines += await _lines(ctx, events)
    return reply.add(Text(text="\n".join(lines)))


async def find_case(ctx: ServiceContext, label: str) -> Case | None:
    """The case a request code or a pseudonym names; None if there is none."""
    request = await ctx.session.scalar(select(SupportRequest).where(SupportRequest.code == label))
    if request is not None:
        matches = await ctx.session.scalars(
            select(Match.id).where(Match.support_request_id == request.id)
        )
        escalations = await ctx.session.scalars(
            select(Escalation.id).where(
                or_(
                    Escalation.support_request_id == request.id,
                    Escalation.person_id == request.person_id,
                )
            )
        )
        return Case(label, request.person_id, request.code, tuple(matches), tuple(escalations))
    person_id = await ctx.session.scalar(select(Person.id).where(Person.pseudonym == label))
    if person_id is None:
        return None
    matches = await ctx.session.scalars(
        select(Match.id)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .where(or_(SupportRequest.person_id == person_id, Match.supporter_id == person_id))
    )
    escalations = await ctx.session.scalars(
        select(Escalation.id).where(Escalation.person_id == person_id)
    )
    return Case(label, person_id, None, tuple(matches), tuple(escalations))


async def trail(ctx: ServiceContext, case: Case) -> list[AuditEvent]:
    """The newest SHOWN events about the case, oldest first."""
    about: list[ColumnElement[bool]] = [AuditEvent.subject_person_id == case.person_id]
    if case.match_ids:
        about.append(AuditEvent.details["match_id"].as_integer().in_(case.match_ids))
    if case.escalation_ids:
        about.append(AuditEvent.details["escalation_id"].as_integer().in_(case.escalation_ids))
    if case.request_code:
        about.append(AuditEvent.details["case"].as_string() == case.request_code)
    rows = await ctx.session.scalars(
        select(AuditEvent)
        .where(or_(*about))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(SHOWN)
    )
    return list(reversed(rows.all()))


async def _lines(ctx: ServiceContext, events: Sequence[AuditEvent]) -> list[str]:
    zone = ZoneInfo(ctx.settings.timezone)
    actors = {event.actor_id for event in events if event.actor_id is not None}
    who = await _actors(ctx, actors)
    return [
        coordinators.text(
            ctx,
            "audit.line",
            when=event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            who=who.get(event.actor_id or 0) or coordinators.text(ctx, "audit.system"),
            what=event.action,
        )
        for event in events
    ]


async def _actors(ctx: ServiceContext, ids: set[int]) -> dict[int, str]:
    """Each actor as "role pseudonym": their highest role, coordinator first."""
    if not ids:
        return {}
    people = await ctx.session.execute(
        select(Person.id, Person.pseudonym).where(Person.id.in_(ids))
    )
    roles: dict[int, set[Role]] = {}
    held = await ctx.session.execute(
        select(RoleAssignment.person_id, RoleAssignment.role).where(
            RoleAssignment.person_id.in_(ids)
        )
    )
    for person_id, role in held.all():
        roles.setdefault(person_id, set()).add(Role(role))
    found: dict[int, str] = {}
    for person_id, pseudonym in people.all():
        role = next((r for r in ROLE_ORDER if r in roles.get(person_id, set())), Role.PARTICIPANT)
        found[person_id] = coordinators.text(
            ctx,
            "audit.who",
            role=coordinators.text(ctx, f"audit.role.{role.value}"),
            case=pseudonym,
        )
    return found


def _text(ctx: ServiceContext, key: str, **values: object) -> Text:
    return Text(text=coordinators.text(ctx, key, **values))
