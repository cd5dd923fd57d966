"""Peer supporters' well-being check-ins: scheduled in their time zone, sent once, scored.

The schedule is the checkins table. A pass sends what is due (unless the supporter is in the
middle of another conversation, or it is night where they are), counts unanswered prompts as
missed, and raises a coordinator's attention for worrying answers or missed check-ins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from peerbot.dialogs.checkin_policy import CheckinPolicy
from peerbot.dialogs.checkin_schedule import next_checkin_at, outside_quiet_hours
from peerbot.dialogs.wellbeing import WHO5_ITEMS, WellbeingScore, band_of, score
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.shown import Notice, Outgoing, Reply
from peerbot.services.escalations import escalations
from peerbot.services.participants import followup_schedule
from peerbot.storage import checkins as checkin_rows
from peerbot.storage import conversations
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    ConversationStatus,
    PersonStatus,
    SupporterStatus,
)
from peerbot.storage.models import Answer, Checkin, Conversation, Person, SupporterProfile

CHECKIN_FLOW = "checkin"
# The conversation each kind of scheduled prompt opens.
FLOW_OF_KIND = {
    CheckinKind.SUPPORTER_WELLBEING: CHECKIN_FLOW,
    CheckinKind.MATCH_FOLLOWUP: "connected",
    CheckinKind.FEEDBACK: "feedback",
    **followup_schedule.FLOWS,
}
BATCH_SIZE = 100
LOOK_AGAIN_AFTER = timedelta(minutes=1)  # the supporter is busy in another conversation
CLAIM_LEASE = timedelta(minutes=5)  # a pass that dies mid-way gives its rows back after this
SCORED_ITEMS = (*WHO5_ITEMS, "burnout", "memories", "contact")


@dataclass
class PassReport:
    """What one scheduling pass did."""

    sent: int = 0
    waiting: int = 0
    cancelled: int = 0
    missed: int = 0
    escalated: int = 0
    outgoing: list[Outgoing] = field(default_factory=list)

    def add(self, other: PassReport) -> None:
        """Count another batch's work in this report."""
        self.sent += other.sent
        self.waiting += other.waiting
        self.cancelled += other.cancelled
        self.missed += other.missed
        self.escalated += other.escalated
        self.outgoing += other.outgoing


def policy_of(ctx: ServiceContext) -> CheckinPolicy:
    return ctx.program.policy.checkins


async def schedule_next(
    ctx: ServiceContext, person: Person, profile: SupporterProfile, *, after: datetime
) -> datetime | None:
    """Replace the supporter's scheduled check-in with the next one after `after`.

    None when they are on a break or have left: nothing is scheduled then.
    """
    await checkin_rows.cancel_scheduled(ctx.session, person.id)
    if profile.status != SupporterStatus.ACTIVE or person.status != PersonStatus.ACTIVE:
        profile.next_checkin_at = None
        return None
    policy = policy_of(ctx)
    due = next_checkin_at(
        weekday=profile.checkin_weekday,
        at_time=profile.checkin_time,
        time_zone=person.time_zone,
        after=after,
        every_weeks=policy.every_weeks,
        quiet=policy.quiet_hours,
    )
    ctx.session.add(
        Checkin(
            person_id=person.id,
            kind=checkin_rows.WELLBEING,
            due_at=due,
            status=CheckinStatus.SCHEDULED,
        )
    )
    profile.next_checkin_at = due
    await ctx.session.flush()
    return due


async def due_ids(ctx: ServiceContext, limit: int) -> Sequence[int]:
    return await checkin_rows.due_ids(ctx.session, now=ctx.now, limit=limit)


