"""Run a flow for a chat: load its stored state, step the engine, store the new state.

Sensitive answers are sealed (encrypted) inside the stored state, so free text never
sits in the conversations table in the clear.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from peerbot.dialogs.conditions import Answer
from peerbot.dialogs.engine import Transition, step
from peerbot.dialogs.flow_schema import Flow, TextStep
from peerbot.dialogs.inputs import Begin, Input, Press
from peerbot.dialogs.state import FlowState
from peerbot.services.common.context import ServiceContext, Who
from peerbot.storage import conversations
from peerbot.storage.enums import ConversationStatus
from peerbot.storage.models import Conversation

DEFAULT_REMIND_AFTER = timedelta(hours=24)
DEFAULT_EXPIRE_AFTER = timedelta(days=7)
SEALED = "sealed"
REMIND_AFTER_HOURS = "remind_after_hours"  # meta: a reminder delay for this conversation


@dataclass
class FlowTurn:
    """A conversation after one input, with what the engine said and did."""

    conversation: Conversation
    flow: Flow
    transition: Transition
    meta: dict[str, Any]
    # Sensitive answers as sealed so far, by step: (plain text, ciphertext).
    sealed: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        state = self.transition.state
        return state is None or not state.active


async def active(ctx: ServiceContext, who: Who) -> Conversation | None:
    return await conversations.active_for_chat(ctx.session, who.chat_id)


async def begin(
    ctx: ServiceContext,
    who: Who,
    flow_id: str,
    meta: dict[str, Any] | None = None,
    *,
    answers: dict[str, Answer] | None = None,
    at_step: str | None = None,
    above: bool = False,
) -> FlowTurn:
    """Start flow_id in the chat (closing any other conversation there, unless above: then
    that one waits beneath and is the chat's conversation again when this one ends).

    With answers and at_step, the flow opens at that step with those answers already given
    (e.g. a profile shown at its summary, so one answer can be changed).
    """
    flow = ctx.program.flows[flow_id]
    opened = FlowState(flow.flow, at_step, answers=answers or {}) if at_step else None
    transition = step(flow, opened, Begin(), _labels(ctx, who))
    state = transition.state or FlowState(flow.flow, None)
    sealed: dict[str, tuple[str, str]] = {}
    conversation = await conversations.begin(
        ctx.session,
        chat_id=who.chat_id,
        person_id=who.person.id if who.person else None,
        flow=flow.flow,
        step=state.current or "",
        state=_stored(ctx, flow, state, meta or {}, sealed),
        now=ctx.now,
        remind_after=_remind_after(flow, meta or {}),
        expire_after=_expire_after(flow),
        above=above,
    )
    turn = FlowTurn(conversation, flow, transition, dict(meta or {}), sealed)
    await _store_status(ctx, turn)
    return turn


async def advance(
    ctx: ServiceContext, who: Who, conversation: Conversation, received: Input
) -> FlowTurn:
    """Give the conversation's flow one input and store where it stands now."""
    flow = ctx.program.flows[conversation.flow]
    sealed: dict[str, tuple[str, str]] = {}
    state, meta = _opened(ctx, flow, conversation.state, sealed)
    transition = step(flow, state, received, _labels(ctx, who))
    turn = FlowTurn(conversation, flow, transition, meta, sealed)
    await save(ctx, turn)
    return turn


def preview(
    ctx: ServiceContext, who: Who, conversation: Conversation, received: Input
) -> tuple[Transition, dict[str, Any]] | None:
    """What the flow would do with this input, stored nowhere: None when the step it answers
    has no red-flag rules (the only reason to look ahead) or the flow is gone."""
    flow = ctx.program.flows.get(conversation.flow)
    if flow is None:
        return None
    answered = received.step_id if isinstance(received, Press) else conversation.step
    if not getattr(flow.find(answered), "red_flags", ()):
        return None
    state, meta = _opened(ctx, flow, conversation.state, {})
    return step(flow, state, received, _labels(ctx, who)), meta


async def save(ctx: ServiceContext, turn: FlowTurn) -> None:
    """Store the turn's state and meta (call again after changing meta)."""
    state = turn.transition.state or FlowState(turn.flow.flow, None, status="cancelled")
    turn.conversation.state = _stored(ctx, turn.flow, state, turn.meta, turn.sealed)
    await _store_status(ctx, turn)


async def _store_status(ctx: ServiceContext, turn: FlowTurn) -> None:
    state = turn.transition.state
    status = ConversationStatus.ACTIVE
    if state is None or state.status == "cancelled":
        status = ConversationStatus.CANCELLED
    elif state.status in ("completed", "declined"):
        status = ConversationStatus.COMPLETED
    await conversations.save(
        ctx.session,
        turn.conversation,
        step=state.current if state else None,
        state=turn.conversation.state,
        status=status,
        now=ctx.now,
        remind_after=_remind_after(turn.flow, turn.meta),
        expire_after=_expire_after(turn.flow),
    )


def _labels(ctx: ServiceContext, who: Who):  # type: ignore[no-untyped-def]
    texts = ctx.program.texts
    return lambda key: texts.get(key, who.locale)


def _remind_after(flow: Flow, meta: dict[str, Any]) -> timedelta:
    """The flow's reminder delay, unless the conversation's starter set its own."""
    hours = meta.get(REMIND_AFTER_HOURS) or flow.remind_after_hours
    return timedelta(hours=hours) if hours else DEFAULT_REMIND_AFTER


def _expire_after(flow: Flow) -> timedelta:
    days = flow.expire_after_days
    return timedelta(days=days) if days else DEFAULT_EXPIRE_AFTER


def _sensitive_steps(flow: Flow) -> set[str]:
    return {s.id for s in flow.steps if isinstance(s, TextStep) and s.sensitive}


def _stored(
    ctx: ServiceContext,
    flow: Flow,
    state: FlowState,
    meta: dict[str, Any],
    sealed: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    data = state.to_dict()
    sensitive = _sensitive_steps(flow)
    data["answers"] = {
        key: {SEALED: _seal(ctx, sealed, key, value)}
        if key in sensitive and isinstance(value, str)
        else value
        for key, value in data["answers"].items()
    }
    # A copy: the JSON column finds changes by comparing with what it last stored, so a
    # later change to the turn's meta must not also change that stored value in place.
    return {"engine": data, "meta": copy.deepcopy(meta)}


def _seal(ctx: ServiceContext, sealed: dict[str, tuple[str, str]], key: str, text: str) -> str:
    """The answer's ciphertext, kept while the answer is unchanged.

    Encryption is randomised: sealing the same answer again would give a new ciphertext,
    so the stored state would look changed and be written again on every save.
    """
    known = sealed.get(key)
    if known is not None and known[0] == text:
        return known[1]
    ciphertext = ctx.cipher.encrypt(text)
    assert ciphertext is not None
    sealed[key] = (text, ciphertext)
    return ciphertext


def _opened(
    ctx: ServiceContext,
    flow: Flow,
    stored: dict[str, Any],
    sealed: dict[str, tuple[str, str]],
) -> tuple[FlowState | None, dict[str, Any]]:
    data = dict(stored.get("engine") or {})
    meta = copy.deepcopy(dict(stored.get("meta") or {}))
    if not data:
        return None, meta
    data["answers"] = {
        key: _unseal(ctx, sealed, key, value[SEALED])
        if isinstance(value, dict) and SEALED in value
        else value
        for key, value in (data.get("answers") or {}).items()
    }
    try:
        return FlowState.from_dict(data), meta
    except ValueError:
        return None, meta  # unreadable state: the flow starts again


def _unseal(
    ctx: ServiceContext, sealed: dict[str, tuple[str, str]], key: str, ciphertext: str
) -> str | None:
    text = ctx.cipher.decrypt(ciphertext)
    if text is not None:
        sealed[key] = (text, ciphertext)
    return text
