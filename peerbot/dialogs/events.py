"""What happened in a flow, for services to act on (store, escalate, record consent)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from peerbot.dialogs.conditions import Answer
from peerbot.dialogs.flow_schema import ConsentKind
from peerbot.dialogs.red_flags import Severity

Decision = Literal["granted", "declined"]


@dataclass(frozen=True)
class Answered:
    """A step was answered (value None: skipped); sensitive answers are stored encrypted."""

    step_id: str
    value: Answer
    sensitive: bool


@dataclass(frozen=True)
class RedFlag:
    """A red-flag rule of the step fired on the answer just given."""

    step_id: str
    category: str
    severity: Severity
    rule_index: int


@dataclass(frozen=True)
class ConsentDecided:
    """A consent was granted or declined; prompt_key names the text shown (for its version)."""

    step_id: str
    consent_kind: ConsentKind
    decision: Decision
    prompt_key: str


@dataclass(frozen=True)
class Completed:
    """The flow finished; answers are those on the path taken (None: skipped)."""

    answers: Mapping[str, Answer]


@dataclass(frozen=True)
class Cancelled:
    """The person cancelled the flow."""


@dataclass(frozen=True)
class Declined:
    """The person declined a consent that ends the flow."""

    step_id: str


@dataclass(frozen=True)
class Reasked:
    """A wrong answer: the question was asked again with its hint."""

    step_id: str


Event = Answered | RedFlag | ConsentDecided | Completed | Cancelled | Declined | Reasked
