"""A private chat's journey: a participant's consent and intake, a supporter's invite, profile
and check-ins; resumable at any point."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from peerbot.dialogs.conditions import Answer
from peerbot.dialogs.events import Cancelled, Completed, ConsentDecided, Declined, RedFlag
from peerbot.dialogs.inputs import Begin, Cancel, Input, Press, Text
from peerbot.dialogs.outputs import Chosen, Toggle
from peerbot.services.cases import relay
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows, paused
from peerbot.services.conversations.actions import ResumeChoice, SafetyAnswer
from peerbot.services.conversations.flows import FlowTurn
from peerbot.services.conversations.shown import (
    CloseMenu,
    EditPressed,
    Notice,
    Reply,
    Shown,
)
from peerbot.services.conversations.shown import Text as TextView
from peerbot.services.escalations import escalations, safety, safety_check
from peerbot.services.escalations.screening import Screened
from peerbot.services.matching import (
    holds,
    introductions,
    proposals,
    relationships,
    request_actions,
)
from peerbot.services.participants import (
    become_supporter,
    consent,
    enrolment,
    feedback_any,
    followup,
    followup_schedule,
    intake,
)
from peerbot.services.privacy import data_rights
from peerbot.services.supporters import checkins, contact_notes, invites, supporters
from peerbot.services.supporters.checkins import CHECKIN_FLOW
from peerbot.services.supporters.supporters import SUPPORTER_FLOW
from peerbot.storage import conversations
from peerbot.storage.enums import ConsentKind, SupportRequestStatus
from peerbot.storage.models import Conversation

CONSENT_FLOW = "consent"
INTAKE_FLOW = "intake"
REFERRAL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def start(ctx: ServiceContext, who: Who, payload: str | None) -> Reply:
    """/start: resume what is in progress, else consent (first contact) or a new intake."""
    reply = Reply(who.locale)
    await _resume_if_stopped(ctx, who, reply)
    invite_code = invites.code_in(payload)
    if invite_code is not None:
        return reply.add(*(await supporters.open_invite(ctx, who, invite_code)).items)
    conversation = await flows.active(ctx, who)
    if conversation is not None and paused.waits_on(conversation) is not None:
        return await _while_paused(ctx, who, conversation, reply)
    if conversation is not None:
        reply.add(Notice("resume.continue"))
        turn = await flows.advance(ctx, who, conversation, Begin())
        return await _after(ctx, who, turn, reply)
    if await supporters.profile_of(ctx, who.person) is not None:
        return reply.add(Notice("supporter.welcome_back"))
    referral = payload if payload and REFERRAL.match(payload) else None
    if who.person is None or not await consent.is_granted(
        ctx, who.person.id, ConsentKind.PARTICIPATION
    ):
        reply.add(Notice("welcome"))
        turn = await flows.begin(ctx, who, CONSENT_FLOW, {"referral": referral})
        return await _after(ctx, who, turn, reply)
    if await safety.has_open_request(ctx, who.person.id):
        return reply.add(Notice("welcome_back"))
    return await _begin_intake(ctx, who, reply)


async def flow_input(ctx: ServiceContext, who: Who, received: Input) -> Reply:
    """A message, a button press, /back, /skip or /cancel in the chat's conversation."""
    reply = Reply(who.locale)
    resumed = await _resume_if_stopped(ctx, who, reply)
    conversation = await flows.active(ctx, who)
    screened = None
    if isinstance(received, Text):
        screened = await _screen(ctx, who, received.text, conversation)
    if screened is not None and screened.urgent and _stops_to_listen(conversation):
        return _stop_to_listen(ctx, who, conversation, screened, reply)
    if screened is not None:
        reply.add(*_crisis_notices(screened))
    if conversation is None:
        if screened is not None:
            return reply
        if resumed:
            return reply.add(Notice("nothing_in_progress"))
        if isinstance(received, Cancel):
            if await relay.cancel_held(ctx, who):
                return reply.add(Notice("case.not_sent"))
            if (stop_waiting := await request_actions.ask_to_stop_waiting(ctx, who)) is not None:
                return reply.add(stop_waiting)
            return reply.add(Notice("nothing_to_cancel"))
        if isinstance(received, Press):
            return reply.add(Notice("engine.stale_button"), Notice("nothing_in_progress"))
        if isinstance(received, Text):  # words for no flow: the warm fallback to the coordinators
            return await relay.from_person(ctx, who, relay.Written.words(received.text), reply)
        return reply.add(Notice("not_understood"))
    if paused.waits_on(conversation) is not None and not isinstance(received, Cancel):
        return await _while_paused(ctx, who, conversation, reply, received, screened)
    turn = await flows.advance(ctx, who, conversation, received)
    return await _after(ctx, who, turn, reply)


