"""The batch solver's child process: the same plan as in-process, and a clear failure."""

from __future__ import annotations

import sys

import pytest

from peerbot.dialogs.matching.batch import plan
from peerbot.dialogs.matching.policy import MatchingPolicy
from peerbot.services.matching import batch_solver
from tests.support.matching_builders import make_candidate, make_need

POLICY = MatchingPolicy()


async def test_the_child_makes_the_plan_plan_makes() -> None:
    needs = [make_need(), make_need(languages={"es"}), make_need(topics={"anxiety"})]
    candidates = [make_candidate(), make_candidate(load=1), make_candidate(capacity_left=2)]

    async with batch_solver.started() as solver:
        planned = await solver.plan(needs, candidates, POLICY)

    assert planned == plan(needs, candidates, POLICY)
    assert planned.chosen and all(planned.ranked[:1])


async def test_a_child_that_cannot_run_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")

    async with batch_solver.started() as solver:
        with pytest.raises(batch_solver.SolverFailed, match="exit status 1"):
            await solver.plan([make_need()], [make_candidate()], POLICY)
