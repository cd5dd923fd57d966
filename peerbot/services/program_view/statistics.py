"""Program figures for coordinators and funders: counts and medians only, no names, no text.

A window's figures follow cohorts: requests, escalations and check-ins are those created
(or due) in the window, and their times are measured to whenever the next step happened.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peerbot.dialogs.checkin_policy import CheckinPolicy
from peerbot.dialogs.wellbeing import band_of
from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination.group_delivery import UNDELIVERED
from peerbot.services.matching.match_features import HOLDING_A_PLACE
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
