"""Checks across a flow's steps: references, ranges, branch order, and loops that cannot end."""

from __future__ import annotations

from collections.abc import Iterator

from peerbot.dialogs.conditions import Condition, Test, leaves
from peerbot.dialogs.flow_schema import (
    AnyStep,
    ConsentStep,
    Flow,
    FlowError,
    MessageStep,
    MultiChoiceStep,
    NumberStep,
    ScaleStep,
    SingleChoiceStep,
    SummaryStep,
    TextStep,
    located,
)

MAX_SCALE_VALUES = 11
Problem = tuple[str | None, str, str]  # step, field, what is wrong


def check_flow(flow: Flow) -> None:
    """Raise FlowError for the first problem a flow's fields cannot show on their own."""
    for step, field, problem in _problems(flow):
        raise FlowError(located(flow.source, flow.flow, step, field, problem))


def _problems(flow: Flow) -> Iterator[Problem]:
    if not flow.steps:
        yield None, "steps", "a flow needs at least one step"
    ids = [step.id for step in flow.steps]
    for step in flow.steps:
        if ids.count(step.id) > 1:
            yield step.id, "id", "another step has the same id"
    if flow.start is not None and flow.start not in ids:
        yield None, "start", f"refers to unknown step {flow.start!r}"
    for step in flow.steps:
        yield from _step_problems(flow, step)
    yield from _loop_problems(flow)


def _step_problems(flow: Flow, step: AnyStep) -> Iterator[Problem]:
    yield from ((step.id, field, problem) for field, problem in _range_problems(step))
    defaults = [index for index, branch in enumerate(step.next) if branch.if_ is None]
    if defaults and defaults[0] != len(step.next) - 1:
        yield step.id, f"next[{defaults[0]}]", "a branch without `if` must be the last one"
    subject = None if isinstance(step, MessageStep | SummaryStep) else step.id
    for index, branch in enumerate(step.next):
        if flow.find(branch.goto) is None:
            yield step.id, f"next[{index}].goto", f"refers to unknown step {branch.goto!r}"
        if branch.if_ is not None:
            yield from _condition_problems(flow, step.id, branch.if_, f"next[{index}].if", subject)
    if step.ask_if is not None:
        yield from _condition_problems(flow, step.id, step.ask_if, "ask_if", None)
    for index, rule in enumerate(getattr(step, "red_flags", ())):
        yield from _condition_problems(
            flow, step.id, rule.when, f"red_flags[{index}].when", step.id
        )
    if isinstance(step, SummaryStep):
        for index, shown in enumerate(step.show or ()):
            if _answering_step(flow, shown) is None:
                yield step.id, f"show[{index}]", f"{shown!r} is not a step with an answer"


def _range_problems(step: AnyStep) -> Iterator[tuple[str, str]]:
    if isinstance(step, MultiChoiceStep):
        count = len(step.options)
        if step.min_selected > count:
            yield "min_selected", f"there are only {count} options"
        if step.max_selected is not None and not step.min_selected <= step.max_selected <= count:
            yield "max_selected", f"must be between min_selected and {count} (the options)"
    if isinstance(step, ConsentStep) and step.optional:
        yield "optional", "a consent is asked, never skipped"
    if isinstance(step, TextStep) and step.min_length > step.max_length:
        yield "min_length", "must not be more than max_length"
    if isinstance(step, NumberStep | ScaleStep) and step.min >= step.max:
        yield "max", "must be greater than min"
    if isinstance(step, ScaleStep) and step.max - step.min + 1 > MAX_SCALE_VALUES:
        yield "max", f"a scale offers at most {MAX_SCALE_VALUES} buttons"


def _answering_step(flow: Flow, step_id: str | None) -> AnyStep | None:
    step = flow.find(step_id)
    return None if isinstance(step, MessageStep | SummaryStep) else step


def _condition_problems(
    flow: Flow, step_id: str, condition: Condition, path: str, subject: str | None
) -> Iterator[Problem]:
    for test in leaves(condition, path):
        target = test.answer or subject
        if target is None:
            yield step_id, f"{test.path}.answer", "is required: name the step whose answer counts"
        elif flow.find(target) is None:
            yield step_id, f"{test.path}.answer", f"refers to unknown step {target!r}"
        elif (answering := _answering_step(flow, target)) is None:
            yield step_id, f"{test.path}.answer", f"step {target!r} takes no answer"
        elif (problem := _misfit(answering, test)) is not None:
            yield step_id, f"{test.path}.{test.test}", problem


def _misfit(target: AnyStep, test: Test) -> str | None:
    """Say why a test cannot apply to the answers of target, or None when it can."""
    operands = test.operand if isinstance(test.operand, tuple) else (test.operand,)
    if test.test == "answered":
        return None
    if test.test in ("at_least", "at_most"):
        fits = isinstance(target, NumberStep | ScaleStep)
        return None if fits else f"works on number and scale answers, not {target.kind}"
    if test.test == "contains" and not isinstance(target, MultiChoiceStep | TextStep):
        return f"works on multi_choice and text answers, not {target.kind}"
    if test.test in ("equals", "in") and isinstance(target, MultiChoiceStep):
        return "a multi_choice answer is a list: use contains"
    if isinstance(target, SingleChoiceStep | MultiChoiceStep):
        allowed: tuple[object, ...] = tuple(option.value for option in target.options)
    elif isinstance(target, ConsentStep):
        allowed = ("granted", "declined")
    else:
        allowed = ()
    for operand in operands:
        if allowed and operand not in allowed:
            choices = ", ".join(map(str, allowed))
            return f"{operand!r} is not an answer of step {target.id!r} ({choices})"
        if isinstance(target, NumberStep | ScaleStep) and not isinstance(operand, int):
            return f"{operand!r} is not a number"
    return None


def _successors(flow: Flow, step: AnyStep) -> set[str | None]:
    """Where a step can lead; None is the end of the flow."""
    targets: set[str | None] = {branch.goto for branch in step.next}
    if not step.next or step.next[-1].if_ is not None:
        targets.add(flow.following(step.id))
    return targets


def _loop_problems(flow: Flow) -> Iterator[Problem]:
    leads = {step.id: _successors(flow, step) for step in flow.steps}
    finishing: set[str | None] = {None}
    grew = True
    while grew:
        grew = False
        for step_id, targets in leads.items():
            if step_id not in finishing and targets & finishing:
                finishing.add(step_id)
                grew = True
    stuck = {step.id for step in flow.steps} - finishing
    for step in flow.steps:
        if step.id in stuck and _returns_to(step.id, leads, stuck):
            yield step.id, "next", "leads into a loop with no way to reach the end of the flow"
    silent = {
        step.id for step in flow.steps if isinstance(step, MessageStep) and step.continue_ is None
    }
    for step_id in sorted(silent):
        if _returns_to(step_id, leads, silent):
            yield step_id, "next", "messages loop back here without a question in between"


def _returns_to(origin: str, leads: dict[str, set[str | None]], through: set[str]) -> bool:
    """Tell whether origin can lead back to itself through the given steps only."""
    seen: set[str] = set()
    frontier = [origin]
    while frontier:
        for target in leads.get(frontier.pop(), set()):
            if target == origin:
                return True
            if target is not None and target in through and target not in seen:
                seen.add(target)
                frontier.append(target)
    return False
