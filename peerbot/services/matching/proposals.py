"""Match proposals: the best supporters for a request, on a card coordinators approve.

A proposal is a few Match rows (status proposed, ranked) and one card in the group with
each candidate's reasons in plain words. Approving one turns it into an offer to that
supporter; the others stay as they are until the request is proposed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update

from peerbot.dialogs.matching.model import Candidate, Need, Proposal
from peerbot.dialogs.matching.score import score, top_proposals, violations
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.actions import MatchApprove, RequestAction
from peerbot.services.conversations.shown import Buttons, EditPressed, MenuButton, Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_features, match_words, offers, request_buttons
from peerbot.storage import audit
from peerbot.storage.enums import MatchStatus, PersonStatus, SupportRequestStatus
from peerbot.storage.models import Match, Person, SupporterProfile, SupportRequest
from peerbot.storage.outbox import Priority

WAITING = (SupportRequestStatus.NEW, SupportRequestStatus.MATCHING, SupportRequestStatus.PROPOSED)
# Violations a coordinator may knowingly override with /match (the rest never).
OVERRIDABLE = frozenset(
    {
        "required_gender",
        "required_similar_age",
        "required_experience",
        "required_format",
        "excluded",
    }
)


async def propose(
    ctx: ServiceContext,
    request: SupportRequest,
    *,
    first: Proposal | None = None,
    skip: Iterable[int] = (),
    quiet_if_none: bool = False,
    need: Need | None = None,
    pool: Sequence[Candidate] | None = None,
    best: Sequence[Proposal] | None = None,
) -> list[Match]:
    """Propose the request's best supporters (first, when given, leads) and post the card.

    With quiet_if_none, a request already known to have nobody gets no new card saying so.
    A batch passes the request's need, the supporters it has read and the request's best
    of them as top_proposals() ranks them.
    """
    if request.status == SupportRequestStatus.HELD:
        return []  # a coordinator decides first (services/matching/holds.py)
    already_told = request.status == SupportRequestStatus.MATCHING
    if need is None:
        [need] = await match_features.needs_for(ctx, [request])
    need = replace(need, excluded=need.excluded | frozenset(skip))
    if pool is None:
        pool = await match_features.candidates(ctx)
    policy = ctx.program.policy.matching
    found = top_proposals(need, pool, policy) if best is None else list(best)
    if first is not None:
        others = [p for p in found if p.supporter_id != first.supporter_id]
        found = [first, *others][: policy.proposals_per_request]
    if not found and skip:
        return []  # asked for others and there are none: the shown proposal stands
    await withdraw_proposed(ctx, request.id)
    matches = [
        Match(
            support_request_id=request.id,
            supporter_id=proposal.supporter_id,
            status=MatchStatus.PROPOSED,
            score=proposal.score,
            reasons=match_words.stored(proposal.reasons),
            rank=rank,
            proposed_at=ctx.now,
        )
        for rank, proposal in enumerate(found, start=1)
    ]
    ctx.session.add_all(matches)
    await ctx.session.flush()
    request.status = SupportRequestStatus.PROPOSED if matches else SupportRequestStatus.MATCHING
    request.updated_at = ctx.now
    if matches or not (quiet_if_none and already_told):
        await _post_card(ctx, request, need, pool, matches)
    return matches


async def waiting_without_proposal(ctx: ServiceContext, limit: int) -> Sequence[SupportRequest]:
    """Open requests nobody is proposed, offered or matched for (the batch's work).

    A person who sent /stop is left out until they write again: an offer accepted meanwhile
    would introduce them to a supporter who might then contact them."""
    busy = select(Match.support_request_id).where(
        Match.status.in_(
            (MatchStatus.PROPOSED, MatchStatus.APPROVED, MatchStatus.OFFERED, MatchStatus.ACCEPTED)
        )
    )
    return (
        await ctx.session.scalars(
            select(SupportRequest)
            .where(
                SupportRequest.status.in_(
                    (SupportRequestStatus.NEW, SupportRequestStatus.MATCHING)
                ),
                SupportRequest.id.not_in(busy),
                SupportRequest.person_id.not_in(
                    select(Person.id).where(Person.status == PersonStatus.STOPPED)
                ),
            )
            .order_by(SupportRequest.created_at, SupportRequest.id)
            .limit(limit)
        )
    ).all()


async def approve(ctx: ServiceContext, coordinator: Person, action: MatchApprove) -> Reply:
    """Approve a proposed supporter: the card says who approved, the supporter gets the offer."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    match = await ctx.session.get(Match, action.match_id)
    request = await ctx.session.get(SupportRequest, match.support_request_id) if match else None
    if match is None or request is None or match.status != MatchStatus.PROPOSED:
        return reply.add(_note(ctx, "card.proposal_stale"))
    problems = await _still_possible(ctx, request, match.supporter_id)
    if problems:
        await propose(ctx, request)
        return reply.add(_note(ctx, "card.proposal_changed", why=problems))
    supporter = await ctx.session.get(Person, match.supporter_id)
    await _offer(ctx, match, request, coordinator)
    stamp = coordinators.text(
        ctx,
        "card.approved",
        name=coordinators.name_of(ctx, coordinator),
        time=match_words.clock(ctx),
        case=supporter.pseudonym if supporter else "—",
        code=request.code,
    )
    return reply.add(EditPressed(Text(text=stamp)))


async def request_action(ctx: ServiceContext, coordinator: Person, action: RequestAction) -> Reply:
    """Other candidates, or how to match by hand."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    request = await ctx.session.get(SupportRequest, action.request_id)
    if request is None or request.status not in WAITING:
        return reply.add(_note(ctx, "card.proposal_stale"))
    if action.action == "manual":
        return reply.add(_note(ctx, "card.manual_help", code=request.code))
    if action.action == "more":
        shown = await _proposed_supporters(ctx, request.id)
        if not await propose(ctx, request, skip=shown):
            return reply.add(_note(ctx, "card.no_more", code=request.code))
        return reply
    return reply.add(_note(ctx, "card.proposal_stale"))


async def match_by_hand(ctx: ServiceContext, coordinator: Person, args: Sequence[str]) -> Reply:
    """/match <request code> <supporter code>: an offer without a proposal, if it is allowed."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    if len(args) != 2:
        return reply.add(_note(ctx, "match.usage"))
    code, case = (arg.strip().upper() for arg in args)
    request = await ctx.session.scalar(select(SupportRequest).where(SupportRequest.code == code))
    supporter = await ctx.session.scalar(
        select(Person)
        .join(SupporterProfile, SupporterProfile.person_id == Person.id)
        .where(Person.pseudonym == case)
    )
    if request is None or request.status not in WAITING:
        return reply.add(_note(ctx, "match.no_request", code=code))
    if supporter is None:
        return reply.add(_note(ctx, "match.no_supporter", case=case))
    [need] = await match_features.needs_for(ctx, [request])
    [candidate] = await match_features.candidates(ctx, only=[supporter.id])
    blocking = [v for v in violations(need, candidate) if v not in OVERRIDABLE]
    if blocking:
        why = match_words.violations(ctx, blocking)
        return reply.add(_note(ctx, "match.not_possible", case=case, code=code, why=why))
    await withdraw_proposed(ctx, request.id)
    proposal = score(_relaxed(need), candidate, ctx.program.policy.matching)
    match = Match(
        support_request_id=request.id,
        supporter_id=supporter.id,
        status=MatchStatus.PROPOSED,
        score=proposal.score if proposal else 0.0,
        reasons=match_words.stored(proposal.reasons if proposal else ()),
        rank=1,
        proposed_at=ctx.now,
    )
    ctx.session.add(match)
    await ctx.session.flush()
    await _offer(ctx, match, request, coordinator, manual=True)
    return reply.add(_note(ctx, "match.offered", case=case, code=code))


async def _offer(
    ctx: ServiceContext,
    match: Match,
    request: SupportRequest,
    coordinator: Person,
    *,
    manual: bool = False,
) -> None:
    """Send the offer, and audit who approved it (every approval is audited)."""
    await offers.offer(ctx, match, request, approved_by=coordinator)
    await audit.record(
        ctx.session,
        "match.approved",
        now=ctx.now,
        actor_id=coordinator.id,
        subject_id=request.person_id,
        match_id=match.id,
        supporter_id=match.supporter_id,
        manual=manual,
    )


def _relaxed(need: Need) -> Need:
    """The request without its must-haves and exclusions (a coordinator decided)."""
    return replace(need, required=frozenset(), excluded=frozenset())


async def _still_possible(
    ctx: ServiceContext, request: SupportRequest, supporter_id: int | None
) -> str:
    """Why the approved supporter can no longer take the request ('' when they can)."""
    if supporter_id is None:
        return match_words.violations(ctx, ["inactive"])
    [need] = await match_features.needs_for(ctx, [request])
    pool = await match_features.candidates(ctx, only=[supporter_id])
    if not pool:
        return match_words.violations(ctx, ["inactive"])
    return match_words.violations(ctx, list(violations(need, pool[0])))


async def withdraw_proposed(ctx: ServiceContext, request_id: int) -> None:
    """Proposals not approved yet stop standing (a new round, or the request closed)."""
    await ctx.session.execute(
        update(Match)
        .where(Match.support_request_id == request_id, Match.status == MatchStatus.PROPOSED)
        .values(status=MatchStatus.WITHDRAWN, decided_at=ctx.now)
        .execution_options(synchronize_session=False)
    )


async def _proposed_supporters(ctx: ServiceContext, request_id: int) -> set[int]:
    rows = await ctx.session.scalars(
        select(Match.supporter_id).where(
            Match.support_request_id == request_id, Match.status == MatchStatus.PROPOSED
        )
    )
    return {supporter_id for supporter_id in rows if supporter_id is not None}


async def _post_card(
    ctx: ServiceContext,
    request: SupportRequest,
    need: Need,
    pool: Sequence[Candidate],
    matches: Sequence[Match],
) -> None:
    """The candidates with their reasons, and Approve / Other candidates / Manual."""
    cases = await _pseudonyms(ctx, [m.supporter_id for m in matches if m.supporter_id])
    if matches:
        lines = [coordinators.text(ctx, "card.proposal", code=request.code)]
        lines += [
            coordinators.text(
                ctx,
                "card.proposal_line",
                rank=match.rank,
                case=cases.get(match.supporter_id or 0, "—"),
                score=f"{match.score:.1f}",
                reasons=match_words.reasons(ctx, match.reasons),
            )
            for match in matches
        ]
        approve_row = [
            (coordinators.text(ctx, "card.approve", rank=match.rank), MatchApprove(match.id))
            for match in matches
        ]
        rows: list[list[tuple[str, Any]]] = [approve_row]
        rows.append(
            [
                (coordinators.text(ctx, "card.more"), RequestAction(request.id, "more")),
                (coordinators.text(ctx, "card.manual"), RequestAction(request.id, "manual")),
            ]
        )
        view = Text(text="\n".join(lines), buttons=_buttons(rows + _decisions(ctx, request)))
    else:
        why = match_words.shortfall(ctx, need, pool)
        manual = (coordinators.text(ctx, "card.manual"), RequestAction(request.id, "manual"))
        view = Text(
            text=coordinators.text(ctx, "card.proposal_none", code=request.code, why=why),
            buttons=_buttons([[manual], *_decisions(ctx, request)]),
        )
    round_key = max((m.id for m in matches), default=0)
    await coordinators.post(
        ctx,
        view,
        priority=Priority.COORDINATION,
        dedupe_key=f"request:{request.id}:proposal:{round_key}:{ctx.now.isoformat()}",
    )


def _decisions(ctx: ServiceContext, request: SupportRequest) -> list[list[tuple[str, Any]]]:
    """Close, Decline, Refer, Withdraw (services/matching/request_actions.py)."""
    return [
        [(coordinators.text(ctx, key), data) for key, data in row]
        for row in request_buttons.action_rows(request.id)
    ]


def _buttons(rows: Sequence[Sequence[tuple[str, Any]]]) -> Buttons:
    """Buttons whose labels are already written (they carry numbers)."""
    return tuple(
        tuple(MenuButton(action, label_text=label) for label, action in row) for row in rows
    )


async def _pseudonyms(ctx: ServiceContext, ids: Sequence[int]) -> dict[int, str]:
    rows = await ctx.session.execute(select(Person.id, Person.pseudonym).where(Person.id.in_(ids)))
    return {person_id: pseudonym for person_id, pseudonym in rows.all()}


def _note(ctx: ServiceContext, key: str, **values: object) -> Text:
    return Text(text=coordinators.text(ctx, key, **values))
