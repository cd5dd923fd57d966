"""At the end of support, after the survey: would they like to hear if they could join as a
peer supporter? A yes goes to the coordinators, whose "Send invite" gives the person a
one-time supporter invite, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import callback_data, flows
from peerbot.services.conversations.shown import EditPressed, Notice, Reply, Shown, Text
from peerbot.services.coordination import coordinators
from peerbot.services.supporters import invites
from peerbot.storage import audit
from peerbot.storage.enums import PersonStatus
from peerbot.storage.models import Answer, AuditEvent, Person
from peerbot.storage.outbox import Priority

BECOME_SUPPORTER_FLOW = "become_supporter"
#: The answer is kept with the survey's (flow "feedback"), as its question "become_supporter".
SURVEY_FLOW = "feedback"
QUESTION = "become_supporter"
INVITED = "become_supporter.invited"


@callback_data.register
@dataclass(frozen=True)
class SendInvite:
    """A coordinator sends a supporter invite to a past participant who said yes."""

    prefix: ClassVar[str] = "ui"
    answer_id: int


async def ask(ctx: ServiceContext, who: Who, reply: Reply) -> Reply:
    """After the survey, the one question (its answer goes with the survey's)."""
    if who.person is None:
        return reply
    survey = await ctx.session.scalar(
        select(Answer.support_request_id)
        .where(Answer.person_id == who.person.id, Answer.flow == SURVEY_FLOW)
        .order_by(Answer.id.desc())
        .limit(1)
    )
    turn = await flows.begin(ctx, who, BECOME_SUPPORTER_FLOW, {"request": survey})
    return reply.add(*turn.transition.outputs)


async def answered(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> Sequence[Shown]:
    """Kept (yes or no); a yes posts a card with "Send invite" to the coordinators."""
    person = who.person
    assert person is not None
    said = "yes" if answers.get(QUESTION) == "yes" else "no"
    answer = Answer(
        person_id=person.id,
        conversation_id=turn.conversation.id,
        support_request_id=turn.meta.get("request"),
        flow=SURVEY_FLOW,
        question=QUESTION,
        value=said,
        answered_at=ctx.now,
    )
    ctx.session.add(answer)
    await ctx.session.flush()
    if said == "no":
        return [Notice("become_supporter.no_thanks")]
    buttons = coordinators.buttons(ctx, [[("card.send_invite", SendInvite(answer.id))]])
    text = coordinators.text(ctx, "card.become_supporter", case=person.pseudonym)
    await coordinators.post(
        ctx,
        Text(text=text, buttons=buttons),
        priority=Priority.COORDINATION,
        dedupe_key=f"answer:{answer.id}:become_supporter",
    )
    return [Notice("become_supporter.yes_thanks")]


async def send_invite(
    ctx: ServiceContext, coordinator: Person, action: SendInvite, bot_username: str | None
) -> Reply:
    """Create a one-time supporter invite and send its link to the person, kindly; audited.
    A second press (or one for someone gone or stopped) changes nothing and says so."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    answer = await ctx.session.get(Answer, action.answer_id)
    person = await ctx.session.get(Person, answer.person_id) if answer is not None else None
    if (
        answer is None
        or answer.flow != SURVEY_FLOW
        or answer.question != QUESTION
        or answer.value != "yes"
        or person is None
    ):
        return reply.add(EditPressed(Text(text=coordinators.text(ctx, "card.proposal_stale"))))
    name = coordinators.name_of(ctx, coordinator)
    if await _invited_before(ctx, answer):
        stamp = coordinators.text(ctx, "card.invite_sent_before", case=person.pseudonym)
        return reply.add(EditPressed(Text(text=stamp)))
    if person.status != PersonStatus.ACTIVE or person.telegram_user_id is None:
        stamp = coordinators.text(ctx, "card.invite_not_sendable", case=person.pseudonym)
        return reply.add(EditPressed(Text(text=stamp)))
    if not bot_username:
        return reply.add(Text(text=coordinators.text(ctx, "invite.no_username")))
    created = await invites.create(ctx, created_by_id=coordinator.id)
    await ctx.outbox.post(
        person.telegram_user_id,
        Notice("become_supporter.invite", {"link": invites.link(bot_username, created.code)}),
        locale=person.language,
        priority=Priority.NOTICE,
        dedupe_key=f"answer:{answer.id}:invite",
    )
    await audit.record(
        ctx.session,
        INVITED,
        now=ctx.now,
        actor_id=coordinator.id,
        subject_id=person.id,
        answer=answer.id,
    )
    stamp = coordinators.text(ctx, "card.invite_sent", case=person.pseudonym, name=name)
    return reply.add(EditPressed(Text(text=stamp)))


async def _invited_before(ctx: ServiceContext, answer: Answer) -> bool:
    details = await ctx.session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == INVITED, AuditEvent.subject_person_id == answer.person_id
        )
    )
    return any(detail.get("answer") == answer.id for detail in details)