async def send_due(ctx: ServiceContext, checkin_ids: Sequence[int], report: PassReport) -> None:
    """Send a batch of due check-ins (or hold some back), in the caller's transaction.

    A batch shares its reads (the supporters, who is busy) and its commit: when every
    supporter's check-in falls due at once, preparing the prompts must keep ahead of
    Telegram's 30 messages a second.
    """
    rows = await checkin_rows.claim_many(
        ctx.session, checkin_ids, now=ctx.now, until=ctx.now + CLAIM_LEASE
    )
    people = await _supporters(ctx, {row.person_id for row in rows})
    chats = [p.telegram_user_id for p in people.values() if p.telegram_user_id is not None]
    busy = await conversations.active_chats(ctx.session, chats)
    for row in rows:
        await _send_claimed(ctx, row, people.get(row.person_id), busy, report)


async def _send_claimed(
    ctx: ServiceContext, row: Checkin, person: Person | None, busy: set[int], report: PassReport
) -> None:
    """One claimed check-in: cancelled, held back, or sent and the next one scheduled.

    The row is held by this transaction (see claim_many), so it is changed directly.
    """
    profile = person.supporter_profile if person is not None else None
    wellbeing = row.kind == checkin_rows.WELLBEING
    if (
        person is None
        or person.telegram_user_id is None
        or person.status != PersonStatus.ACTIVE
        or (wellbeing and (profile is None or profile.status != SupporterStatus.ACTIVE))
    ):
        row.status = CheckinStatus.CANCELLED
        report.cancelled += 1  # on a break, stopped or gone
        return
    if row.kind in followup_schedule.KINDS and not await followup_schedule.still_due(ctx, row):
        row.status = CheckinStatus.CANCELLED
        report.cancelled += 1  # the match ended (however it ended)
        return
    morning = outside_quiet_hours(ctx.now, person.time_zone, policy_of(ctx).quiet_hours)
    if morning > ctx.now:  # delayed into the night: wait for the morning
        row.claimed_until = morning
        report.waiting += 1
        return
    chat_id = person.telegram_user_id
    if chat_id in busy:
        row.claimed_until = ctx.now + LOOK_AGAIN_AFTER  # waits until that conversation ends
        report.waiting += 1
        return
    row.status, row.sent_at, row.claimed_until = CheckinStatus.SENT, ctx.now, None
    busy.add(chat_id)  # a second prompt due for them in this batch waits for this one
    who = Who(person.telegram_user_id, chat_id, person.language, person)
    meta: dict[str, Any] = {"checkin": row.id, "match": row.match_id}
    if wellbeing:
        meta[flows.REMIND_AFTER_HOURS] = policy_of(ctx).remind_after_hours
    elif row.kind in followup_schedule.KINDS:
        meta.update(followup_schedule.prompt_meta(ctx))
        await followup_schedule.sent(ctx, row)
    turn = await flows.begin(ctx, who, FLOW_OF_KIND[row.kind], meta)
    reply = Reply(person.language).add(*turn.transition.outputs)
    report.outgoing.append(Outgoing(chat_id, reply, dedupe_key=f"checkin:{row.id}:sent"))
    report.sent += 1
    if wellbeing and profile is not None:
        await schedule_next(ctx, person, profile, after=row.due_at)


async def unanswered_ids(ctx: ServiceContext, limit: int) -> Sequence[int]:
    sent_before = ctx.now - timedelta(hours=policy_of(ctx).missed_after_hours)
    return await checkin_rows.unanswered_ids(ctx.session, sent_before=sent_before, limit=limit)


async def close_one(ctx: ServiceContext, checkin_id: int, report: PassReport) -> None:
    """Count a prompt unanswered for too long as missed; several in a row tell a coordinator."""
    taken = await checkin_rows.take(
        ctx.session, checkin_id, from_status=CheckinStatus.SENT, to_status=CheckinStatus.MISSED
    )
    row = await ctx.session.get(Checkin, checkin_id, populate_existing=True)
    if not taken or row is None:
        return  # answered meanwhile, or another process counted it
    report.missed += 1
    await _close_conversation(ctx, row)
    if await _missed_streak_reached(ctx, row.person_id, policy_of(ctx).missed_in_row_escalate):
        person, _ = await _supporter(ctx, row.person_id)
        await escalations.raise_flag(
            ctx, person, category="burnout", severity="medium", source="checkin.missed"
        )
        report.escalated += 1


