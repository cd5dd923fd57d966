"""Program figures for coordinators and funders: counts and medians only, no names, no text.

A window's figures follow cohorts: requests, escalations and check-ins are those created
(or due) in the window, and their times are measured to whenever the next step happened.
Survey answers count when given, ended matches when they ended.

Satisfaction (1 to 5) is summed up by its median, not its mean: the scale is ordered, not
measured (a 4 is not twice a 2), and in a small program one unhappy answer would pull a mean
far from what most people said.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.dialogs.checkin_policy import CheckinPolicy
from peerbot.dialogs.wellbeing import band_of
from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination.group_delivery import UNDELIVERED
from peerbot.services.matching.match_features import HOLDING_A_PLACE
from peerbot.services.matching.relationships import FEEDBACK_FLOW
from peerbot.services.participants.consent import evaluation_consenting_ids
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    EscalationStatus,
    MatchStatus,
    OutboxStatus,
    PersonStatus,
    SupporterStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Checkin,
    ContactNote,
    Escalation,
    Match,
    OutboxMessage,
    Person,
    SupporterProfile,
    SupportRequest,
)

# How a request's current status is counted.
REQUEST_GROUPS: dict[SupportRequestStatus, str] = {
    SupportRequestStatus.NEW: "new",
    SupportRequestStatus.HELD: "new",  # waiting for a coordinator's decision
    SupportRequestStatus.MATCHING: "waiting",
    SupportRequestStatus.PROPOSED: "waiting",
    SupportRequestStatus.MATCHED: "matched",
    SupportRequestStatus.CLOSED: "closed",
    SupportRequestStatus.WITHDRAWN: "closed",
}
# A match that was accepted: it may have ended since.
WAS_ACCEPTED = (MatchStatus.ACCEPTED, MatchStatus.ENDED)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
#: A participant's answers to "how is it going with your supporter?" (answers["how"]).
FOLLOWUP_ANSWERS = ("fine", "not_well", "change", "coordinator")
#: A participant's answers when the planned length of support is reached (answers["review"]).
REVIEW_ANSWERS = ("continue", "end")
MISSED = "missed"  # a participant check-in that went unanswered
#: How a request with no referral source (no link, or a plain /start) is counted.
DIRECT = "direct"
#: How an ended match with no end reason recorded is counted.
NO_REASON = "unrecorded"
SURVEY_SATISFACTION = "satisfaction"  # the feedback survey's 1-5 question


@dataclass(frozen=True)
class WindowStats:
    """What happened in one window of time, [start, end)."""

    start: datetime
    end: datetime
    requests_new: int
    requests_waiting: int
    requests_matched: int
    requests_closed: int
    median_hours_to_match: float | None  # request created -> first match approved
    median_hours_to_first_contact: float | None  # match accepted -> first contact note
    checkins_due: int  # supporters' well-being check-ins due in the window
    checkins_answered: int
    who5_good: int
    who5_low: int
    who5_very_low: int
    escalations: dict[tuple[str, str], int]  # (category, severity) -> raised in the window
    median_minutes_to_claim: float | None
    matches_approved: int  # approved in the window, for the weekly chart
    # escalation cards Telegram refused in the coordinators' group (sent privately instead)
    cards_undelivered: int = 0
    # participants' satisfaction (1-5) two weeks into a match: check-ins due in the window
    satisfaction_checkins: int = 0  # answered with a score
    median_satisfaction_checkin: float | None = None
    # the end-of-support survey's satisfaction (1-5), answered in the window
    survey_satisfaction_answers: int = 0
    median_survey_satisfaction: float | None = None
    # participants' "how is it going?" check-ins due in the window, by answer, and missed
    followups_fine: int = 0
    followups_not_well: int = 0
    followups_change: int = 0
    followups_coordinator: int = 0
    followups_missed: int = 0
    # reviews at the planned length of support, due in the window, by answer
    reviews_continue: int = 0
    reviews_end: int = 0
    # requests made in the window by referral source (none: "direct")
    referrals: dict[str, int] = field(default_factory=dict)
    # matches ended in the window by end reason (as stored; none: "unrecorded")
    end_reasons: dict[str, int] = field(default_factory=dict)
    # of the requests made in the window, those whose participant was reached since, and the
    # median hours from the request to the first contact note that reached them
    requests_reached: int = 0
    median_hours_to_reach: float | None = None

    @property
    def requests(self) -> int:
        return (
            self.requests_new
            + self.requests_waiting
            + self.requests_matched
            + self.requests_closed
        )

    @property
    def escalations_total(self) -> int:
        return sum(self.escalations.values())

    @property
    def followups_answered(self) -> int:
        return (
            self.followups_fine
            + self.followups_not_well
            + self.followups_change
            + self.followups_coordinator
        )

    @property
    def checkin_completion_rate(self) -> float | None:
        """Answered check-ins as a share (0..1) of those due; None when none were due."""
        return self.checkins_answered / self.checkins_due if self.checkins_due else None


@dataclass(frozen=True)
class CurrentStats:
    """How the program stands right now."""

    active_matches: int
    supporters_active: int
    supporters_on_break: int
    supporters_at_capacity: int
    escalations_unclaimed: int
    outbox_failed: int


@dataclass(frozen=True)
class ProgramStats:
    """The /stats figures: one WindowStats per window (7 and 30 days) and the current state."""

    now: datetime
    windows: tuple[WindowStats, ...]
    current: CurrentStats


async def program_stats(ctx: ServiceContext, *, windows: Sequence[int] = (7, 30)) -> ProgramStats:
    """The figures of the last ``windows`` days each, ending now, and the current state."""
    now = ctx.now
    figures = []
    for days in windows:
        figures.append(await window_stats(ctx, start=now - timedelta(days=days), end=now))
    return ProgramStats(now, tuple(figures), await current_stats(ctx))


async def window_stats(
    ctx: ServiceContext, *, start: datetime, end: datetime, evaluation_only: bool = False
) -> WindowStats:
    """Count what started in [start, end); ``evaluation_only``: only people who consented to
    evaluation use count (the participant for requests, matches and contacts; the person an
    escalation or check-in is about). Check-ins are scored by the program's policy."""
    session, policy = ctx.session, ctx.program.policy.checkins
    counted = _Counted(evaluation_only)
    requests = await _requests_by_group(session, start, end, counted)
    due, answered, bands = await _checkins(session, start, end, policy, counted)
    escalations, claim_minutes = await _escalations(session, start, end, counted)
    checkin_scores = await _satisfaction_checkins(session, start, end, counted)
    survey_scores = await _survey_satisfaction(session, start, end, counted)
    followups = await _answered(
        session, CheckinKind.PARTICIPANT_FOLLOWUP, "how", start, end, counted
    )
    reviews = await _answered(session, CheckinKind.REVIEW, "review", start, end, counted)
    reach_hours = await _hours_to_reach(session, start, end, counted)
    return WindowStats(
        start=start,
        end=end,
        requests_new=requests.get("new", 0),
        requests_waiting=requests.get("waiting", 0),
        requests_matched=requests.get("matched", 0),
        requests_closed=requests.get("closed", 0),
        median_hours_to_match=await _median_hours_to_match(session, start, end, counted),
        median_hours_to_first_contact=await _median_hours_to_contact(session, start, end, counted),
        checkins_due=due,
        checkins_answered=answered,
        who5_good=bands.get("good", 0),
        who5_low=bands.get("low", 0),
        who5_very_low=bands.get("very_low", 0),
        escalations=escalations,
        median_minutes_to_claim=_median(claim_minutes),
        matches_approved=await _matches_approved(session, start, end, counted),
        cards_undelivered=await _cards_undelivered(session, start, end),
        satisfaction_checkins=len(checkin_scores),
        median_satisfaction_checkin=_median(checkin_scores),
        survey_satisfaction_answers=len(survey_scores),
        median_survey_satisfaction=_median(survey_scores),
        followups_fine=followups.get("fine", 0),
        followups_not_well=followups.get("not_well", 0),
        followups_change=followups.get("change", 0),
        followups_coordinator=followups.get("coordinator", 0),
        followups_missed=followups.get(MISSED, 0),
        reviews_continue=reviews.get("continue", 0),
        reviews_end=reviews.get("end", 0),
        referrals=await _referrals(session, start, end, counted),
        end_reasons=await _end_reasons(session, start, end, counted),
        requests_reached=len(reach_hours),
        median_hours_to_reach=_median(reach_hours),
    )