async def _screen(
    ctx: ServiceContext, who: Who, text: str, conversation: Conversation | None
) -> Screened | None:
    """Every typed message is screened (before this update's work: see safety.raise_first);
    what it raised, if anything, is noted on the conversation."""
    screened = ctx.screened
    if screened is None:  # called outside a Telegram update: screen and raise here
        screened = await safety.raise_first(ctx, who, safety.Said(None, text))
    if not screened.flagged:
        return None
    if conversation is not None:
        meta = dict((conversation.state or {}).get("meta", {}))
        known = meta.get("escalations", [])
        meta["escalations"] = [*known, *(i for i in screened.escalation_ids if i not in known)]
        conversation.state = {**conversation.state, "meta": meta}
    return screened


# A crisis path that stops to listen. After a high or critical flag in what the person wrote,
# the flow in progress pauses (kept, not cancelled): they read that we heard them, their crisis
# resources, that the coordinators were told, and "Are you safe right now?". Only once that is
# answered (and the screener, if the program has one) are they offered to go back to the
# questions. A medium flag does not pause: the resources are given and the questions go on,
# so that someone who is struggling but not in danger still gets their request made. What
# the paused flow waits on, and the offer to go back to it, are in paused.py.


def _stop_to_listen(
    ctx: ServiceContext,
    who: Who,
    conversation: Conversation | None,
    screened: Screened,
    reply: Reply,
) -> Reply:
    escalation_id = safety_check.asked_about(screened)
    assert escalation_id is not None, "asked only after an urgent flag"
    if conversation is not None:
        meta = {**conversation.state.get("meta", {}), paused.CRISIS: escalation_id}
        conversation.state = {**conversation.state, "meta": meta}
        conversation.reminder_due_at = None  # no "you did not finish" nudge while paused
    reply.add(Notice("crisis.heard"))
    if not screened.resources_given:
        reply.add(Notice(screened.crisis_key))
        screened.resources_given = True
    reply.add(Notice("redflag.coordinator_told"))
    screened.coordinator_told = True
    return reply.add(safety_check.question(ctx, who, escalation_id))


def _is_screener(conversation: Conversation | None) -> bool:
    return conversation is not None and conversation.flow == safety_check.SCREENER_FLOW


def _stops_to_listen(conversation: Conversation | None) -> bool:
    """An urgent flag pauses the questions to ask "are you safe?", except in the screener's
    own questions and where the words are about someone else (a supporter's contact note:
    the escalation is about their participant, and the supporter is not asked about it)."""
    if conversation is None:
        return True
    about_someone_else = (conversation.state or {}).get("meta", {}).get("about") is not None
    return not _is_screener(conversation) and not about_someone_else


async def _while_paused(
    ctx: ServiceContext,
    who: Who,
    conversation: Conversation,
    reply: Reply,
    received: Input | None = None,
    screened: Screened | None = None,
) -> Reply:
    """Anything but /cancel while the questions are paused. Words go to the person's case
    (the escalation opened it), as the coordinators' promise says, with the safety question
    again, briefly, while it is unanswered. Words that raised a flag are not relayed (the
    card stands for them): the person hears that the coordinators know. Anything else: the
    safety question until it is answered, then the offer to go back to the questions."""
    escalation_id = paused.waits_on(conversation)
    assert escalation_id is not None
    unanswered = await safety_check.answer_of(ctx, escalation_id) is None
    still_asked = [safety_check.question(ctx, who, escalation_id)] if unanswered else []
    if screened is not None:
        if not screened.coordinator_told:
            reply.add(Notice("redflag.coordinator_told"))
            screened.coordinator_told = True
        return reply.add(*still_asked)
    if isinstance(received, Text) and who.person is not None:
        await relay.from_person(ctx, who, relay.Written.words(received.text), reply)
        return reply.add(*still_asked)
    if unanswered:
        return reply.add(Notice("crisis.paused"), *still_asked)
    return reply.add(paused.go_back_offer(conversation))


