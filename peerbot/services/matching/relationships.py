"""A match after the introduction: have they connected, /end, /change, and the feedback survey.

Either person may end the support or ask for someone else at any time; a change is approved
by a coordinator, who then gets new proposals without the current supporter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update

from peerbot.services.cases import cases
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.actions import EndUndo, RequestAction
from peerbot.services.conversations.shown import (
    EditPressed,
    Menu,
    MenuButton,
    Notice,
    Outgoing,
    Reply,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.matching import proposals
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    MatchStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import Answer, Checkin, Match, Person, SupportRequest
from peerbot.storage.outbox import Priority

FEEDBACK_FLOW = "feedback"
NOT_CONNECTED = ("not_yet", "need_help")
#: Prompts about a support in progress: an ending cancels those not yet sent.
WHILE_MATCHED = (
    CheckinKind.MATCH_FOLLOWUP,
    CheckinKind.PARTICIPANT_FOLLOWUP,
    CheckinKind.SATISFACTION,
    CheckinKind.REVIEW,
)


async def active_matches(ctx: ServiceContext, person: Person | None) -> list[Match]:
    """The person's accepted matches, as participant or as supporter, newest first."""
    if person is None:
        return []
    rows = await ctx.session.scalars(
        select(Match)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .where(
            Match.status == MatchStatus.ACCEPTED,
            or_(Match.supporter_id == person.id, SupportRequest.person_id == person.id),
        )
        .order_by(Match.decided_at.desc(), Match.id.desc())
    )
    return list(rows)


