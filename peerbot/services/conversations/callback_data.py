"""One codec for inline-button data: small typed dataclasses <-> short strings (<= 64 bytes).

Button data carries ids, never texts, and is never trusted: handlers re-check the
person's rights and the conversation's state when a press arrives.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar, get_type_hints

from peerbot.services.conversations.actions import (
    CaseSend,
    ConsentWithdraw,
    EndUndo,
    EscalationAction,
    ForgetAnswer,
    InviteRevoke,
    LanguageChoice,
    MatchApprove,
    MatchChoice,
    NameShare,
    NoteFor,
    OfferAnswer,
    RequestAction,
    ResumeChoice,
    SafetyAnswer,
    TrainingConfirm,
)

MAX_BYTES = 64  # Telegram's limit for callback_data
SEPARATOR = ":"


class CallbackDataError(ValueError):
    """The data would not fit in a button, or cannot be encoded."""


@dataclasses.dataclass(frozen=True)
class FlowPress:
    """A press on a flow question's button: which step, which choice."""

    prefix: ClassVar[str] = "f"
    step: str
    choice: str


T = TypeVar("T")
_TYPES: dict[str, type[Any]] = {
    cls.prefix: cls
    for cls in (
        FlowPress,
        ConsentWithdraw,
        ForgetAnswer,
        LanguageChoice,
        EscalationAction,
        TrainingConfirm,
        MatchApprove,
        RequestAction,
        OfferAnswer,
        NameShare,
        InviteRevoke,
        NoteFor,
        CaseSend,
        SafetyAnswer,
        ResumeChoice,
        MatchChoice,
        EndUndo,
    )
}


def register(cls: type[T]) -> type[T]:
    """Add a button-data type (used as a class decorator by later handler modules)."""
    prefix = getattr(cls, "prefix", None)
    if not prefix or prefix in _TYPES and _TYPES[prefix] is not cls:
        raise CallbackDataError(f"{cls.__name__}: prefix missing or already taken")
    _TYPES[prefix] = cls
    return cls


def encode(data: object) -> str:
    """Encode a registered dataclass; the last field may contain the separator."""
    cls = type(data)
    if _TYPES.get(getattr(cls, "prefix", "")) is not cls:
        raise CallbackDataError(f"{cls.__name__} is not a registered button-data type")
    parts = [cls.prefix]
    fields = dataclasses.fields(data)  # type: ignore[arg-type]
    for index, field in enumerate(fields):
        value = getattr(data, field.name)
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        if SEPARATOR in text and index < len(fields) - 1:
            raise CallbackDataError(f"{cls.__name__}.{field.name} may not contain {SEPARATOR!r}")
        parts.append(text)
    encoded = SEPARATOR.join(parts)
    if len(encoded.encode("utf-8")) > MAX_BYTES:
        raise CallbackDataError(f"{cls.__name__} data is over {MAX_BYTES} bytes: {encoded!r}")
    return encoded


def decode(raw: str | None) -> object | None:
    """The dataclass a button's data stands for, or None if it is unknown or malformed."""
    if not raw:
        return None
    prefix, _, rest = raw.partition(SEPARATOR)
    cls = _TYPES.get(prefix)
    if cls is None:
        return None
    fields = dataclasses.fields(cls)
    values = rest.split(SEPARATOR, len(fields) - 1) if fields else []
    if len(values) != len(fields) or not all(values):
        return None
    hints = _field_types(cls)
    pairs = zip(fields, values, strict=True)
    try:
        converted = {field.name: _convert(value, hints[field.name]) for field, value in pairs}
    except ValueError:
        return None
    return cls(**converted)


_FIELD_TYPES: dict[type[Any], dict[str, Any]] = {}


def _field_types(cls: type[Any]) -> dict[str, Any]:
    """The fields' annotations, resolved once per type: every button press decodes one."""
    hints = _FIELD_TYPES.get(cls)
    if hints is None:
        hints = _FIELD_TYPES[cls] = get_type_hints(cls)
    return hints


def _convert(text: str, hint: object) -> object:
    if hint is bool:
        if text not in ("0", "1"):
            raise ValueError(text)
        return text == "1"
    if hint is int:
        return int(text)
    return text