async def current_stats(ctx: ServiceContext) -> CurrentStats:
    """Matches, supporters, escalations and messages as they stand (the rows hold the state)."""
    session = ctx.session
    supporters = await _supporters(session)
    return CurrentStats(
        active_matches=await _count(
            session, select(func.count()).where(Match.status == MatchStatus.ACCEPTED)
        ),
        supporters_active=supporters.get("active", 0),
        supporters_on_break=supporters.get("on_break", 0),
        supporters_at_capacity=supporters.get("at_capacity", 0),
        escalations_unclaimed=await _count(
            session, select(func.count()).where(Escalation.status == EscalationStatus.OPEN)
        ),
        outbox_failed=await _count(
            session,
            select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED.value),
        ),
    )


async def _supporters(session: AsyncSession) -> dict[str, int]:
    """Supporters who have not left: active (and of those, at capacity) or on a break.

    At capacity: the matches holding a place (as matching counts them) fill their capacity.
    """
    holding = (
        select(Match.supporter_id, func.count().label("held"))
        .where(Match.status.in_(HOLDING_A_PLACE), Match.supporter_id.is_not(None))
        .group_by(Match.supporter_id)
        .subquery()
    )
    rows = await session.execute(
        select(SupporterProfile.status, SupporterProfile.capacity, holding.c.held, Person.status)
        .join(Person, Person.id == SupporterProfile.person_id)
        .outerjoin(holding, holding.c.supporter_id == SupporterProfile.person_id)
        .where(Person.status != PersonStatus.ERASED)
    )
    counts = {"active": 0, "on_break": 0, "at_capacity": 0}
    for status, capacity, held, person_status in rows.all():
        if status == SupporterStatus.ON_BREAK:
            counts["on_break"] += 1
        elif status == SupporterStatus.ACTIVE and person_status == PersonStatus.ACTIVE:
            counts["active"] += 1
            counts["at_capacity"] += (held or 0) >= capacity
    return counts


