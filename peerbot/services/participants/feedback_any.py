"""/feedback at any time, for participants and supporters: a compliment, a complaint or a
suggestion, in their own words (encrypted). A complaint opens a case with the coordinators:
its card says "complaint" and the words go only to the case's thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peerbot.services.cases import cases, relay
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.shown import Notice, Reply, Shown
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import card
from peerbot.storage.models import Answer
from peerbot.storage.outbox import Priority

FEEDBACK_ANY_FLOW = "feedback_any"
COMPLAINT = "complaint"
#: Why a case was opened by a complaint (``cases.reason``).
COMPLAINT_CASE = "complaint"


async def start(ctx: ServiceContext, who: Who) -> Reply:
    """/feedback: what kind of feedback (nothing in progress is dropped for it)."""
    reply = Reply(who.locale)
    if who.person is None:
        return reply.add(Notice("feedback_any.start_first"))
    if await flows.active(ctx, who) is not None:
        return reply.add(Notice("feedback_any.busy"))
    turn = await flows.begin(ctx, who, FEEDBACK_ANY_FLOW)
    return reply.add(*turn.transition.outputs)


async def given(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> Sequence[Shown]:
    """Keep the feedback (the words encrypted); a complaint goes to the coordinators."""
    person = who.person
    assert person is not None, "/feedback starts only for someone with a record"
    kind = str(answers.get("kind"))
    words = str(answers.get("words") or "")
    for question, value, secret in (("kind", kind, None), ("words", None, words)):
        ctx.session.add(
            Answer(
                person_id=person.id,
                conversation_id=turn.conversation.id,
                flow=FEEDBACK_ANY_FLOW,
                question=question,
                value=value,
                value_enc=ctx.cipher.encrypt(secret) if secret else None,
                answered_at=ctx.now,
            )
        )
    if kind != COMPLAINT:
        return [Notice(f"feedback_any.thanks.{kind}")]
    role = await card.subject_role(ctx, person)
    card_key = f"feedback:{turn.conversation.id}:complaint"
    await coordinators.post_card(
        ctx,
        "card.complaint",
        priority=Priority.COORDINATION,
        dedupe_key=card_key,
        case=person.pseudonym,
        role=coordinators.text(ctx, f"role.{role.value}"),
    )
    await cases.open_for(ctx, person, COMPLAINT_CASE, card_key=card_key)
    if words:  # into the case's thread, under the card, as writing to the program does
        await relay.from_person(ctx, who, relay.Written.words(words))
    return [Notice("feedback_any.complaint_sent")]
