"""The flow engine: step(flow, state, input, labels) gives the next state, what to show and what
happened. Pure and deterministic; labels(key) gives a text in the person's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from peerbot.dialogs.answers import (
    Labels,
    Wrong,
    read_press,
    read_text,
    selection,
    toggled,
    too_many,
)
from peerbot.dialogs.conditions import Answer
from peerbot.dialogs.engine_texts import (
    CANCELLED,
    CHANGE_WHICH,
    CONFIRM,
    ENGINE_TEXT_KEYS,
    NOTHING_TO_GO_BACK_TO,
    STALE_BUTTON,
)
from peerbot.dialogs.events import (
    Answered,
    Cancelled,
    Completed,
    ConsentDecided,
    Decision,
    Declined,
    Event,
    Reasked,
    RedFlag,
)
from peerbot.dialogs.flow_schema import (
    AnyStep,
    ConsentStep,
    Flow,
    FlowError,
    MessageStep,
    MultiChoiceStep,
    SummaryStep,
    TextStep,
)
from peerbot.dialogs.inputs import Back, Begin, Cancel, Input, Press, Skip, Text
from peerbot.dialogs.navigation import is_asked, next_id, path, takes_answer
from peerbot.dialogs.outputs import Chosen, Output, Say, Toggle
from peerbot.dialogs.prompts import (
    buttons,
    change_list,
    changeable,
    chosen,
    has_buttons,
    hint_of,
    question,
    values_of,
)
from peerbot.dialogs.red_flags import raised
from peerbot.dialogs.state import FlowState, Status

__all__ = ["ENGINE_TEXT_KEYS", "Labels", "Transition", "step"]


@dataclass(frozen=True)
class Transition:
    """The state after an input (None if there was none and nothing began), and its effects."""

    state: FlowState | None
    outputs: tuple[Output, ...] = ()
    events: tuple[Event, ...] = ()


@dataclass
class _Turn:
    """Outputs and events gathered while one input is handled."""

    outputs: list[Output] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def ending(self, state: FlowState | None) -> Transition:
        return Transition(state, tuple(self.outputs), tuple(self.events))


def step(flow: Flow, state: FlowState | None, received: Input, labels: Labels) -> Transition:
    """Apply one input to a flow's state."""
    if state is not None and state.flow_id != flow.flow:
        raise ValueError(f"a state of flow {state.flow_id!r} was given to flow {flow.flow!r}")
    turn = _Turn()
    here = flow.find(state.current) if state is not None and state.active else None
    if state is not None and state.active and here is None:
        state, received = None, Begin()  # the flow changed under a stored state: start again
    if state is None or here is None:
        if isinstance(received, Begin):
            return turn.ending(_walk(flow, FlowState(flow.flow, None), flow.first_step, turn))
        if isinstance(received, Press):
            turn.outputs.append(Say(STALE_BUTTON))
        return turn.ending(state)
    return turn.ending(_handle(flow, state, here, received, labels, turn))


def _handle(
    flow: Flow, state: FlowState, here: AnyStep, received: Input, labels: Labels, turn: _Turn
) -> FlowState:
    if isinstance(received, Begin):
        turn.outputs.append(question(flow, here, state))
        return state
    if isinstance(received, Cancel):
        turn.outputs.append(Say(CANCELLED))
        turn.events.append(Cancelled())
        return _finished(state, "cancelled")
    if isinstance(received, Back):
        return _back(flow, state, here, turn)
    if isinstance(received, Skip):
        if getattr(here, "optional", False):
            return _answer(flow, state, here, None, turn)
        return _wrong(flow, state, here, turn)
    if isinstance(received, Text):
        value = read_text(here, received.text, labels)
        if isinstance(value, Wrong):
            return _wrong(flow, state, here, turn)
        return _answer(flow, state, here, value, turn)
    return _press(flow, state, here, received, turn)


def _press(flow: Flow, state: FlowState, here: AnyStep, press: Press, turn: _Turn) -> FlowState:
    choice = press.choice
    if press.step_id != here.id:
        return _stale(flow, state, here, turn)
    if choice == "skip" and getattr(here, "optional", False):
        return _answer(flow, state, here, None, turn)
    if isinstance(here, MessageStep) and here.continue_ and choice == "continue":
        turn.outputs.append(Chosen(here.id, here.prompt, keep_text=True))
        return _walk(flow, state, next_id(flow, here, state.answers), turn)
    if isinstance(here, SummaryStep):
        return _summary_press(flow, state, here, choice, turn)
    if isinstance(here, MultiChoiceStep):
        return _multi_press(flow, state, here, choice, turn)
    value = read_press(here, choice)
    if isinstance(value, Wrong):
        return _stale(flow, state, here, turn)
    return _answer(flow, state, here, value, turn)


def _multi_press(
    flow: Flow, state: FlowState, here: MultiChoiceStep, choice: int | str, turn: _Turn
) -> FlowState:
    if choice == "done":
        value = selection(here, state.draft)
        if isinstance(value, tuple):
            return _answer(flow, state, here, value, turn)
        return _wrong(flow, state, here, turn)
    if not isinstance(choice, int) or not 0 <= choice < len(here.options):
        return _stale(flow, state, here, turn)
    draft = toggled(here, state.draft, choice)
    if too_many(here, draft):
        return _wrong(flow, state, here, turn)
    moved = state.moved(draft=draft)
    turn.outputs.append(Toggle(here.id, buttons(here, moved)))
    return moved