async def connected_answered(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> list[Notice]:
    """'Have you connected?': kept; a no tells the coordinators."""
    checkin = await ctx.find(Checkin, turn.meta.get("checkin"))
    said = str(answers.get("connected"))
    if checkin is not None:
        checkin.status = CheckinStatus.ANSWERED
        checkin.answered_at = ctx.now
        checkin.answers = {"connected": said}
    if said not in NOT_CONNECTED or checkin is None or checkin.match_id is None:
        return [Notice("connected.thanks")]
    match = await ctx.session.get(Match, checkin.match_id)
    request = await ctx.session.get(SupportRequest, match.support_request_id) if match else None
    if match is not None and request is not None and who.person is not None:
        card_key = f"checkin:{checkin.id}:not_connected"
        await coordinators.post_card(
            ctx,
            "card.not_connected",
            priority=Priority.COORDINATION,
            dedupe_key=card_key,
            code=request.code,
            case=who.person.pseudonym,
            role=coordinators.text(ctx, f"role.{role_of(who.person, match)}"),
            answer=coordinators.text(ctx, f"connected.{said}"),
        )
        await cases.open_for(ctx, who.person, cases.NOT_CONNECTED, card_key=card_key)
    return [Notice("connected.told")]


async def end(ctx: ServiceContext, who: Who, match: Match, request: SupportRequest) -> Reply:
    """The support ends now (asked and confirmed by /end); the other side is told; the
    participant gets the survey. The reply offers an undo for a day (see choices)."""
    reply = Reply(who.locale)
    assert who.person is not None
    role = role_of(who.person, match)
    await _close(ctx, match, request, reason=f"ended_by_{role}", by=who.person)
    other = await other_side(ctx, who.person, match, request)
    if other is not None and other.telegram_user_id is not None:
        told = Notice(f"end.told_{'supporter' if role == 'participant' else 'participant'}")
        key = f"match:{match.id}:end:{ctx.now.isoformat()}"  # an ending after an undo is told too
        reply.elsewhere.append(
            Outgoing(other.telegram_user_id, Reply(other.language).add(told), key)
        )
    undo = Menu("end.undo_offer", ((MenuButton(EndUndo(match.id), "end.undo"),),))
    if role == "supporter":
        _survey_later(ctx, match, request)
        return reply.add(Notice("end.done_supporter"), undo)
    return reply.add(Notice("end.done_participant"), undo, *await _survey_now(ctx, who, match))


async def change(ctx: ServiceContext, who: Who, match: Match, request: SupportRequest) -> Reply:
    """/change, confirmed: ask the coordinators for a different supporter (this one stays
    meanwhile)."""
    reply = Reply(who.locale)
    assert who.person is not None
    text = coordinators.text(
        ctx,
        "card.change_asked",
        code=request.code,
        role=coordinators.text(ctx, f"role.{role_of(who.person, match)}"),
    )
    buttons = coordinators.buttons(ctx, [[("card.rematch", RequestAction(request.id, "rematch"))]])
    await coordinators.post(
        ctx,
        Text(text=text, buttons=buttons),
        priority=Priority.COORDINATION,
        dedupe_key=f"match:{match.id}:change:{ctx.now.isoformat()}",
    )
    return reply.add(Notice("change.asked"))


async def rematch(ctx: ServiceContext, coordinator: Person, action: RequestAction) -> Reply:
    """A coordinator approved a change: the match ends and new proposals are made."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    request = await ctx.session.get(SupportRequest, action.request_id)
    matches = (
        await ctx.session.scalars(
            select(Match).where(
                Match.support_request_id == action.request_id,
                Match.status == MatchStatus.ACCEPTED,
            )
        )
    ).all()
    if request is None or not matches:
        return reply.add(EditPressed(Text(text=coordinators.text(ctx, "card.proposal_stale"))))
    for match in matches:
        await _close(ctx, match, request, reason="change", by=coordinator)
        for person_id in (match.supporter_id, request.person_id):
            person = await ctx.session.get(Person, person_id)
            if person is not None and person.telegram_user_id is not None:
                note = Reply(person.language).add(Notice("change.approved"))
                reply.elsewhere.append(
                    Outgoing(
                        person.telegram_user_id, note, f"match:{match.id}:changed:{person.id}"
                    )
                )
    request.status = SupportRequestStatus.MATCHING
    request.closed_at = request.closed_reason = None
    await proposals.propose(ctx, request)
    stamp = coordinators.text(
        ctx, "card.rematch_started", code=request.code, name=coordinators.name_of(ctx, coordinator)
    )
    return reply.add(EditPressed(Text(text=stamp)))


async def end_on_withdrawal(ctx: ServiceContext, participant: Person) -> None:
    """The participant left the program: each support in progress ends, and the supporter
    gets a kind word with no reason (the participant owes none)."""
    for match in await active_matches(ctx, participant):
        request = await ctx.session.get(SupportRequest, match.support_request_id)
        if request is None or request.person_id != participant.id:
            continue  # they were this match's supporter: /stop covers that side
        await _close(ctx, match, request, reason="withdrawn", by=participant)
        supporter = await ctx.session.get(Person, match.supporter_id)
        if supporter is not None and supporter.telegram_user_id is not None:
            await ctx.outbox.post(
                supporter.telegram_user_id,
                Notice("end.told_supporter"),
                locale=supporter.language,
                priority=Priority.NOTICE,
                dedupe_key=f"match:{match.id}:end",
            )


async def feedback_given(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> list[Notice]:
    """The survey's answers, kept with the request (the comment encrypted)."""
    match = await ctx.find(Match, turn.meta.get("match"))
    if who.person is None or match is None:
        return [Notice("feedback.thanks")]
    checkin = await ctx.find(Checkin, turn.meta.get("checkin"))
    if checkin is not None:
        checkin.status = CheckinStatus.ANSWERED
        checkin.answered_at = ctx.now
    for question, value in answers.items():
        secret = question == "comments"
        ctx.session.add(
            Answer(
                person_id=who.person.id,
                support_request_id=match.support_request_id,
                flow=FEEDBACK_FLOW,
                question=question,
                value=None if secret else value,
                value_enc=ctx.cipher.encrypt(str(value)) if secret and value else None,
                answered_at=ctx.now,
            )
        )
    return [Notice("feedback.thanks")]


async def close(
    ctx: ServiceContext, match: Match, request: SupportRequest, *, reason: str, by: Person
) -> None:
    """End a support now for this reason: its follow-ups cancelled, its request closed, the
    coordinators told (a coordinator's ending or reassignment, or a supporter's handover)."""
    await _close(ctx, match, request, reason=reason, by=by)


def survey_later(ctx: ServiceContext, match: Match, request: SupportRequest) -> None:
    """Schedule the participant's end-of-support survey."""
    _survey_later(ctx, match, request)


async def _close(
    ctx: ServiceContext, match: Match, request: SupportRequest, *, reason: str, by: Person
) -> None:
    match.status = MatchStatus.ENDED
    match.ended_at = ctx.now
    match.end_reason = reason
    match.ended_by_id = by.id
    request.status = SupportRequestStatus.CLOSED
    request.closed_at = ctx.now
    request.closed_reason = reason
    await ctx.session.execute(
        update(Checkin)
        .where(
            Checkin.match_id == match.id,
            Checkin.kind.in_(WHILE_MATCHED),
            Checkin.status == CheckinStatus.SCHEDULED,
        )
        .values(status=CheckinStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    await coordinators.post_match_card(
        ctx,
        "card.match_ended",
        match,
        request,
        occasion=ctx.now.isoformat(),  # ended again after an undo: a new card
        reason=coordinators.text(ctx, f"end_reason.{reason}"),
    )


async def _survey_now(ctx: ServiceContext, who: Who, match: Match) -> list[Any]:
    turn = await flows.begin(ctx, who, FEEDBACK_FLOW, {"match": match.id})
    return list(turn.transition.outputs)


def _survey_later(ctx: ServiceContext, match: Match, request: SupportRequest) -> None:
    """The participant gets the survey as a scheduled prompt (it waits if they are busy)."""
    ctx.session.add(
        Checkin(
            person_id=request.person_id,
            kind=CheckinKind.FEEDBACK,
            match_id=match.id,
            due_at=ctx.now,
            status=CheckinStatus.SCHEDULED,
        )
    )


async def other_side(
    ctx: ServiceContext, person: Person, match: Match, request: SupportRequest
) -> Person | None:
    """The other person of this person's match."""
    other_id = request.person_id if match.supporter_id == person.id else match.supporter_id
    return await ctx.session.get(Person, other_id)


def role_of(person: Person, match: Match) -> str:
    return "supporter" if match.supporter_id == person.id else "participant"
