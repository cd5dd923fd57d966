"""What a person does in a flow, as the engine receives it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Begin:
    """Start the flow, or show the current question again (after a pause or a restart)."""


@dataclass(frozen=True)
class Text:
    """A typed message."""

    text: str


@dataclass(frozen=True)
class Press:
    """A button press: an option index, a scale number, or a word such as "done" or
    "change:<step_id>"."""

    step_id: str
    choice: int | str


@dataclass(frozen=True)
class Back:
    """/back: return to the previous question."""


@dataclass(frozen=True)
class Skip:
    """/skip: leave an optional question unanswered."""


@dataclass(frozen=True)
class Cancel:
    """/cancel: stop the flow."""


Input = Begin | Text | Press | Back | Skip | Cancel