def _summary_press(
    flow: Flow, state: FlowState, here: SummaryStep, choice: int | str, turn: _Turn
) -> FlowState:
    if choice == "confirm":
        turn.outputs.append(Chosen(here.id, here.prompt, (CONFIRM,), keep_text=True))
        return _walk(flow, state, next_id(flow, here, state.answers), turn)
    if choice == "change":
        turn.outputs.append(change_list(flow, here, state.answers))
        return state
    wanted = str(choice).removeprefix("change:")
    target = next((s for s in changeable(flow, here, state.answers) if s.id == wanted), None)
    if not str(choice).startswith("change:") or target is None:
        return _stale(flow, state, here, turn)
    turn.outputs.append(Chosen(here.id, CHANGE_WHICH, (target.prompt,)))
    moved = state.moved(
        current=target.id,
        history=(*state.history, here.id),
        draft=_draft(target, state.answers.get(target.id)),
        returning_to=here.id,
        reasks=0,
    )
    turn.outputs.append(question(flow, target, moved))
    return moved


def _answer(flow: Flow, state: FlowState, here: AnyStep, value: Answer, turn: _Turn) -> FlowState:
    """Record an answer, raise its events, and move on."""
    if has_buttons(here):
        turn.outputs.append(chosen(here, value))
    answers = {**state.answers, here.id: value}
    sensitive = isinstance(here, TextStep) and here.sensitive and value is not None
    turn.events.append(Answered(here.id, value, sensitive))
    for index, rule in raised(getattr(here, "red_flags", ()), here.id, answers):
        turn.events.append(RedFlag(here.id, rule.category, rule.severity, index))
    moved = state.moved(answers=answers, draft=())
    if isinstance(here, ConsentStep):
        decision: Decision = "granted" if value == "granted" else "declined"
        turn.events.append(ConsentDecided(here.id, here.consent_kind, decision, here.prompt))
        if decision == "declined" and here.on_decline == "end":
            turn.events.append(Declined(here.id))
            return _finished(moved, "declined")
    return _walk(flow, moved, next_id(flow, here, answers), turn)


def _walk(flow: Flow, state: FlowState, target: str | None, turn: _Turn) -> FlowState:
    """Go forward from target to the next step that waits for the person, or to the end.

    Steps whose ask_if fails are passed (their answers dropped); messages without a button
    are shown on the way. When returning to the summary, answered steps are passed too.
    """
    answers = dict(state.answers)
    returning = state.returning_to
    for _ in range(2 * len(flow.steps) + 2):
        here = flow.find(target)
        if here is None:
            return _complete(flow, state.moved(answers=answers), turn)
        if not is_asked(here, answers):
            answers.pop(here.id, None)
        elif isinstance(here, MessageStep) and not here.continue_:
            if returning is None:
                turn.outputs.append(Say(here.prompt))
        elif returning is None or _waits_on_return(here, answers):
            break
        target = next_id(flow, here, answers)
    else:
        raise FlowError(f"{flow.source}: flow {flow.flow}: steps loop without asking anything")
    history = (*state.history, state.current) if state.current else state.history
    if here.id in history:
        history = history[: history.index(here.id)]
    moved = state.moved(
        current=here.id,
        answers=answers,
        history=history,
        draft=_draft(here, answers.get(here.id)),
        returning_to=None if isinstance(here, SummaryStep) else returning,
        reasks=0,
    )
    turn.outputs.append(question(flow, here, moved))
    return moved


def _waits_on_return(here: AnyStep, answers: dict[str, Answer]) -> bool:
    """On the way back to the summary, stop at the summary or at a question not yet answered."""
    return isinstance(here, SummaryStep) or (takes_answer(here) and here.id not in answers)


def _back(flow: Flow, state: FlowState, here: AnyStep, turn: _Turn) -> FlowState:
    previous = flow.find(state.history[-1]) if state.history else None
    if previous is None:
        turn.outputs.append(Say(NOTHING_TO_GO_BACK_TO))
        turn.outputs.append(question(flow, here, state))
        return state
    moved = state.moved(
        current=previous.id,
        history=state.history[:-1],
        draft=_draft(previous, state.answers.get(previous.id)),
        returning_to=None if previous.id == state.returning_to else state.returning_to,
        reasks=0,
    )
    turn.outputs.append(question(flow, previous, moved))
    return moved


def _wrong(flow: Flow, state: FlowState, here: AnyStep, turn: _Turn) -> FlowState:
    turn.outputs.append(Say(hint_of(here), values_of(here)))
    turn.outputs.append(question(flow, here, state))
    turn.events.append(Reasked(here.id))
    return state.moved(reasks=state.reasks + 1)


def _stale(flow: Flow, state: FlowState, here: AnyStep, turn: _Turn) -> FlowState:
    turn.outputs.append(Say(STALE_BUTTON))
    turn.outputs.append(question(flow, here, state))
    return state


def _complete(flow: Flow, state: FlowState, turn: _Turn) -> FlowState:
    taken = {s.id for s in path(flow, state.answers)}
    answers = {key: value for key, value in state.answers.items() if key in taken}
    turn.events.append(Completed(answers))
    return _finished(state.moved(answers=answers), "completed")


def _finished(state: FlowState, status: Status) -> FlowState:
    return state.moved(current=None, status=status, draft=(), returning_to=None, reasks=0)


def _draft(target: AnyStep, answer: Answer) -> tuple[str, ...]:
    return answer if isinstance(target, MultiChoiceStep) and isinstance(answer, tuple) else ()
