"""Where a person is in a flow, as an immutable value that round-trips through JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

from peerbot.dialogs.conditions import Answer

Status = Literal["active", "completed", "cancelled", "declined"]
STATUSES: tuple[str, ...] = get_args(Status)


@dataclass(frozen=True)
class FlowState:
    """A flow's progress: current step, answers, steps asked (for /back), and status.

    Multi-choice answers and the draft are tuples here and lists in to_dict().
    """

    flow_id: str
    current: str | None
    answers: Mapping[str, Answer] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    draft: tuple[str, ...] = ()
    status: Status = "active"
    returning_to: str | None = None
    reasks: int = 0

    def __post_init__(self) -> None:
        answers = {step: _answer(value) for step, value in self.answers.items()}
        object.__setattr__(self, "answers", MappingProxyType(answers))
        object.__setattr__(self, "history", tuple(self.history))
        object.__setattr__(self, "draft", tuple(self.draft))

    @property
    def active(self) -> bool:
        return self.status == "active"

    def moved(self, **changes: Any) -> FlowState:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON data (for the database's JSON column)."""
        return {
            "flow_id": self.flow_id,
            "current": self.current,
            "answers": {
                step: list(value) if isinstance(value, tuple) else value
                for step, value in self.answers.items()
            },
            "history": list(self.history),
            "draft": list(self.draft),
            "status": self.status,
            "returning_to": self.returning_to,
            "reasks": self.reasks,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlowState:
        """Rebuild a state from to_dict() data; raise ValueError if it is malformed."""
        try:
            status = data.get("status", "active")
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            return cls(
                flow_id=str(data["flow_id"]),
                current=_optional_text(data.get("current")),
                answers=dict(data.get("answers") or {}),
                history=tuple(str(step) for step in data.get("history") or ()),
                draft=tuple(str(value) for value in data.get("draft") or ()),
                status=cast(Status, status),
                returning_to=_optional_text(data.get("returning_to")),
                reasks=int(data.get("reasks") or 0),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"stored flow state is malformed: {error}") from None


def _answer(value: object) -> Answer:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TypeError(f"an answer must be text, a whole number or a list of texts: {value!r}")


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)
