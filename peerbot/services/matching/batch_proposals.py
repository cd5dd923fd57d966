"""Proposals for every waiting request at once, with supporters' places shared out optimally.

One request at a time, two requests can be offered the last place of the same supporter;
here the solver (dialogs/matching/batch.py) decides who leads each request's proposal so
that places are shared out for the best total. The rest of each proposal is its next best.
"""

from __future__ import annotations

from peerbot.services.common.context import ServiceContext
from peerbot.services.matching import batch_solver, match_features, proposals

MOST_AT_ONCE = 10_000


async def propose_all(ctx: ServiceContext) -> int:
    """Propose for every open request nobody is proposed for; return how many got someone."""
    requests = await proposals.waiting_without_proposal(ctx, MOST_AT_ONCE)
    if not requests:
        return 0
    async with batch_solver.started() as solver:
        needs = await match_features.needs_for(ctx, requests)
        pool = await match_features.candidates(ctx)
        plan = await solver.plan(needs, pool, ctx.program.policy.matching)
    first = {proposal.request_id: proposal for proposal in plan.chosen}
    proposed = 0
    # Proposals hold no place, so the supporters read once stay right for the whole batch.
    for request, need, best in zip(requests, needs, plan.ranked, strict=True):
        matches = await proposals.propose(
            ctx,
            request,
            first=first.get(request.id),
            quiet_if_none=True,
            need=need,
            pool=pool,
            best=best,
        )
        proposed += bool(matches)
    return proposed
