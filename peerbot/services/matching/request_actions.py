"""A coordinator's decisions on an open request, from its cards or /case: propose a held
request anyway, or refer, decline, close or withdraw it. Each of the last four asks a one-tap
confirmation, withdraws open proposals and offers, tells the person in words chosen for the
case, stamps the request's cards and is audited. A stale or second press changes nothing."""

from __future__ import annotations

from sqlalchemy import or_, select

from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations.shown import (
    EditPressed,
    EditSent,
    Menu,
    MenuButton,
    Notice,
    Reply,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.matching import (
    holds,
    match_words,
    offers,
    proposals,
    referrals,
    still_looking,
)
from peerbot.services.matching.request_buttons import (
    CLOSE,
    CONFIRMED,
    DECLINE,
    KEEP,
    PROPOSE,
    REFER,
    WITHDRAW,
    RequestConfirm,
    RequestDecision,
    StopWaiting,
    action_rows,
)
from peerbot.storage import audit
from peerbot.storage.enums import PersonStatus, SupportRequestStatus
from peerbot.storage.models import OutboxMessage, Person, SupportRequest
from peerbot.storage.outbox import Priority

OPEN = (
    SupportRequestStatus.HELD,
    SupportRequestStatus.NEW,
    SupportRequestStatus.MATCHING,
    SupportRequestStatus.PROPOSED,
)
# What each confirmed action makes of the request: its status and closed_reason.
OUTCOMES = {
    REFER: (SupportRequestStatus.CLOSED, "referred"),
    DECLINE: (SupportRequestStatus.CLOSED, "declined"),
    CLOSE: (SupportRequestStatus.CLOSED, "closed"),
    WITHDRAW: (SupportRequestStatus.WITHDRAWN, "withdrawn_by_coordinator"),
}
STAMPS = {
    PROPOSE: "requests.stamp.proposed",
    REFER: "requests.stamp.referred",
    DECLINE: "requests.stamp.declined",
    CLOSE: "requests.stamp.closed",
    WITHDRAW: "requests.stamp.withdrawn",
}
TOLD = {
    REFER: "requests.referred",
    DECLINE: "requests.declined",
    CLOSE: "requests.closed_told",
    WITHDRAW: "requests.withdrawn_told",
}


async def act(
    ctx: ServiceContext, coordinator: Person, action: RequestDecision | RequestConfirm
) -> Reply:
    """A press on a request's card (propose, or ask to confirm) or on its confirmation."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    request = await ctx.session.get(SupportRequest, action.request_id)
    confirming = isinstance(action, RequestConfirm)
    if request is None:
        return reply.add(_note(ctx, "card.proposal_stale", edit=confirming))
    if confirming and action.action == KEEP:
        return reply.add(_note(ctx, "requests.kept", edit=True, code=request.code))
    if not _allowed(request, action.action):
        status = coordinators.text(ctx, f"requests.status.{request.status.value}")
        return reply.add(
            _note(ctx, "requests.stale", edit=confirming, code=request.code, status=status)
        )
    if action.action == PROPOSE:
        return reply.add(await _propose_anyway(ctx, coordinator, request))
    if not confirming:
        return reply.add(_confirmation(ctx, request, action.action))
    return reply.add(await _decide(ctx, coordinator, request, action.action))


def case_buttons(
    ctx: ServiceContext, request: SupportRequest | None
) -> tuple[tuple[MenuButton, ...], ...]:
    """The buttons /case shows for the person's request: none unless it is still open."""
    if request is None or request.status not in OPEN:
        return ()
    rows = action_rows(request.id)
    if request.status == SupportRequestStatus.HELD:
        rows.insert(0, [("requests.button.propose", RequestDecision(PROPOSE, request.id))])
    return coordinators.buttons(ctx, rows)


def _allowed(request: SupportRequest, action: str) -> bool:
    if action == PROPOSE:
        return request.status == SupportRequestStatus.HELD
    return action in CONFIRMED and request.status in OPEN


async def _propose_anyway(
    ctx: ServiceContext, coordinator: Person, request: SupportRequest
) -> EditPressed:
    """The held request goes to matching as usual; its card says who decided."""
    request.status = SupportRequestStatus.NEW
    request.updated_at = ctx.now
    still_looking.start(ctx, request)
    await audit.record(
        ctx.session,
        "request.proposed_anyway",
        now=ctx.now,
        actor_id=coordinator.id,
        subject_id=request.person_id,
        case=request.code,
        reasons=list(request.hold_reasons),
    )
    view = await _stamped(ctx, coordinator, request, PROPOSE)
    await proposals.propose(ctx, request)
    return EditPressed(view)


def _confirmation(ctx: ServiceContext, request: SupportRequest, action: str) -> Text:
    return Text(
        text=coordinators.text(ctx, f"requests.confirm.{action}", code=request.code),
        buttons=coordinators.buttons(
            ctx,
            [
                [(f"requests.confirm.yes_{action}", RequestConfirm(action, request.id))],
                [("requests.button.keep", RequestConfirm(KEEP, request.id))],
            ],
        ),
    )


async def _decide(
    ctx: ServiceContext, coordinator: Person, request: SupportRequest, action: str
) -> EditPressed:
    """Close the request as the action says, tell the person, stamp its cards, audit it."""
    await offers.withdraw_for_request(ctx, request)
    status, reason = OUTCOMES[action]
    request.status = status
    request.closed_reason = reason
    request.closed_at = request.updated_at = ctx.now
    request.still_looking_due_at = None
    person = await ctx.session.get(Person, request.person_id)
    told = await _tell(ctx, request, person, action)
    await audit.record(
        ctx.session,
        f"request.{reason}",
        now=ctx.now,
        actor_id=coordinator.id,
        subject_id=request.person_id,
        case=request.code,
        told=told,
    )
    view = await _stamped(ctx, coordinator, request, action)
    await _stamp_cards(ctx, request, view)
    return EditPressed(view)


async def _tell(
    ctx: ServiceContext, request: SupportRequest, person: Person | None, action: str
) -> bool:
    """The person's message for this action, in their language; False if they cannot get it."""
    if person is None or person.telegram_user_id is None or person.status == PersonStatus.ERASED:
        return False
    values: dict[str, object] = {}
    if action in (REFER, DECLINE):
        values["resources"] = referrals.options_text(ctx, request, person)
    if action == DECLINE:
        values["crisis"] = referrals.crisis_text(ctx, person)
    await ctx.outbox.post(
        person.telegram_user_id,
        Notice(TOLD[action], values),
        priority=Priority.NOTICE,
        dedupe_key=f"request_decided:{request.id}",
        locale=person.language,
    )
    return True


async def _stamped(
    ctx: ServiceContext, coordinator: Person, request: SupportRequest, action: str
) -> Text:
    """The request's card as it stands, with who did what and when, and no buttons."""
    stamp = coordinators.text(
        ctx,
        STAMPS[action],
        name=coordinators.name_of(ctx, coordinator),
        time=match_words.clock(ctx),
        code=request.code,
    )
    return Text(text=f"{await holds.card_text(ctx, request)}\n\n{stamp}")


async def _stamp_cards(ctx: ServiceContext, request: SupportRequest, view: Text) -> None:
    """Every card posted about the request (new, held, proposals) shows the decision."""
    prefix = f"request:{request.id}:"
    rows = await ctx.session.scalars(
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.dedupe_key.in_((f"{prefix}new", f"{prefix}held")),
                OutboxMessage.dedupe_key.like(f"{prefix}new:%"),
                OutboxMessage.dedupe_key.like(f"{prefix}held:%"),
                OutboxMessage.dedupe_key.like(f"{prefix}proposal:%"),
            ),
            OutboxMessage.telegram_message_id.is_not(None),
        )
        .order_by(OutboxMessage.id)
    )
    for row in rows:
        assert row.telegram_message_id is not None
        await ctx.outbox.post(
            row.chat_id, EditSent(row.telegram_message_id, view), priority=Priority.COORDINATION
        )