async def safety_answer(ctx: ServiceContext, who: Who, pressed: SafetyAnswer) -> Reply:
    """The answer to "Are you safe right now?": thanks, the screener if the program has one,
    then the offer to go back to the paused questions."""
    reply = Reply(who.locale)
    screened = ctx.screened
    if screened is not None and screened.safety_answered == pressed.escalation_id:
        outcome = safety_check.RECORDED  # recorded first, by the safety net
    else:
        outcome = await safety_check.record_answer(ctx, who, pressed)
    if outcome == safety_check.NOT_THEIRS:
        return reply.add(CloseMenu(), Notice("crisis.unknown_answer"))
    conversation = await flows.active(ctx, who)
    if outcome == safety_check.ANSWERED_BEFORE:
        reply.add(CloseMenu(), Notice("crisis.already_answered"))
        if conversation is not None and paused.waits_on(conversation) is not None:
            reply.add(paused.go_back_offer(conversation))
        return reply
    chosen = ctx.program.texts.get(f"crisis.safe.{pressed.answer}", who.locale)
    reply.add(EditPressed(TextView(key="crisis.are_you_safe.answered", values={"answer": chosen})))
    crisis_key = screened.crisis_key if screened else safety.crisis_key(ctx, who)
    reply.add(*safety_check.answer_notices(ctx, who, pressed.answer, crisis_key))
    if screened is not None:
        screened.resources_given = screened.coordinator_told = True
    screens = ctx.program.policy.crisis.screen == "cssrs" and who.person is not None
    if screens and not _is_screener(conversation):  # it waits over the paused flow, if any
        meta = {"escalation": pressed.escalation_id}
        turn = await flows.begin(ctx, who, safety_check.SCREENER_FLOW, meta, above=True)
        return reply.add(Notice("cssrs.intro"), *turn.transition.outputs)
    return await _offer_to_resume(ctx, who, reply)


async def _offer_to_resume(ctx: ServiceContext, who: Who, reply: Reply) -> Reply:
    """After the safety answer (and the screener): the paused questions, if there are any."""
    conversation = await flows.active(ctx, who)
    if conversation is not None and paused.waits_on(conversation) is not None:
        reply.add(paused.go_back_offer(conversation))
    return reply


async def resume(ctx: ServiceContext, who: Who) -> Reply:
    """/continue: back to the question the person was on (once "are you safe" is answered)."""
    reply = Reply(who.locale)
    await _resume_if_stopped(ctx, who, reply)
    conversation = await flows.active(ctx, who)
    if conversation is None:
        return reply.add(Notice("nothing_in_progress"))
    escalation_id = paused.waits_on(conversation)
    if escalation_id is not None:
        if await safety_check.answer_of(ctx, escalation_id) is None:
            return reply.add(safety_check.question(ctx, who, escalation_id))
        meta = {k: v for k, v in conversation.state.get("meta", {}).items() if k != paused.CRISIS}
        conversation.state = {**conversation.state, "meta": meta}
    reply.add(Notice("resume.continue"))
    turn = await flows.advance(ctx, who, conversation, Begin())
    return await _after(ctx, who, turn, reply)


async def resume_choice(ctx: ServiceContext, who: Who, pressed: ResumeChoice) -> Reply:
    """ "Go back to the questions" or "Not now", under the offer."""
    conversation = await flows.active(ctx, who)
    if conversation is None or conversation.id != pressed.conversation_id:
        return Reply(who.locale).add(CloseMenu(), Notice("nothing_in_progress"))
    if not pressed.go:
        return Reply(who.locale).add(CloseMenu(), Notice("crisis.resume.not_now"))
    resumed = await resume(ctx, who)
    return Reply(who.locale).add(CloseMenu(), *resumed.items)


def _crisis_notices(screened: Screened) -> list[Notice]:
    """The crisis resources, and that a coordinator was told, unless the reply has them."""
    notices = []
    if not screened.resources_given:
        notices.append(Notice(screened.crisis_key))
        screened.resources_given = True
    if screened.urgent and not screened.coordinator_told:
        notices.append(Notice("redflag.coordinator_told"))
        screened.coordinator_told = True
    return notices


