"""Coordinators end or reassign a support in progress, from the match's card or from /case:
one press asks, one more confirms. Each person is told in words for their side (never why),
the participant gets the end-of-support survey or a new proposal, and each act is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations import callback_data
from peerbot.services.conversations.shown import (
    Buttons,
    EditPressed,
    Notice,
    Outgoing,
    Reply,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_words, proposals, relationships
from peerbot.storage import audit
from peerbot.storage.enums import MatchStatus, SupportRequestStatus
from peerbot.storage.models import Match, Person, SupportRequest
from peerbot.storage.outbox import Priority

ENDED = "ended_by_coordinator"
REASSIGNED = "reassigned"
ASKS = ("end", "reassign")


@callback_data.register
@dataclass(frozen=True)
class MatchAct:
    """A coordinator's press about a support in progress: "end" or "reassign" asks,
    "end_yes" or "reassign_yes" confirms, "keep" leaves it as it is."""

    prefix: ClassVar[str] = "ke"
    match_id: int
    act: str


def buttons_for(ctx: ServiceContext, match: Match) -> Buttons:
    """End match and Reassign, for a card showing an accepted match."""
    return coordinators.buttons(
        ctx,
        [
            [
                ("match_action.end", MatchAct(match.id, "end")),
                ("match_action.reassign", MatchAct(match.id, "reassign")),
            ]
        ],
    )


async def post_accepted_card(ctx: ServiceContext, match: Match, request: SupportRequest) -> None:
    """ "Accepted; both introduced", with End match and Reassign under it."""
    supporter = await ctx.session.get(Person, match.supporter_id) if match.supporter_id else None
    text = coordinators.text(
        ctx,
        "card.match_accepted",
        case=supporter.pseudonym if supporter else "—",
        code=request.code,
    )
    await coordinators.post(
        ctx,
        Text(text=text, buttons=buttons_for(ctx, match)),
        priority=Priority.COORDINATION,
        dedupe_key=f"match:{match.id}:card.match_accepted",
    )


async def accepted_match_of(ctx: ServiceContext, request: SupportRequest) -> Match | None:
    """The request's support in progress, if there is one."""
    return await ctx.session.scalar(
        select(Match).where(
            Match.support_request_id == request.id, Match.status == MatchStatus.ACCEPTED
        )
    )


async def pressed(ctx: ServiceContext, coordinator: Person, action: MatchAct) -> Reply:
    """A verified coordinator's press: ask, act, or keep; a stale press changes nothing."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    match = await ctx.session.get(Match, action.match_id)
    request = await ctx.session.get(SupportRequest, match.support_request_id) if match else None
    if match is None or request is None or match.status != MatchStatus.ACCEPTED:
        return reply.add(EditPressed(Text(text=coordinators.text(ctx, "match_action.stale"))))
    supporter = await ctx.session.get(Person, match.supporter_id) if match.supporter_id else None
    case = supporter.pseudonym if supporter else "—"
    if action.act in ASKS:
        return reply.add(_confirmation(ctx, match, request, case, action.act))
    if action.act == "end_yes":
        await end(ctx, coordinator, match, request, reply)
        stamp = "match_action.ended"
    elif action.act == "reassign_yes":
        await reassign(ctx, coordinator, match, request, reply)
        stamp = "match_action.reassigned"
    else:
        text = coordinators.text(ctx, "match_action.kept", code=request.code)
        return reply.add(EditPressed(Text(text=text)))
    text = coordinators.text(
        ctx,
        stamp,
        name=coordinators.name_of(ctx, coordinator),
        time=match_words.clock(ctx),
        code=request.code,
        case=case,
    )
    return reply.add(EditPressed(Text(text=text)))


async def end(
    ctx: ServiceContext, coordinator: Person, match: Match, request: SupportRequest, reply: Reply
) -> None:
    """The support ends now: both told (no reason given), the participant gets the survey."""
    if await _close_and_tell(ctx, coordinator, match, request, reply, ENDED, "told"):
        relationships.survey_later(ctx, match, request)


async def reassign(
    ctx: ServiceContext, coordinator: Person, match: Match, request: SupportRequest, reply: Reply
) -> None:
    """The support ends and the request is proposed again, never to the same supporter (an
    ended match keeps them out of every later proposal for this participant)."""
    await _close_and_tell(ctx, coordinator, match, request, reply, REASSIGNED, "reassigned")
    await propose_again(ctx, request, without=match.supporter_id)


async def _close_and_tell(
    ctx: ServiceContext,
    coordinator: Person,
    match: Match,
    request: SupportRequest,
    reply: Reply,
    reason: str,
    words: str,
) -> bool:
    """End the match for this reason, audit it, and tell each side in its own words
    (`match_action.<words>_supporter` / `_participant`); True when the participant exists."""
    await relationships.close(ctx, match, request, reason=reason, by=coordinator)
    await audit.record(
        ctx.session,
        f"match.{reason}",
        now=ctx.now,
        actor_id=coordinator.id,
        subject_id=request.person_id,
        match_id=match.id,
        supporter_id=match.supporter_id,
    )
    participant = await ctx.session.get(Person, request.person_id)
    supporter = await ctx.session.get(Person, match.supporter_id) if match.supporter_id else None
    if supporter is not None:
        await _tell(ctx, reply, supporter, f"match_action.{words}_supporter", participant, match)
    if participant is not None:
        await _tell(ctx, reply, participant, f"match_action.{words}_participant", supporter, match)
    return participant is not None


async def propose_again(
    ctx: ServiceContext, request: SupportRequest, *, without: int | None
) -> None:
    """Back to matching, without that supporter."""
    request.status = SupportRequestStatus.MATCHING
    request.closed_at = request.closed_reason = None
    request.updated_at = ctx.now
    await proposals.propose(ctx, request, skip=() if without is None else (without,))


def _confirmation(
    ctx: ServiceContext, match: Match, request: SupportRequest, case: str, act: str
) -> Text:
    text = coordinators.text(ctx, f"match_action.{act}_confirm", code=request.code, case=case)
    rows = [
        [
            (f"match_action.{act}_yes", MatchAct(match.id, f"{act}_yes")),
            ("match_action.keep", MatchAct(match.id, "keep")),
        ]
    ]
    return Text(text=text, buttons=coordinators.buttons(ctx, rows))


async def _tell(
    ctx: ServiceContext,
    reply: Reply,
    person: Person,
    key: str,
    other: Person | None,
    match: Match,
) -> None:
    """A note for one side, naming the other as this side knows them."""
    if person.telegram_user_id is None:
        return
    note = Notice(key, {"name": name_known_to(ctx, other)})
    reply.elsewhere.append(
        Outgoing(
            person.telegram_user_id,
            Reply(person.language).add(note),
            f"match:{match.id}:{key}:{person.id}",
        )
    )


def name_known_to(ctx: ServiceContext, other: Person | None) -> str:
    """The other person as the people of a match know them: the name they go by, else their
    pseudonym."""
    if other is None:
        return "—"
    name = ctx.cipher.decrypt(other.display_name_enc) if other.display_name_enc else None
    return name or other.pseudonym
