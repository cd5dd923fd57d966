"""Reading an answer to a step from what a person typed or pressed; a wrong one is WRONG."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from peerbot.dialogs.conditions import Answer
from peerbot.dialogs.flow_schema import (
    AnyStep,
    ConsentStep,
    MultiChoiceStep,
    NumberStep,
    ScaleStep,
    SingleChoiceStep,
    TextStep,
)

Labels = Callable[[str], str]


class Wrong:
    """The answer does not fit the step (the engine re-asks with the hint)."""


WRONG: Final = Wrong()


def read_text(step: AnyStep, text: str, labels: Labels) -> Answer | Wrong:
    """Read a typed answer: an option's label or number, a text, a number, yes or no."""
    text = text.strip()
    if isinstance(step, SingleChoiceStep):
        index = _option_index(step, text, labels)
        return WRONG if index is None else step.options[index].value
    if isinstance(step, MultiChoiceStep):
        indexes = [_option_index(step, part.strip(), labels) for part in text.split(",")]
        if any(index is None for index in indexes):
            return WRONG
        chosen = {step.options[index].value for index in indexes if index is not None}
        return selection(step, tuple(chosen))
    if isinstance(step, TextStep):
        return text if step.min_length <= len(text) <= step.max_length else WRONG
    if isinstance(step, NumberStep | ScaleStep):
        return _in_range(step, text)
    if isinstance(step, ConsentStep):
        said = text.casefold()
        if said == labels(step.yes).strip().casefold():
            return "granted"
        if said == labels(step.no).strip().casefold():
            return "declined"
    return WRONG


def read_press(step: AnyStep, choice: int | str) -> Answer | Wrong:
    """Read a pressed option, scale number, or yes/no; anything else is WRONG."""
    if isinstance(step, SingleChoiceStep) and _index(choice, len(step.options)):
        return step.options[int(choice)].value
    if isinstance(step, ScaleStep) and isinstance(choice, int):
        return choice if step.min <= choice <= step.max else WRONG
    if isinstance(step, ConsentStep) and choice in ("yes", "no"):
        return "granted" if choice == "yes" else "declined"
    return WRONG


def toggled(step: MultiChoiceStep, draft: tuple[str, ...], choice: int | str) -> tuple[str, ...]:
    """Return the draft with the pressed option switched on or off, in option order."""
    if not _index(choice, len(step.options)):
        return draft
    value = step.options[int(choice)].value
    chosen = set(draft) ^ {value}
    return tuple(option.value for option in step.options if option.value in chosen)


def selection(step: MultiChoiceStep, draft: tuple[str, ...]) -> tuple[str, ...] | Wrong:
    """Accept a multi-choice selection (in option order) if its size is allowed."""
    most = step.max_selected or len(step.options)
    if not step.min_selected <= len(draft) <= most:
        return WRONG
    return tuple(option.value for option in step.options if option.value in draft)


def too_many(step: MultiChoiceStep, draft: tuple[str, ...]) -> bool:
    """Tell whether a draft has more options than the step allows."""
    return step.max_selected is not None and len(draft) > step.max_selected


def _index(choice: int | str, count: int) -> bool:
    return isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < count


def _option_index(
    step: SingleChoiceStep | MultiChoiceStep, text: str, labels: Labels
) -> int | None:
    if re.fullmatch(r"[0-9]+", text):
        number = int(text)
        return number - 1 if 1 <= number <= len(step.options) else None
    said = text.casefold()
    for index, option in enumerate(step.options):
        if labels(option.text).strip().casefold() == said:
            return index
    return None


def _in_range(step: NumberStep | ScaleStep, text: str) -> int | Wrong:
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", text):
        return WRONG
    number = int(text)
    return number if step.min <= number <= step.max else WRONG
