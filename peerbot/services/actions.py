"""Things a person can do with a button outside a flow; the bot encodes them as button data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ConsentWithdraw:
    """Withdraw one consent decision from /consent."""

    prefix: ClassVar[str] = "cw"
    kind: str


@dataclass(frozen=True)
class ForgetAnswer:
    """The answer to /forget's "are you sure?"."""

    prefix: ClassVar[str] = "fg"
    erase: bool


@dataclass(frozen=True)
class LanguageChoice:
    """A language picked in /language."""

    prefix: ClassVar[str] = "lang"
    locale: str


@dataclass(frozen=True)
class EscalationAction:
    """A coordinator's button on an escalation card: claim, resolve, or an outcome."""

    prefix: ClassVar[str] = "esc"
    escalation_id: int
    action: str  # "claim", "resolve" or "outcome:<outcome>"


@dataclass(frozen=True)
class TrainingConfirm:
    """A coordinator confirms that a new supporter completed the program's training."""

    prefix: ClassVar[str] = "trn"
    person_id: int
