"""A person's case: opened or reused by an escalation, a request for contact or the person
writing, and closed by a coordinator with an outcome.

A message after a case was closed opens a new case (a new row): each row is one episode with
its own card, and retention erases a closed episode's messages while a new one goes on.
"""

from __future__ import annotations

from sqlalchemy import select

from peerbot.services.cases import threads
from peerbot.services.common.context import ServiceContext
from peerbot.storage import audit
from peerbot.storage.enums import CaseStatus
from peerbot.storage.models import Case, Person

#: Why a case was opened (``cases.reason``).
ESCALATION = "escalation"
WROTE = "wrote"
FIRST_CONTACT = "first_contact"
NOT_CONNECTED = "not_connected"

LIVE = (CaseStatus.PENDING, CaseStatus.OPEN)


async def current(ctx: ServiceContext, person_id: int) -> Case | None:
    """The person's case that is open or waiting for their confirmation, if any."""
    return await ctx.session.scalar(
        select(Case)
        .where(Case.person_id == person_id, Case.status.in_(LIVE))
        .order_by(Case.id.desc())
        .limit(1)
    )


async def latest(ctx: ServiceContext, person_id: int) -> Case | None:
    """The person's newest case, open or closed."""
    return await ctx.session.scalar(
        select(Case).where(Case.person_id == person_id).order_by(Case.id.desc()).limit(1)
    )


async def open_for(
    ctx: ServiceContext,
    person: Person,
    reason: str,
    *,
    card_key: str | None = None,
    escalation_id: int | None = None,
) -> Case:
    """The person's open case, opened now if there is none; card_key: the outbox key of the
    group card that anchors it (an escalation's, a request for contact's)."""
    case = await current(ctx, person.id)
    if case is None:
        case = Case(person_id=person.id, status=CaseStatus.OPEN, reason=reason, opened_at=ctx.now)
        ctx.session.add(case)
        await ctx.session.flush()
        await _opened(ctx, case)
    elif case.status == CaseStatus.PENDING:  # held words stay held until the person answers
        case.status, case.reason, case.opened_at = CaseStatus.OPEN, reason, ctx.now
        await _opened(ctx, case)
    if card_key is not None and card_key != case.card_key:
        # a later card (another request for contact) is found by its key from now on; the
        # first one by the message id Telegram gave it (read back first). A card in between
        # is then found no more: keeping every anchor would need a table of its own.
        await threads.read_back_ids(ctx, case)
        case.card_key = card_key
    if case.escalation_id is None and escalation_id is not None:
        case.escalation_id = escalation_id
    return case


async def hold(ctx: ServiceContext, person: Person) -> Case:
    """A case waiting for the person to confirm that their words go to the coordinators."""
    case = await current(ctx, person.id)
    if case is None:
        case = Case(
            person_id=person.id, status=CaseStatus.PENDING, reason=WROTE, opened_at=ctx.now
        )
        ctx.session.add(case)
        await ctx.session.flush()
    return case


async def confirmed(ctx: ServiceContext, case: Case) -> Case:
    """The person said yes: a pending case opens (a closed one is followed by a new case)."""
    if case.status == CaseStatus.OPEN:
        return case
    if case.status == CaseStatus.PENDING:
        case.status, case.opened_at = CaseStatus.OPEN, ctx.now
        await _opened(ctx, case)
        return case
    person = await ctx.session.get(Person, case.person_id)
    assert person is not None
    return await open_for(ctx, person, WROTE)


async def close(ctx: ServiceContext, case: Case, coordinator: Person, outcome: str) -> None:
    """Close the case with an outcome; the caller tells the person."""
    case.status = CaseStatus.CLOSED
    case.closed_at = ctx.now
    case.outcome = outcome
    case.closed_by_id = coordinator.id
    await audited(ctx, "case.closed", case, coordinator.id, outcome=outcome)


async def audited(
    ctx: ServiceContext, action: str, case: Case, actor_id: int | None = None, **details: object
) -> None:
    """Record who did what to which case, and when; never what was said."""
    await audit.record(
        ctx.session,
        action,
        now=ctx.now,
        actor_id=actor_id,
        subject_id=case.person_id,
        case_id=case.id,
        **details,
    )


async def _opened(ctx: ServiceContext, case: Case) -> None:
    await audited(ctx, "case.opened", case, reason=case.reason)
