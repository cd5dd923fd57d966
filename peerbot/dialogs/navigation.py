"""Finding the way through a flow: whether a step is asked, where it leads, the path taken."""

from __future__ import annotations

from collections.abc import Mapping

from peerbot.dialogs.conditions import Answer, holds
from peerbot.dialogs.flow_schema import AnyStep, Flow, MessageStep, SummaryStep


def is_asked(step: AnyStep, answers: Mapping[str, Answer]) -> bool:
    """Tell whether the step's ask_if (if any) holds."""
    return step.ask_if is None or holds(step.ask_if, answers)


def takes_answer(step: AnyStep) -> bool:
    """Tell whether a step records an answer (messages and summaries do not)."""
    return not isinstance(step, MessageStep | SummaryStep)


def next_id(flow: Flow, step: AnyStep, answers: Mapping[str, Answer]) -> str | None:
    """Return where the step leads: the first matching branch, else the next listed step."""
    subject = step.id if takes_answer(step) else None
    for branch in step.next:
        if branch.if_ is None or holds(branch.if_, answers, subject):
            return branch.goto
    return flow.following(step.id)


def path(flow: Flow, answers: Mapping[str, Answer]) -> tuple[AnyStep, ...]:
    """Return the steps on the way the answers lead, up to the first one not yet answered."""
    taken: list[AnyStep] = []
    seen: set[str] = set()
    step_id: str | None = flow.first_step
    while (step := flow.find(step_id)) is not None and step.id not in seen:
        seen.add(step.id)
        step_id = next_id(flow, step, answers)
        if not is_asked(step, answers):
            continue
        taken.append(step)
        if takes_answer(step) and step.id not in answers:
            break
    return tuple(taken)