async def _resume_if_stopped(ctx: ServiceContext, who: Who, reply: Reply) -> bool:
    """After /stop, writing again (anything at all) turns messages back on, as /stop said."""
    if who.person is None or not await data_rights.resume_if_stopped(ctx, who.person):
        return False
    reply.add(Notice("stop.resumed"))
    profile = await supporters.profile_of(ctx, who.person)
    if profile is not None:  # a supporter's check-ins stopped with their messages
        await checkins.schedule_next(ctx, who.person, profile, after=ctx.now)
    await followup_schedule.restore_after_stop(ctx, who.person)  # and a participant's
    return True


async def _after(ctx: ServiceContext, who: Who, turn: FlowTurn, reply: Reply) -> Reply:
    """Act on the engine's events, then show its outputs with our notices in place."""
    notices: list[Shown] = []
    follow_up: Reply | None = None
    for event in turn.transition.events:
        if isinstance(event, RedFlag):
            notices += await _red_flag(ctx, who, turn, event)
        elif isinstance(event, ConsentDecided):
            turn.meta.setdefault("consents", {})[event.consent_kind] = [
                event.decision,
                event.prompt_key,
            ]
        elif isinstance(event, Completed | Declined | Cancelled):
            ending = ENDINGS.get(turn.flow.flow, Ending())
            notices += await ending.take(ctx, who, turn, event)
            if isinstance(event, Completed) and ending.then is not None:
                follow_up = await ending.then(ctx, who, Reply(who.locale))
    if turn.conversation in ctx.session:  # unless the ending deleted it (nothing is kept)
        await flows.save(ctx, turn)
    outputs = list(turn.transition.outputs)
    if _pauses(turn):
        outputs = [o for o in outputs if isinstance(o, Chosen | Toggle)]
        notices.append(Notice("redflag.paused"))
    _place(reply, outputs, notices)
    if follow_up is not None:
        reply.add(*follow_up.items)
    return reply


def _pauses(turn: FlowTurn) -> bool:
    """The flow asks to pause its questions after an urgent red flag."""
    return turn.flow.on_red_flag == "pause" and any(
        isinstance(e, RedFlag) and escalations.is_urgent(e.severity)
        for e in turn.transition.events
    )


def _place(reply: Reply, outputs: list[Any], notices: list[Shown]) -> None:
    """Notices go right after the answer is shown, before the next question."""
    shown = 0
    while shown < len(outputs) and isinstance(outputs[shown], Chosen | Toggle):
        shown += 1
    reply.add(*outputs[:shown], *notices, *outputs[shown:])


async def _red_flag(ctx: ServiceContext, who: Who, turn: FlowTurn, flag: RedFlag) -> list[Notice]:
    escalation = await safety.raise_answer_flag(ctx, who, turn.flow.flow, turn.meta, flag)
    if escalation.id not in turn.meta.setdefault("escalations", []):
        turn.meta["escalations"].append(escalation.id)
    answers = turn.transition.state.answers if turn.transition.state else {}
    screened = ctx.screened if ctx.screened is not None else Screened()
    screened.crisis_key = safety.crisis_key(ctx, who, answers)
    screened.add(escalation.id, flag.severity)
    return _crisis_notices(screened)


async def _consented(
    ctx: ServiceContext, who: Who, turn: FlowTurn, answers: dict[str, Answer]
) -> list[Notice]:
    """Participation granted: the person's record starts here (the intake follows)."""
    person = who.person or await enrolment.enroll_participant(
        ctx, who, referral_source=turn.meta.get("referral")
    )
    await consent.record_decisions(
        ctx, person_id=person.id, decisions=turn.meta.get("consents", {}), locale=who.locale
    )
    await conversations.forget_chat(ctx.session, who.chat_id)
    return []


async def _declined(ctx: ServiceContext, who: Who, turn: FlowTurn) -> list[Notice]:
    """Only the refusal is kept, with no link to the person's Telegram account."""
    decision = turn.meta.get("consents", {}).get(ConsentKind.PARTICIPATION)
    if who.person is None and decision is not None:
        anonymous = await enrolment.record_refusal(
            ctx, who, referral_source=turn.meta.get("referral")
        )
        await consent.record(
            ctx,
            person_id=anonymous.id,
            kind=ConsentKind.PARTICIPATION,
            granted=False,
            text_shown=ctx.program.texts.get(decision[1], who.locale),
        )
    await conversations.forget_chat(ctx.session, who.chat_id)
    return [Notice("consent.declined"), Notice("program.contact"), Notice("crisis.resources")]


