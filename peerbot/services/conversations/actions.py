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


@dataclass(frozen=True)
class MatchApprove:
    """A coordinator approves one proposed supporter for a request."""

    prefix: ClassVar[str] = "ma"
    match_id: int


@dataclass(frozen=True)
class RequestAction:
    """A coordinator's other buttons on a request: "more" candidates, "manual", "rematch"."""

    prefix: ClassVar[str] = "rq"
    request_id: int
    action: str


@dataclass(frozen=True)
class OfferAnswer:
    """A supporter's answer to an offer: "accept", "decline" or "decline:<reason>"."""

    prefix: ClassVar[str] = "of"
    match_id: int
    answer: str


@dataclass(frozen=True)
class NameShare:
    """A side's answer, at the introduction, to "may we give them your Telegram name?"."""

    prefix: ClassVar[str] = "nm"
    match_id: int
    share: bool


@dataclass(frozen=True)
class InviteRevoke:
    """A coordinator revokes one open invite from /invites."""

    prefix: ClassVar[str] = "ir"
    invite_id: int


@dataclass(frozen=True)
class NoteFor:
    """Which of a supporter's participants a contact note is about."""

    prefix: ClassVar[str] = "nf"
    match_id: int


@dataclass(frozen=True)
class CaseSend:
    """The answer to "this goes to the coordinators: send it?" about a held message."""

    prefix: ClassVar[str] = "cs"
    case_id: int
    send: bool


@dataclass(frozen=True)
class SafetyAnswer:
    """The answer to "Are you safe right now?" after an urgent red flag: "yes", "no" or
    "unsure". `check` ties the button to the chat it was sent to (see safety_check.check_of)."""

    prefix: ClassVar[str] = "safe"
    escalation_id: int
    answer: str
    check: str


@dataclass(frozen=True)
class ResumeChoice:
    """After a crisis pause: go back to the paused questions (go) or not now."""

    prefix: ClassVar[str] = "rs"
    conversation_id: int
    go: bool


@dataclass(frozen=True)
class MatchChoice:
    """/end or /change about one match: "end" or "change" picks it (then a confirmation),
    "end_yes" or "change_yes" confirms, "keep" leaves it as it is."""

    prefix: ClassVar[str] = "mch"
    match_id: int
    choice: str


@dataclass(frozen=True)
class EndUndo:
    """Undo an ending made by /end (offered for a day after it)."""

    prefix: ClassVar[str] = "eu"
    match_id: int
