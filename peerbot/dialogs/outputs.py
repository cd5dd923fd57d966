"""Render instructions from the engine: every text is a key plus values, never literal text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Rows = tuple[tuple["Button", ...], ...]


@dataclass(frozen=True)
class Button:
    """An inline button; label_text only echoes the person's own input (e.g. a scale number)."""

    label_key: str | None
    choice: int | str
    selected: bool = False
    label_text: str | None = None


@dataclass(frozen=True)
class Ask:
    """Send a question as a new message.

    input_hint is the key of the text saying how to answer (the step's hint, or
    engine.hint.<kind>), filled with the same values; low/high_label name a scale's ends.
    """

    step_id: str
    prompt_key: str
    values: Mapping[str, int] = field(default_factory=dict)
    buttons: Rows = ()
    input_hint: str | None = None
    low_label: str | None = None
    high_label: str | None = None


@dataclass(frozen=True)
class Toggle:
    """Redraw the pressed message's buttons with the new selection marks."""

    step_id: str
    buttons: Rows


@dataclass(frozen=True)
class Chosen:
    """Edit the pressed (or last asked) message: the question, the answer, no buttons."""

    step_id: str
    prompt_key: str
    answer_keys: tuple[str, ...] = ()
    answer_text: str | None = None
    keep_text: bool = False  # only remove the buttons: the message already says it all


@dataclass(frozen=True)
class Say:
    """Send a plain message."""

    key: str
    values: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryEntry:
    """One answer on the summary: its question and the answer as keys or the person's text."""

    step_id: str
    prompt_key: str
    answer_keys: tuple[str, ...] = ()
    answer_text: str | None = None


@dataclass(frozen=True)
class Summary:
    """Send the summary: a heading, the answers, Confirm and Change an answer."""

    step_id: str
    prompt_key: str
    entries: tuple[SummaryEntry, ...]
    buttons: Rows


Output = Ask | Toggle | Chosen | Say | Summary
