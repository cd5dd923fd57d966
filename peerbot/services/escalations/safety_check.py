"""A crisis path that stops to listen: after a high or critical red flag the person is asked
"Are you safe right now?", and, if the program turns it on, the C-SSRS screener's questions.

Each answer is recorded on the escalation (an event, audited, never free text), goes to the
coordinators at once (post_to_case), and shows on the escalation's card. "No" and "I'm not
sure" make the escalation critical: an answer that is not a clear yes is treated as a no,
since safety errs on the side of escalating.
"""

from __future__ import annotations

import json

from sqlalchemy import or_, select

from peerbot.dialogs.conditions import Answer as AnswerValue
from peerbot.services.cases import cases, threads
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations.actions import SafetyAnswer
from peerbot.services.conversations.flows import FlowTurn
from peerbot.services.conversations.shown import (
    EditSent,
    Menu,
    MenuButton,
    Notice,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import card, escalations
from peerbot.services.escalations.screening import Screened, is_urgent
from peerbot.storage.enums import (
    CaseStatus,
    EscalationEventKind,
    EscalationSeverity,
    EscalationStatus,
    Role,
)
from peerbot.storage.models import Answer, Case, Escalation, EscalationEvent, OutboxMessage, Person
from peerbot.storage.outbox import Priority

SCREENER_FLOW = "cssrs"
ANSWER_KINDS = card.SAFETY_ANSWERS
NOT_A_CLEAR_YES = ("no", "unsure")  # the escalation becomes critical
# The screener's triage (C-SSRS screen version): its risk level -> the escalation's severity.
RISK_SEVERITY = {"high": EscalationSeverity.CRITICAL, "moderate": EscalationSeverity.HIGH}
SCREENER_QUESTIONS = card.SCREENER_QUESTIONS

RECORDED = "recorded"  # recorded now (or earlier in this same update)
ANSWERED_BEFORE = "answered_before"  # a press on a question already answered
NOT_THEIRS = "not_theirs"  # unknown escalation, or a button not sent to this chat


def check_of(ctx: ServiceContext, chat_id: int, escalation_id: int) -> str:
    """The short keyed digest a safety button carries: the press must come from the chat the
    question was sent to (button data is never trusted; nobody else can make this value)."""
    return ctx.cipher.blind(f"safety:{chat_id}:{escalation_id}")[:12]


def asked_about(screened: Screened) -> int | None:
    """The escalation an update's urgent flags are asked about: the most severe one."""
    urgent = [
        (escalations.severity_rank(severity), escalation_id)
        for escalation_id, severity in zip(
            screened.escalation_ids, screened.severities, strict=True
        )
        if is_urgent(severity)
    ]
    return max(urgent)[1] if urgent else None


def question(ctx: ServiceContext, who: Who, escalation_id: int) -> Menu:
    """ "Are you safe right now?" with Yes / No / I'm not sure."""

    def button(answer: str) -> MenuButton:
        check = check_of(ctx, who.chat_id, escalation_id)
        return MenuButton(SafetyAnswer(escalation_id, answer, check), f"crisis.safe.{answer}")

    return Menu("crisis.are_you_safe", ((button("yes"), button("no")), (button("unsure"),)))


async def answer_of(ctx: ServiceContext, escalation_id: int) -> str | None:
    """The person's recorded answer to "Are you safe right now?", if they gave one."""
    kind = await ctx.session.scalar(
        select(EscalationEvent.kind)
        .where(
            EscalationEvent.escalation_id == escalation_id,
            EscalationEvent.kind.in_(tuple(ANSWER_KINDS.values())),
        )
        .order_by(EscalationEvent.id)
        .limit(1)
    )
    return next((answer for answer, k in ANSWER_KINDS.items() if k == kind), None)


async def record_answer(ctx: ServiceContext, who: Who, pressed: SafetyAnswer) -> str:
    """Record the answer on its escalation and tell the coordinators; say what became of it.

    Called first, in the safety net's own transaction (see safety.raise_first), so nothing
    failing later in the update can lose the answer; a repeated call finds it recorded.
    """
    if pressed.answer not in ANSWER_KINDS or pressed.check != check_of(
        ctx, who.chat_id, pressed.escalation_id
    ):
        return NOT_THEIRS
    escalation = await ctx.session.get(Escalation, pressed.escalation_id, with_for_update=True)
    if escalation is None:
        return NOT_THEIRS
    if await answer_of(ctx, escalation.id) is not None:
        return ANSWERED_BEFORE
    kind = ANSWER_KINDS[pressed.answer]
    await escalations.record_event(
        ctx, escalation, kind, "escalation.safety_answered", details={"answer": pressed.answer}
    )
    if pressed.answer in NOT_A_CLEAR_YES:
        await _more_severe(ctx, escalation, EscalationSeverity.CRITICAL, "safety")
    said = coordinators.text(ctx, f"card.safety.{pressed.answer}")
    await post_to_case(ctx, escalation, said, about=f"safety:{pressed.answer}")
    await edit_card(ctx, escalation)
    return RECORDED


def answer_notices(ctx: ServiceContext, who: Who, answer: str, crisis_key: str) -> list[Notice]:
    """What the person reads after answering: thanks, and for anything but a clear yes the
    crisis resources again; then who will get in touch."""
    notices = [Notice(f"crisis.answered.{answer}")]
    if answer in NOT_A_CLEAR_YES:
        notices.append(Notice(crisis_key))
    notices.append(Notice("crisis.coordinators_will_write"))
    return notices


async def screener_answered(
    ctx: ServiceContext, who: Who, turn: FlowTurn, answers: dict[str, AnswerValue]
) -> list[Notice]:
    """The screener's answers: kept like other answers, shown on the card, and its triage
    makes the escalation more severe where it says so."""
    escalation = await ctx.find(Escalation, turn.meta.get("escalation"))
    given = {q: str(answers[q]) for q in SCREENER_QUESTIONS if answers.get(q) is not None}
    risk = screener_risk(given)
    if who.person is not None:
        for question_id, value in given.items():
            ctx.session.add(
                Answer(
                    person_id=who.person.id,
                    conversation_id=turn.conversation.id,
                    flow=SCREENER_FLOW,
                    question=question_id,
                    value=value,
                    answered_at=ctx.now,
                )
            )
    if escalation is None:
        return [Notice("cssrs.thanks")]
    record = json.dumps({"answers": given, "risk": risk})
    screened = EscalationEventKind.SCREENED
    await escalations.record_event(
        ctx, escalation, screened, "escalation.screened", note=record, details={"risk": risk}
    )
    if risk in RISK_SEVERITY:
        await _more_severe(ctx, escalation, RISK_SEVERITY[risk], "screener")
    await post_to_case(ctx, escalation, card.screener_lines(ctx, given, risk), about="screened")
    await edit_card(ctx, escalation)
    return [Notice("cssrs.thanks")]


def screener_risk(given: dict[str, str]) -> str:
    """The C-SSRS screen version's triage: high (yes to 4 or 5, or to 6 within the past three
    months), moderate (yes to 3, or to 6 longer ago), low (yes to 1 or 2 only), else none.

    Yes to 6 with the "past three months" question skipped counts as recent: in doubt, the
    more urgent reading.
    """

    def yes(question_id: str) -> bool:
        return given.get(question_id) == "yes"

    recent = given.get("q6_recent") != "no"
    if yes("q4") or yes("q5") or (yes("q6") and recent):
        return "high"
    if yes("q3") or yes("q6"):
        return "moderate"
    if yes("q1") or yes("q2"):
        return "low"
    return "none"


async def post_to_case(
    ctx: ServiceContext, escalation: Escalation, said: str, *, about: str
) -> None:
    """Tell the coordinators something new about an escalation's case, headed with its
    pseudonym and severity: in the person's case thread (threads knows where it lives), so
    a reply to it reaches them; where the card went to each coordinator privately (a
    supporter's own distress, or no group), as an answer to that card.

    The one way the crisis path speaks to coordinators.
    """
    subject = await ctx.find(Person, escalation.person_id)
    heading = coordinators.text(
        ctx,
        "card.case_heading",
        case=subject.pseudonym if subject else "—",
        severity=coordinators.text(ctx, f"severity.{await _case_severity(ctx, escalation)}"),
    )
    message = f"{heading}\n{said}"
    key = f"escalation:{escalation.id}:{about}"
    if subject is not None and await _card_in_group(ctx, subject):
        case = await _case_of(ctx, subject, escalation)
        await threads.post(
            ctx,
            case,
            lambda anchor: Text(text=message, reply_to=anchor),
            threads.note_key(case, key),
            priority=Priority.ESCALATION,
        )
        return
    cards = await _cards(ctx, escalation)
    if not cards:  # never posted (set-up mode): posted as the card would have been
        await coordinators.post(
            ctx, Text(text=message), priority=Priority.ESCALATION, dedupe_key=key
        )
        return
    for row in cards:
        await ctx.outbox.post(
            row.chat_id,
            Text(text=message, reply_to=row.telegram_message_id),
            priority=Priority.ESCALATION,
            dedupe_key=f"{key}:{row.chat_id}",
        )


async def _case_severity(ctx: ServiceContext, escalation: Escalation) -> str:
    """The severity the case's header shows: the most severe of this escalation and the
    person's others still open (a "No" after it was resolved raised a new, critical one)."""
    others = await threads.case_severity(ctx, escalation.person_id)
    severities = [escalation.severity.value, *([others] if others else [])]
    return max(severities, key=escalations.severity_rank)


async def _card_in_group(ctx: ServiceContext, subject: Person) -> bool:
    """The person's escalation cards, and so their case, are in the coordinators' group."""
    if ctx.settings.coordinator_chat_id is None:
        return False
    return await card.subject_role(ctx, subject) != Role.SUPPORTER


async def _case_of(ctx: ServiceContext, subject: Person, escalation: Escalation) -> Case:
    """The person's open case; one anchored to the escalation's card if it was closed since."""
    case = await cases.current(ctx, subject.id)
    if case is not None and case.status == CaseStatus.OPEN:
        return case
    raised = f"escalation:{escalation.id}:raised"
    return await cases.open_for(
        ctx, subject, cases.ESCALATION, card_key=raised, escalation_id=escalation.id
    )


async def edit_card(ctx: ServiceContext, escalation: Escalation) -> None:
    """Show the escalation's card as it stands now, wherever it was posted and delivered."""
    subject = await ctx.find(Person, escalation.person_id)
    view = await card.as_it_stands(ctx, escalation, subject)
    for row in await _cards(ctx, escalation):
        if row.telegram_message_id is not None:
            await ctx.outbox.post(
                row.chat_id,
                EditSent(row.telegram_message_id, view),
                priority=Priority.ESCALATION,
            )


async def _cards(ctx: ServiceContext, escalation: Escalation) -> list[OutboxMessage]:
    """The escalation's card as first posted: in the group, or to each coordinator."""
    key = f"escalation:{escalation.id}:raised"
    rows = await ctx.session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.dedupe_key == key, OutboxMessage.dedupe_key.like(f"{key}:%")))
        .order_by(OutboxMessage.id)
    )
    return list(rows)


async def _more_severe(
    ctx: ServiceContext, escalation: Escalation, severity: EscalationSeverity, why: str
) -> None:
    """Raise the severity; a case already resolved is raised again as a new escalation, so
    that someone claims it."""
    if escalation.status != EscalationStatus.RESOLVED:
        await escalations.raise_severity(ctx, escalation, severity)
        return
    if escalations.severity_rank(severity) <= escalations.severity_rank(escalation.severity):
        return
    await escalations.raise_flag(
        ctx,
        await ctx.find(Person, escalation.person_id),
        category=escalation.category.value,
        severity=severity.value,
        source=f"{why}.after_resolved",
        cause_key=f"{why}:{escalation.id}:{severity.value}",
    )