def _note(ctx: ServiceContext, key: str, *, edit: bool, **values: object) -> Text | EditPressed:
    """A kind answer: on the confirmation itself (edit), else a new message."""
    view = Text(text=coordinators.text(ctx, key, **values))
    return EditPressed(view) if edit else view


async def ask_to_stop_waiting(ctx: ServiceContext, who: Who) -> Menu | None:
    """/cancel with nothing in progress while a request waits: stop waiting? (None: no request)."""
    if who.person is None:
        return None
    request = await ctx.session.scalar(
        select(SupportRequest)
        .where(SupportRequest.person_id == who.person.id, SupportRequest.status.in_(OPEN))
        .order_by(SupportRequest.id.desc())
        .limit(1)
    )
    if request is None:
        return None
    return Menu(
        "requests.stop_waiting.confirm",
        (
            (MenuButton(StopWaiting(request.id, True), "requests.stop_waiting.yes"),),
            (MenuButton(StopWaiting(request.id, False), "requests.stop_waiting.no"),),
        ),
    )


async def stop_waiting(ctx: ServiceContext, who: Who, action: StopWaiting) -> Reply:
    """The person withdraws their waiting request (or keeps it); the coordinators are told."""
    reply = Reply(who.locale)
    request = await ctx.session.get(SupportRequest, action.request_id)
    if who.person is None or request is None or request.person_id != who.person.id:
        return reply.add(Notice("engine.stale_button"))
    if request.status not in OPEN:
        return reply.add(EditPressed(Text(key="requests.stop_waiting.stale")))
    if not action.withdraw:
        return reply.add(EditPressed(Text(key="requests.stop_waiting.kept")))
    await offers.withdraw_for_request(ctx, request)
    request.status = SupportRequestStatus.WITHDRAWN
    request.closed_reason = "cancelled_by_participant"
    request.closed_at = request.updated_at = ctx.now
    request.still_looking_due_at = None
    await audit.record(
        ctx.session,
        "request.cancelled_by_participant",
        now=ctx.now,
        actor_id=who.person.id,
        subject_id=who.person.id,
        case=request.code,
    )
    note = coordinators.text(
        ctx, "requests.card.cancelled", code=request.code, time=match_words.clock(ctx)
    )
    view = Text(text=f"{await holds.card_text(ctx, request)}\n\n{note}")
    await _stamp_cards(ctx, request, view)
    await coordinators.post(
        ctx,
        Text(text=note),
        priority=Priority.COORDINATION,
        dedupe_key=f"request:{request.id}:cancelled",
    )
    return reply.add(EditPressed(Text(key="requests.stop_waiting.done")))