@dataclass(frozen=True)
class _Counted:
    """Who counts: everyone, or only people whose newest evaluation consent is granted."""

    evaluation_only: bool

    def where(self, person_id: Any) -> list[ColumnElement[bool]]:
        return [person_id.in_(evaluation_consenting_ids())] if self.evaluation_only else []


def _in(column: Any, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [column >= start, column < end]


async def _requests_by_group(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> dict[str, int]:
    rows = await session.execute(
        select(SupportRequest.status, func.count())
        .where(*_in(SupportRequest.created_at, start, end))
        .where(*counted.where(SupportRequest.person_id))
        .group_by(SupportRequest.status)
    )
    groups: dict[str, int] = {}
    for status, count in rows.all():
        group = REQUEST_GROUPS[SupportRequestStatus(status)]
        groups[group] = groups.get(group, 0) + count
    return groups


async def _median_hours_to_match(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> float | None:
    """Of the requests created in the window, those matched since: created -> first approval."""
    first = (
        select(Match.support_request_id, func.min(Match.approved_at).label("approved_at"))
        .where(Match.approved_at.is_not(None))
        .group_by(Match.support_request_id)
        .subquery()
    )
    rows = await session.execute(
        select(SupportRequest.created_at, first.c.approved_at)
        .join(first, first.c.support_request_id == SupportRequest.id)
        .where(*_in(SupportRequest.created_at, start, end))
        .where(*counted.where(SupportRequest.person_id))
    )
    return _median((approved - created) / HOUR for created, approved in rows.all())


async def _median_hours_to_contact(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> float | None:
    """Of the matches accepted in the window, those with a contact note: accepted -> first.
    An attempt that did not reach the participant is no contact."""
    first = (
        select(ContactNote.match_id, func.min(ContactNote.contact_at).label("contact_at"))
        .where(ContactNote.reached)
        .group_by(ContactNote.match_id)
        .subquery()
    )
    rows = await session.execute(
        select(Match.decided_at, first.c.contact_at)
        .join(first, first.c.match_id == Match.id)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .where(Match.status.in_(WAS_ACCEPTED), *_in(Match.decided_at, start, end))
        .where(*counted.where(SupportRequest.person_id))
    )
    return _median((contact - accepted) / HOUR for accepted, contact in rows.all())


async def _matches_approved(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Match)
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .where(*_in(Match.approved_at, start, end))
        .where(*counted.where(SupportRequest.person_id))
    )
    return count or 0


async def _checkins(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    policy: CheckinPolicy,
    counted: _Counted,
) -> tuple[int, int, dict[str, int]]:
    """Well-being check-ins due in the window (not cancelled), how many were answered, and
    the answered ones' WHO-5 bands."""
    rows = await session.execute(
        select(Checkin.status, Checkin.score)
        .where(
            Checkin.kind == CheckinKind.SUPPORTER_WELLBEING,
            Checkin.status != CheckinStatus.CANCELLED,
            *_in(Checkin.due_at, start, end),
        )
        .where(*counted.where(Checkin.person_id))
    )
    due = answered = 0
    bands: dict[str, int] = {}
    for status, score in rows.all():
        due += 1
        if status != CheckinStatus.ANSWERED:
            continue
        answered += 1
        if score is not None:
            band = band_of(int(score), policy=policy)
            bands[band] = bands.get(band, 0) + 1
    return due, answered, bands


async def _escalations(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> tuple[dict[tuple[str, str], int], list[float]]:
    """Escalations raised in the window by (category, severity), and minutes to each claim."""
    rows = await session.execute(
        select(
            Escalation.category, Escalation.severity, Escalation.created_at, Escalation.claimed_at
        )
        .where(*_in(Escalation.created_at, start, end))
        .where(*counted.where(Escalation.person_id))
    )
    by_kind: dict[tuple[str, str], int] = {}
    claims: list[float] = []
    for category, severity, created, claimed in rows.all():
        key = (str(category), str(severity))
        by_kind[key] = by_kind.get(key, 0) + 1
        if claimed is not None:
            claims.append((claimed - created) / MINUTE)
    return by_kind, claims


async def _satisfaction_checkins(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> list[float]:
    """The scores (1-5) of the satisfaction check-ins due in the window and answered."""
    scores = await session.scalars(
        select(Checkin.score).where(
            Checkin.kind == CheckinKind.SATISFACTION,
            Checkin.status == CheckinStatus.ANSWERED,
            Checkin.score.is_not(None),
            *_in(Checkin.due_at, start, end),
            *counted.where(Checkin.person_id),
        )
    )
    return [float(score) for score in scores if score is not None]


async def _survey_satisfaction(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> list[float]:
    """The end-of-support survey's satisfaction (1-5) answered in the window: one per request,
    its newest answer (as the feedback export counts it)."""
    rows = await session.execute(
        select(Answer.support_request_id, Answer.value)
        .where(
            Answer.flow == FEEDBACK_FLOW,
            Answer.question == SURVEY_SATISFACTION,
            *_in(Answer.answered_at, start, end),
            *counted.where(Answer.person_id),
        )
        .order_by(Answer.id)
    )
    newest: dict[object, float] = {}
    for request_id, value in rows.all():
        score = _score(value)
        if score is not None:
            newest[request_id if request_id is not None else object()] = score
    return list(newest.values())


def _score(value: object) -> float | None:
    """A stored scale answer as a number; anything else (a skipped question) as None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


async def _answered(
    session: AsyncSession,
    kind: CheckinKind,
    question: str,
    start: datetime,
    end: datetime,
    counted: _Counted,
) -> dict[str, int]:
    """A participant check-in kind due in the window: answered ones by their answer to
    ``question``, and the missed ones under "missed"."""
    rows = await session.execute(
        select(Checkin.status, Checkin.answers).where(
            Checkin.kind == kind,
            Checkin.status.in_((CheckinStatus.ANSWERED, CheckinStatus.MISSED)),
            *_in(Checkin.due_at, start, end),
            *counted.where(Checkin.person_id),
        )
    )
    counts: dict[str, int] = {}
    for status, answers in rows.all():
        if status == CheckinStatus.MISSED:
            said: object = MISSED
        else:
            said = answers.get(question) if isinstance(answers, dict) else None
        if said is not None:
            counts[str(said)] = counts.get(str(said), 0) + 1
    return counts


async def _referrals(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> dict[str, int]:
    """Requests made in the window by where the participant came from."""
    rows = await session.execute(
        select(SupportRequest.referral_source, func.count())
        .where(*_in(SupportRequest.created_at, start, end))
        .where(*counted.where(SupportRequest.person_id))
        .group_by(SupportRequest.referral_source)
    )
    sources: dict[str, int] = {}
    for source, count in rows.all():
        key = source or DIRECT
        sources[key] = sources.get(key, 0) + count
    return sources


async def _end_reasons(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> dict[str, int]:
    """Matches that ended in the window, by the reason stored with them."""
    rows = await session.execute(
        select(Match.end_reason, func.count())
        .join(SupportRequest, SupportRequest.id == Match.support_request_id)
        .where(Match.status == MatchStatus.ENDED, *_in(Match.ended_at, start, end))
        .where(*counted.where(SupportRequest.person_id))
        .group_by(Match.end_reason)
    )
    reasons: dict[str, int] = {}
    for reason, count in rows.all():
        key = reason or NO_REASON
        reasons[key] = reasons.get(key, 0) + count
    return reasons


async def _hours_to_reach(
    session: AsyncSession, start: datetime, end: datetime, counted: _Counted
) -> list[float]:
    """Of the requests made in the window, those whose participant a supporter has reached:
    hours from the request to the first contact note saying so (on any of its matches)."""
    rows = await session.execute(
        select(SupportRequest.created_at, func.min(ContactNote.contact_at))
        .join(Match, Match.support_request_id == SupportRequest.id)
        .join(ContactNote, ContactNote.match_id == Match.id)
        .where(ContactNote.reached, *_in(SupportRequest.created_at, start, end))
        .where(*counted.where(SupportRequest.person_id))
        .group_by(SupportRequest.id, SupportRequest.created_at)
    )
    return [(reached - created) / HOUR for created, reached in rows.all()]


async def _cards_undelivered(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Escalation cards the group could not take in the window (each went out privately)."""
    return await _count(
        session,
        select(func.count()).where(
            AuditEvent.action == UNDELIVERED, *_in(AuditEvent.at, start, end)
        ),
    )


async def _count(session: AsyncSession, statement: Select[int]) -> int:
    return await session.scalar(statement) or 0


def _median(values: Iterable[float]) -> float | None:
    found = list(values)
    return float(statistics.median(found)) if found else None
