"""Turning steps into render instructions: questions with their buttons, chosen answers, the
summary and its list of answers to change."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from peerbot.dialogs.conditions import Answer
from peerbot.dialogs.engine_texts import (
    CHANGE,
    CHANGE_WHICH,
    CONFIRM,
    DONE,
    SKIP,
    SKIPPED,
    hint_key,
)
from peerbot.dialogs.flow_schema import (
    AnyStep,
    ConsentStep,
    Flow,
    MessageStep,
    MultiChoiceStep,
    NumberStep,
    ScaleStep,
    SingleChoiceStep,
    SummaryStep,
    TextStep,
)
from peerbot.dialogs.navigation import path, takes_answer
from peerbot.dialogs.outputs import Ask, Button, Chosen, Rows, Summary, SummaryEntry
from peerbot.dialogs.state import FlowState

SCALE_ROW = 6


def values_of(step: AnyStep) -> dict[str, int]:
    """Return the values a step's prompt and hint may use: its bounds, as min and max."""
    if isinstance(step, MultiChoiceStep):
        return {"min": step.min_selected, "max": step.max_selected or len(step.options)}
    if isinstance(step, TextStep):
        return {"min": step.min_length, "max": step.max_length}
    if isinstance(step, NumberStep | ScaleStep):
        return {"min": step.min, "max": step.max}
    return {}


def hint_of(step: AnyStep) -> str:
    """Return the key of the text that says how to answer the step."""
    return getattr(step, "hint", None) or hint_key(step.kind)


def question(flow: Flow, step: AnyStep, state: FlowState) -> Ask | Summary:
    """Return the message that asks the step, with the current answer or draft marked."""
    if isinstance(step, SummaryStep):
        return summary(flow, step, state.answers)
    return Ask(
        step_id=step.id,
        prompt_key=step.prompt,
        values=values_of(step),
        buttons=buttons(step, state),
        input_hint=hint_of(step),
        low_label=getattr(step, "low_label", None),
        high_label=getattr(step, "high_label", None),
    )


def buttons(step: AnyStep, state: FlowState) -> Rows:
    """Return the step's buttons as rows."""
    answer = state.answers.get(step.id)
    rows: Rows = ()
    if isinstance(step, MessageStep) and step.continue_:
        rows = ((Button(step.continue_, "continue"),),)
    if isinstance(step, SingleChoiceStep):
        rows = _grid(
            [Button(o.text, i, o.value == answer) for i, o in enumerate(step.options)],
            step.columns,
        )
    if isinstance(step, MultiChoiceStep):
        options = [Button(o.text, i, o.value in state.draft) for i, o in enumerate(step.options)]
        rows = (*_grid(options, step.columns), (Button(DONE, "done"),))
    if isinstance(step, ScaleStep):
        numbers = range(step.min, step.max + 1)
        per_row = math.ceil(len(numbers) / math.ceil(len(numbers) / SCALE_ROW))
        scale = [Button(None, n, n == answer, label_text=str(n)) for n in numbers]
        rows = _grid(scale, per_row)
    if isinstance(step, ConsentStep):
        rows = ((Button(step.yes, "yes"), Button(step.no, "no")),)
    if getattr(step, "optional", False):
        rows = (*rows, (Button(SKIP, "skip"),))
    return rows


def has_buttons(step: AnyStep) -> bool:
    """Tell whether the step's question message carries buttons (to remove once answered)."""
    return bool(buttons(step, FlowState(flow_id="", current=step.id)))


def chosen(step: AnyStep, value: Answer) -> Chosen:
    """Return the question with its answer shown and no buttons (typed text is not echoed)."""
    keys, text = shown_answer(step, value)
    return Chosen(step.id, step.prompt, keys, None if isinstance(step, TextStep) else text)


def shown_answer(step: AnyStep, value: Answer) -> tuple[tuple[str, ...], str | None]:
    """Return an answer as text keys (options, yes/no, skipped) or as the person's own text."""
    if value is None:
        return (SKIPPED,), None
    if isinstance(step, SingleChoiceStep | MultiChoiceStep):
        picked = value if isinstance(value, tuple) else (value,)
        return tuple(o.text for o in step.options if o.value in picked), None
    if isinstance(step, ConsentStep):
        return (step.yes if value == "granted" else step.no,), None
    return (), str(value)


def summary(flow: Flow, step: SummaryStep, answers: Mapping[str, Answer]) -> Summary:
    """Return the summary of the answers the step shows, with Confirm and Change."""
    taken = [s for s in path(flow, answers) if takes_answer(s) and s.id in answers]
    if step.show is not None:
        listed = {s.id: s for s in taken}
        taken = [listed[step_id] for step_id in step.show if step_id in listed]
    entries = tuple(SummaryEntry(s.id, s.prompt, *shown_answer(s, answers[s.id])) for s in taken)
    rows = ((Button(CONFIRM, "confirm"), Button(CHANGE, "change")),)
    return Summary(step.id, step.prompt, entries, rows)


def changeable(flow: Flow, step: SummaryStep, answers: Mapping[str, Answer]) -> list[AnyStep]:
    """Return the answered steps before the summary that the person may change."""
    taken: list[AnyStep] = []
    for s in path(flow, answers):
        if s.id == step.id:
            break
        if takes_answer(s) and s.id in answers and not isinstance(s, ConsentStep):
            taken.append(s)
    return taken


def change_list(flow: Flow, step: SummaryStep, answers: Mapping[str, Answer]) -> Ask:
    """Return the question "which answer?" with one button per changeable step."""
    rows = tuple((Button(s.prompt, f"change:{s.id}"),) for s in changeable(flow, step, answers))
    return Ask(step.id, CHANGE_WHICH, buttons=rows, input_hint=hint_key(step.kind))


def _grid(buttons: Sequence[Button], columns: int) -> Rows:
    return tuple(tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns))