async def _consent_cancelled(ctx: ServiceContext, who: Who, turn: FlowTurn) -> list[Notice]:
    """Nothing was agreed, so nothing of the conversation is kept."""
    await conversations.forget_chat(ctx.session, who.chat_id)
    return []


async def _screener_stopped(ctx: ServiceContext, who: Who, turn: FlowTurn) -> list[Notice]:
    """/cancel in the screener stops it; what was answered so far is not kept."""
    return [Notice("cssrs.stopped")]


async def _begin_intake(ctx: ServiceContext, who: Who, reply: Reply) -> Reply:
    reply.add(Notice("intake.start"))
    turn = await flows.begin(ctx, who, INTAKE_FLOW)
    return reply.add(*turn.transition.outputs)


async def _intake_confirmed(
    ctx: ServiceContext, who: Who, turn: FlowTurn, answers: dict[str, Answer]
) -> list[Notice]:
    assert who.person is not None, "the intake runs only after consent"
    enrolment.remember_names(ctx, who.person, who)  # as they are now, for an introduction
    request = await intake.record_request(
        ctx,
        who.person,
        turn.flow,
        answers,
        conversation_id=turn.conversation.id,
        escalation_ids=turn.meta.get("escalations", ()),
    )
    if request.status == SupportRequestStatus.HELD:  # a coordinator looks at it first
        return [Notice(holds.HELD_RECEIVED)]
    await proposals.propose(ctx, request)
    return [Notice("intake.received")]


# A finished flow's answers go to one service; so does a refused consent or a /cancel.
# What it returns is shown after the answer (notices, or a menu to choose from).
TakesAnswers = Callable[
    [ServiceContext, Who, FlowTurn, dict[str, Answer]], Awaitable[Sequence[Shown]]
]
Leaves = Callable[[ServiceContext, Who, FlowTurn], Awaitable[list[Notice]]]
Follows = Callable[[ServiceContext, Who, Reply], Awaitable[Reply]]


@dataclass(frozen=True)
class Ending:
    """What the end of a flow does: who takes its answers and what follows it; who takes a
    refused consent (by default: the refusal is kept, anonymously) and a /cancel."""

    completed: TakesAnswers | None = None
    then: Follows | None = None
    declined: Leaves | None = _declined
    cancelled: Leaves | None = None

    async def take(
        self,
        ctx: ServiceContext,
        who: Who,
        turn: FlowTurn,
        ended: Completed | Declined | Cancelled,
    ) -> Sequence[Shown]:
        """Hand the ending to its service; a flow kept as it stands says nothing more."""
        if isinstance(ended, Completed):
            done = self.completed
            return await done(ctx, who, turn, dict(ended.answers)) if done else []
        left = self.declined if isinstance(ended, Declined) else self.cancelled
        return await left(ctx, who, turn) if left else []


# Every flow's ending, in one place; a flow whose end needs no service is listed as Ending().
ENDINGS: dict[str, Ending] = {
    CONSENT_FLOW: Ending(_consented, then=_begin_intake, cancelled=_consent_cancelled),
    INTAKE_FLOW: Ending(_intake_confirmed),
    SUPPORTER_FLOW: Ending(
        supporters.profile_confirmed,
        declined=supporters.not_joined,
        cancelled=supporters.not_joined,
    ),
    CHECKIN_FLOW: Ending(checkins.record_answers),
    "connected": Ending(relationships.connected_answered),
    "feedback": Ending(relationships.feedback_given, then=become_supporter.ask),
    become_supporter.BECOME_SUPPORTER_FLOW: Ending(become_supporter.answered),
    feedback_any.FEEDBACK_ANY_FLOW: Ending(feedback_any.given),
    "followup": Ending(followup.how_answered),
    "satisfaction": Ending(followup.satisfaction_answered),
    "review": Ending(followup.review_answered),
    "contact_note": Ending(contact_notes.recorded),
    "contact_way": Ending(introductions.contact_way_given),
    safety_check.SCREENER_FLOW: Ending(
        safety_check.screener_answered, then=_offer_to_resume, cancelled=_screener_stopped
    ),
}
