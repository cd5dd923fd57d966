"""The batch solver (dialogs/matching/batch.py) in a short-lived child process of its own.

Why a process: the solver's numpy and SciPy take about 50 MB that the bot would keep for good
once they were loaded, and seconds of CPU on a long waiting list would hold the bot's
interpreter lock while updates wait. The child starts, and loads the solver, while the
waiting list is read from the database, so its start costs the batch little; it gets the
problem on its standard input and writes the plan to its standard output, both pickled
(parent and child are the same program), then exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import pickle
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from peerbot.dialogs.matching.model import BatchPlan, Proposal, Reason
from peerbot.services.common.child_process import start_module

if TYPE_CHECKING:
    from peerbot.dialogs.matching.model import Candidate, Need
    from peerbot.dialogs.matching.policy import MatchingPolicy


# A proposal as plain tuples: (request id, supporter id, score, ((code, values), ...)), each
# distinct reason made once and shared. Thousands of dataclasses pickle one Python call at a
# time; shared tuples of numbers and strings pickle many times faster.
PlainReason = tuple[str, tuple[tuple[str, object], ...]]
PlainProposal = tuple[int, int, float, tuple[PlainReason, ...]]


class SolverFailed(Exception):
    """The child process ended without a plan."""


class Solver:
    """One child process, ready for one plan."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self._child = child

    async def plan(
        self, needs: Sequence[Need], candidates: Sequence[Candidate], policy: MatchingPolicy
    ) -> BatchPlan:
        """batch.plan(), computed in the child."""
        problem = pickle.dumps((list(needs), list(candidates), policy))
        out, err = await self._child.communicate(problem)
        if self._child.returncode != 0:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise SolverFailed(f"exit status {self._child.returncode}: {last[0]}")
        chosen, ranked = pickle.loads(out)  # noqa: S301 - our own child's answer
        made: dict[PlainReason, Reason] = {}
        return BatchPlan(_proposals(chosen, made), [_proposals(best, made) for best in ranked])


@contextlib.asynccontextmanager
async def started() -> AsyncIterator[Solver]:
    """Start the child now; it is stopped on leaving if it has not ended by then."""
    child = await start_module(__name__)
    try:
        yield Solver(child)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


def _plain(proposals: Sequence[Proposal], seen: dict[Reason, PlainReason]) -> list[PlainProposal]:
    return [
        (
            p.request_id,
            p.supporter_id,
            p.score,
            tuple(seen.setdefault(r, (r.code, r.values)) for r in p.reasons),
        )
        for p in proposals
    ]


def _proposals(plain: Sequence[PlainProposal], made: dict[PlainReason, Reason]) -> list[Proposal]:
    def reason(values: PlainReason) -> Reason:
        found = made.get(values)
        if found is None:
            found = made[values] = Reason(*values)
        return found

    return [
        Proposal(request_id, supporter_id, points, tuple(reason(r) for r in reasons))
        for request_id, supporter_id, points, reasons in plain
    ]


def _main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the bot; it stops the batch
    gc.disable()  # a short life, and a million objects the collector would scan for nothing
    from peerbot.dialogs.matching.batch import plan

    needs, candidates, policy = pickle.load(sys.stdin.buffer)  # noqa: S301 - from our parent
    planned = plan(needs, candidates, policy)
    seen: dict[Reason, PlainReason] = {}
    answer = (_plain(planned.chosen, seen), [_plain(best, seen) for best in planned.ranked])
    sys.stdout.buffer.write(pickle.dumps(answer))


if __name__ == "__main__":
    _main()
