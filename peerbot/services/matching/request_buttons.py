"""Button data for a coordinator's decisions on a request: propose a held request anyway,
refer, decline, close or withdraw it (each of the last four confirmed with a second press)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from peerbot.services.conversations.callback_data import register

PROPOSE = "propose"
REFER = "refer"
DECLINE = "decline"
CLOSE = "close"
WITHDRAW = "withdraw"
KEEP = "keep"  # the confirmation's "no": nothing changes
CONFIRMED = (REFER, DECLINE, CLOSE, WITHDRAW)


@register
@dataclass(frozen=True)
class RequestDecision:
    """A press on a request's card: "propose" acts at once; the others ask to confirm."""

    prefix: ClassVar[str] = "hq"
    action: str
    request_id: int


@register
@dataclass(frozen=True)
class RequestConfirm:
    """The answer to "Decline request R-…?": the action, or "keep"."""

    prefix: ClassVar[str] = "hc"
    action: str
    request_id: int


def action_rows(request_id: int) -> list[list[tuple[str, object]]]:
    """Close, Decline, Refer and Withdraw for an open request, as (label key, data) rows."""
    return [
        [
            ("requests.button.close", RequestDecision(CLOSE, request_id)),
            ("requests.button.decline", RequestDecision(DECLINE, request_id)),
        ],
        [
            ("requests.button.refer", RequestDecision(REFER, request_id)),
            ("requests.button.withdraw", RequestDecision(WITHDRAW, request_id)),
        ],
    ]


@register
@dataclass(frozen=True)
class StopWaiting:
    """The person's answer to /cancel while they wait: withdraw the request, or keep waiting."""

    prefix: ClassVar[str] = "hw"
    request_id: int
    withdraw: bool
