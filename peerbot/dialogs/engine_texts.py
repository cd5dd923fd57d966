"""The texts the engine itself shows (buttons, hints, notices), by key, and the values it fills
into prompts and hints of each kind of step."""

from __future__ import annotations

from collections.abc import Mapping

from peerbot.dialogs.flow_schema import STEP_KINDS

SKIP = "engine.skip"
SKIPPED = "engine.skipped"
DONE = "engine.done"
CONFIRM = "engine.confirm"
CHANGE = "engine.change"
CHANGE_WHICH = "engine.change_which"
STALE_BUTTON = "engine.stale_button"
NOTHING_TO_GO_BACK_TO = "engine.nothing_to_go_back_to"
CANCELLED = "engine.cancelled"


def hint_key(kind: str) -> str:
    """Return the key of the generic wrong-answer hint for a kind of step."""
    return f"engine.hint.{kind}"


ENGINE_TEXT_KEYS: tuple[str, ...] = (
    SKIP,
    SKIPPED,
    DONE,
    CONFIRM,
    CHANGE,
    CHANGE_WHICH,
    STALE_BUTTON,
    NOTHING_TO_GO_BACK_TO,
    CANCELLED,
    *(hint_key(kind) for kind in STEP_KINDS),
)

# Placeholders a prompt or hint of each kind may use: the bounds on the number of options
# chosen, the length of a text, or the number itself ("from {min} to {max}").
VALUE_NAMES: Mapping[str, tuple[str, ...]] = {
    kind: ("min", "max") for kind in ("multi_choice", "text", "number", "scale")
}
