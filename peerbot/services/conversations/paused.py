"""A flow paused by a crisis: the escalation it waits on, and the offer to go back to it.

Kept apart from the journey so that whoever ends the wait (the person's answer, a coordinator
closing the case) offers the same way back."""

from __future__ import annotations

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.actions import ResumeChoice
from peerbot.services.conversations.shown import Menu, MenuButton
from peerbot.storage import conversations
from peerbot.storage.models import Conversation

CRISIS = "crisis"  # meta: the escalation the paused flow waits on


def waits_on(conversation: Conversation) -> int | None:
    """The escalation a paused conversation waits on, or None if it is not paused."""
    value = (conversation.state or {}).get("meta", {}).get(CRISIS)
    return value if isinstance(value, int) else None


def go_back_offer(conversation: Conversation) -> Menu:
    """ "Go back to the questions" or "Not now"."""
    return Menu(
        "crisis.resume.offer",
        (
            (MenuButton(ResumeChoice(conversation.id, True), "crisis.resume.go"),),
            (MenuButton(ResumeChoice(conversation.id, False), "crisis.resume.later"),),
        ),
    )


async def paused_in(ctx: ServiceContext, chat_id: int) -> Conversation | None:
    """The chat's conversation in progress if a crisis paused it, else None."""
    conversation = await conversations.active_for_chat(ctx.session, chat_id)
    if conversation is None or waits_on(conversation) is None:
        return None
    return conversation