async def _missed_streak_reached(ctx: ServiceContext, person_id: int, streak: int) -> bool:
    """True exactly when this miss makes `streak` in a row (not again on the next ones)."""
    await ctx.session.flush()
    recent = await checkin_rows.recent_finished(ctx.session, person_id, streak + 1)
    missed = [row.status == CheckinStatus.MISSED for row in recent]
    return missed[:streak] == [True] * streak and (len(missed) == streak or not missed[streak])


async def _close_conversation(ctx: ServiceContext, row: Checkin) -> None:
    conversation = await ctx.session.scalar(
        select(Conversation).where(
            Conversation.person_id == row.person_id,
            Conversation.flow == CHECKIN_FLOW,
            Conversation.status == ConversationStatus.ACTIVE,
        )
    )
    if (
        conversation is not None
        and (conversation.state or {}).get("meta", {}).get("checkin") == row.id
    ):
        conversation.status = ConversationStatus.EXPIRED
        conversation.reminder_due_at = conversation.expires_at = None


async def record_answers(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> list[Notice]:
    """Score a finished check-in, keep it, and tell coordinators (privately) if it worries us."""
    assert who.person is not None, "check-ins go to supporters, who have a record"
    row = await ctx.find(Checkin, turn.meta.get("checkin"))
    if row is None or row.person_id != who.person.id:
        return [Notice("checkin.thanks")]  # the schedule changed meanwhile; nothing to score
    previous = await checkin_rows.previous_score(ctx.session, who.person.id, row.id)
    answers = {**answers, "burnout": _whole(answers.get("burnout"))}
    result = score(
        answers,
        previous_percentage=int(previous) if previous is not None else None,
        policy=policy_of(ctx),
    )
    row.status = CheckinStatus.ANSWERED
    row.answered_at = ctx.now
    row.score = result.percentage
    row.answers = _stored_answers(answers, result)
    note = answers.get("note")
    if isinstance(note, str) and note:
        ctx.session.add(
            Answer(
                person_id=who.person.id,
                conversation_id=turn.conversation.id,
                flow=CHECKIN_FLOW,
                question="note",
                value_enc=ctx.cipher.encrypt(note),
                answered_at=ctx.now,
            )
        )
    if result.severity is None:
        return [Notice("checkin.thanks")]
    await escalations.raise_flag(
        ctx,
        who.person,
        category="burnout",
        severity=result.severity,
        source="checkin",
        matched=tuple(concern.reason for concern in result.concerns),
    )
    return [Notice("checkin.thanks.concern")]


def last_band(ctx: ServiceContext, row: Checkin | None) -> str:
    """The band of a supporter's last finished check-in, for the coordinators' list."""
    if row is None:
        return "none"
    if row.status == CheckinStatus.MISSED or row.score is None:
        return "missed"
    return band_of(int(row.score), policy=policy_of(ctx))


def _stored_answers(answers: dict[str, Any], result: WellbeingScore) -> dict[str, Any]:
    """The scored items and the result; never the free text (that is kept encrypted)."""
    kept = {key: answers.get(key) for key in SCORED_ITEMS}
    return {**kept, "raw": result.raw, "band": result.band}


def _whole(value: object) -> int | None:
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


async def _supporters(ctx: ServiceContext, person_ids: set[int]) -> dict[int, Person]:
    """The people, with their supporter profiles loaded, by id."""
    if not person_ids:
        return {}
    found = await ctx.session.scalars(
        select(Person)
        .where(Person.id.in_(person_ids))
        .options(selectinload(Person.supporter_profile))
    )
    return {person.id: person for person in found}


async def _supporter(
    ctx: ServiceContext, person_id: int
) -> tuple[Person | None, SupporterProfile | None]:
    person = await ctx.session.scalar(
        select(Person)
        .where(Person.id == person_id)
        .options(selectinload(Person.supporter_profile))
    )
    return person, person.supporter_profile if person else None
