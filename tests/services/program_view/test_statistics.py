"""Program statistics on a database seeded by hand; every expected figure is worked out here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.emulator.tg_html import parse_html
from peerbot.program import ProgramData, load_program
from peerbot.services.program_view import stats_text
from peerbot.services.program_view.statistics import (
    CurrentStats,
    WindowStats,
    current_stats,
    program_stats,
    window_stats,
)
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    ConsentKind,
    EscalationCategory,
    EscalationSeverity,
    EscalationStatus,
    MatchStatus,
    OutboxStatus,
    PersonStatus,
    SupporterStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Checkin,
    Escalation,
    OutboxMessage,
    Person,
    SupporterProfile,
)
from tests.support import rows as build
from tests.support.supporter_steps import context

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
WEEK = (NOW - 7 * DAY, NOW)
MONTH = (NOW - 30 * DAY, NOW)
CIPHER = FieldCipher(FieldCipher.generate_key())

Sessions = async_sessionmaker[AsyncSession]


async def _supporter(
    session: AsyncSession,
    name: str,
    *,
    capacity: int,
    status: SupporterStatus = SupporterStatus.ACTIVE,
    person_status: PersonStatus = PersonStatus.ACTIVE,
) -> Person:
    person = await build.add_person(session, CIPHER, name)
    person.status = person_status
    session.add(SupporterProfile(person_id=person.id, capacity=capacity, status=status))
    await session.flush()
    return person


async def seed(sessions: Sessions) -> None:
    """Participants P1..P6, supporters S1..S7, and what happened to them (times from NOW)."""
    async with sessions() as session, session.begin():
        p = {
            f"P{n}": await build.add_person(session, CIPHER, f"Participant {n}")
            for n in range(1, 7)
        }
        s = {
            "S1": await _supporter(session, "Supporter 1", capacity=2),
            "S2": await _supporter(session, "Supporter 2", capacity=1),
            "S3": await _supporter(
                session, "Supporter 3", capacity=2, status=SupporterStatus.ON_BREAK
            ),
            "S4": await _supporter(session, "Supporter 4", capacity=2),
            "S5": await _supporter(
                session, "Supporter 5", capacity=2, person_status=PersonStatus.ERASED
            ),
            "S6": await _supporter(
                session, "Supporter 6", capacity=2, person_status=PersonStatus.STOPPED
            ),
            "S7": await _supporter(
                session, "Supporter 7", capacity=2, status=SupporterStatus.INACTIVE
            ),
        }
        # Evaluation consent: P1, P5 and S1 count; P2 withdrew, P3 declined later, P6 declined.
        at = NOW - 60 * DAY
        for name in ("P1", "P2", "P3", "P5", "S1"):
            consent = await build.add_consent(session, (p | s)[name], now=at)
            if name == "P2":
                consent.withdrawn_at = at + DAY
        await build.add_consent(session, p["P3"], granted=False, now=at + DAY)
        await build.add_consent(session, p["P6"], granted=False, now=at)
        await build.add_consent(session, p["P4"], kind=ConsentKind.PARTICIPATION, now=at)

        async def request(who: str, created: datetime, status: SupportRequestStatus):
            return await build.add_request(
                session, p[who], created_at=created, updated_at=created, status=status
            )

        async def match(req, supporter, status, approved=None, decided=None):
            return await build.add_match(
                session,
                req,
                s[supporter],
                status=status,
                proposed_at=req.created_at,
                approved_at=approved,
                decided_at=decided,
            )

        # R1: matched 6 h after the request; accepted 4 h later; first contact 20 h after that.
        r1 = await request("P1", NOW - 2 * DAY, SupportRequestStatus.MATCHED)
        m1 = await match(
            r1, "S1", MatchStatus.ACCEPTED, r1.created_at + 6 * HOUR, NOW - 2 * DAY + 10 * HOUR
        )
        await build.add_note(
            session, CIPHER, m1, s["S1"], None, contact_at=m1.decided_at + 30 * HOUR
        )
        await build.add_note(
            session, CIPHER, m1, s["S1"], None, contact_at=m1.decided_at + 20 * HOUR
        )
        # R2: offered to S2 12 h after the request, not answered yet.
        r2 = await request("P2", NOW - 3 * DAY, SupportRequestStatus.PROPOSED)
        await match(r2, "S2", MatchStatus.OFFERED, r2.created_at + 12 * HOUR)
        # R3: new. R7: waiting for a match.
        await request("P3", NOW - 5 * DAY, SupportRequestStatus.NEW)
        await request("P1", NOW - DAY, SupportRequestStatus.MATCHING)
        # R4 (30 days only): matched after 30 h, accepted 2 h later, contact 4 h later, ended.
        r4 = await request("P4", NOW - 10 * DAY, SupportRequestStatus.CLOSED)
        approved = r4.created_at + 30 * HOUR
        m4 = await match(r4, "S1", MatchStatus.ENDED, approved, approved + 2 * HOUR)
        await build.add_note(session, CIPHER, m4, s["S1"], None, contact_at=approved + 6 * HOUR)
        # R5 (30 days only): withdrawn.
        await request("P5", NOW - 20 * DAY, SupportRequestStatus.WITHDRAWN)
        # R8: S2 declined (approved after 4 h), S3 accepted (approved after 8 h, contact 1 h on).
        r8 = await request("P5", NOW - 6 * DAY, SupportRequestStatus.MATCHED)
        start = r8.created_at
        await match(r8, "S2", MatchStatus.DECLINED, start + 4 * HOUR, start + 5 * HOUR)
        m8 = await match(r8, "S3", MatchStatus.ACCEPTED, start + 8 * HOUR, start + 9 * HOUR)
        await build.add_note(session, CIPHER, m8, s["S3"], None, contact_at=start + 10 * HOUR)
        # ...after an attempt that did not reach them, which is no contact (0.5 h would count)
        await build.add_note(
            session, CIPHER, m8, s["S3"], None, contact_at=start + 9.5 * HOUR, reached=False
        )
        # Before both windows: an active match of S3's, and S4's places held by an approved
        # and an offered match (a proposed one holds none).
        r6 = await request("P6", NOW - 40 * DAY, SupportRequestStatus.MATCHED)
        m6 = await match(r6, "S3", MatchStatus.ACCEPTED, NOW - 39 * DAY, NOW - 38 * DAY)
        await build.add_note(session, CIPHER, m6, s["S3"], None, contact_at=NOW - 37 * DAY)
        for status in (MatchStatus.APPROVED, MatchStatus.OFFERED, MatchStatus.PROPOSED):
            old = await request("P6", NOW - 45 * DAY, SupportRequestStatus.PROPOSED)
            approved_at = None if status == MatchStatus.PROPOSED else NOW - 44 * DAY
            await match(old, "S4", status, approved_at)

        def checkin(who, due, status, score=None, kind=CheckinKind.SUPPORTER_WELLBEING):
            return Checkin(
                person_id=s[who].id, kind=kind, due_at=NOW - due, status=status, score=score
            )

        answered = CheckinStatus.ANSWERED
        session.add_all(
            [
                checkin("S1", DAY, answered, 80.0),  # good
                checkin("S1", 8 * DAY, answered, 48.0),  # low (30 days)
                checkin("S2", 2 * DAY, answered, 28.0),  # very low (at the threshold)
                checkin("S2", 9 * DAY, CheckinStatus.MISSED),  # 30 days
                checkin("S3", 3 * DAY, CheckinStatus.SENT),  # due, not answered
                checkin("S3", 4 * DAY, CheckinStatus.CANCELLED),  # not counted
                checkin("S3", -2 * DAY, CheckinStatus.SCHEDULED),  # not due yet
                checkin("S1", 2 * DAY, answered, kind=CheckinKind.MATCH_FOLLOWUP),  # not counted
                checkin("S2", 12 * DAY, answered, 52.0),  # good (at the threshold), 30 days
            ]
        )

        def escalation(who, category, severity, ago, claim_minutes=None, status=None):
            created = NOW - ago
            claimed = None if claim_minutes is None else created + claim_minutes * MINUTE
            return Escalation(
                person_id=(p | s)[who].id,
                category=category,
                severity=severity,
                status=status
                or (EscalationStatus.OPEN if claimed is None else EscalationStatus.RESOLVED),
                source="test",
                created_at=created,
                claimed_at=claimed,
            )

        suicide, self_harm = EscalationCategory.SUICIDE, EscalationCategory.SELF_HARM
        critical, high = EscalationSeverity.CRITICAL, EscalationSeverity.HIGH
        session.add_all(
            [
                escalation("P1", suicide, critical, HOUR),  # open
                escalation("P3", self_harm, high, 2 * DAY, 10, EscalationStatus.CLAIMED),
                escalation("P4", suicide, critical, 5 * DAY, 4),
                escalation(
                    "S2", EscalationCategory.BURNOUT, EscalationSeverity.MEDIUM, 15 * DAY, 60
                ),
                escalation("P5", self_harm, high, 20 * DAY, 2),
                escalation("P6", EscalationCategory.ABUSE, high, 50 * DAY),  # open, old
            ]
        )
        for status in ("failed", "failed", "sent", "pending"):
            session.add(
                OutboxMessage(chat_id=-100, payload={"text": "x"}, status=OutboxStatus(status))
            )


async def figures(
    sessions: Sessions, window: tuple[datetime, datetime], **options: bool
) -> WindowStats:
    """The window's figures; the built-in check-in policy scores WHO-5 very low at or below
    28 %, low below 52 %."""
    async with sessions() as session:
        start, end = window
        return await window_stats(context(session, NOW), start=start, end=end, **options)


@pytest.fixture
async def sessions(session_factory: Sessions) -> Sessions:
    await seed(session_factory)
    return session_factory


async def test_the_last_seven_days(sessions: Sessions) -> None:
    week = await figures(sessions, WEEK)
    # R3 new; R2 and R7 waiting; R1 and R8 matched; R4 and R5 are older
    assert (week.requests_new, week.requests_waiting) == (1, 2)
    assert (week.requests_matched, week.requests_closed) == (2, 0)
    # R1 6 h, R2 12 h, R8 4 h (its first approval, though declined) -> 6
    assert week.median_hours_to_match == 6.0
    # M1 20 h (its first of two notes), M8 1 h -> 10.5
    assert week.median_hours_to_first_contact == 10.5
    # M1, M2 and both of R8's
    assert week.matches_approved == 4
    # due: S1 1 day ago, S2 2 days ago, S3 3 days ago (sent, unanswered)
    assert (week.checkins_due, week.checkins_answered) == (3, 2)
    assert week.checkin_completion_rate == pytest.approx(2 / 3)
    assert (week.who5_good, week.who5_low, week.who5_very_low) == (1, 0, 1)
    assert week.escalations == {("suicide", "critical"): 2, ("self_harm", "high"): 1}
    # claimed after 10 and 4 minutes; the open one has no time
    assert week.median_minutes_to_claim == 7.0
    assert (week.start, week.end) == WEEK


async def test_the_last_thirty_days(sessions: Sessions) -> None:
    month = await figures(sessions, MONTH)
    assert (month.requests_new, month.requests_waiting) == (1, 2)
    assert (month.requests_matched, month.requests_closed) == (2, 2)
    # 4, 6, 12 and R4's 30 h -> 9
    assert month.median_hours_to_match == 9.0
    # 20, 1 and M4's 4 h (ended since) -> 4
    assert month.median_hours_to_first_contact == 4.0
    assert month.matches_approved == 5
    # six due (the cancelled, future and follow-up ones do not count), four answered
    assert (month.checkins_due, month.checkins_answered) == (6, 4)
    assert month.checkin_completion_rate == pytest.approx(4 / 6)
    assert (month.who5_good, month.who5_low, month.who5_very_low) == (2, 1, 1)
    assert month.escalations == {
        ("suicide", "critical"): 2,
        ("self_harm", "high"): 2,
        ("burnout", "medium"): 1,
    }
    # 10, 4, 60, 2 -> 7
    assert month.median_minutes_to_claim == 7.0


async def test_only_people_who_consented_to_evaluation(sessions: Sessions) -> None:
    """P1, P5 and S1 count: P2 withdrew, P3 declined after granting, P4 and P6 never agreed."""
    week = await figures(sessions, WEEK, evaluation_only=True)
    # R1 matched, R7 waiting (P1); R8 matched (P5)
    assert (week.requests_new, week.requests_waiting) == (0, 1)
    assert (week.requests_matched, week.requests_closed) == (2, 0)
    assert week.median_hours_to_match == 5.0  # 6 and 4
    assert week.median_hours_to_first_contact == 10.5  # 20 and 1
    assert week.matches_approved == 3  # M1 and R8's two
    assert (week.checkins_due, week.checkins_answered, week.who5_good) == (1, 1, 1)
    assert week.escalations == {("suicide", "critical"): 1}
    assert week.median_minutes_to_claim is None  # P1's is not claimed

    month = await figures(sessions, MONTH, evaluation_only=True)
    assert (month.requests_matched, month.requests_closed) == (2, 1)  # and R5, withdrawn
    assert month.median_hours_to_match == 5.0
    assert (month.checkins_due, month.who5_good, month.who5_low) == (2, 1, 1)
    assert month.escalations == {("suicide", "critical"): 1, ("self_harm", "high"): 1}
    assert month.median_minutes_to_claim == 2.0


async def test_right_now(sessions: Sessions) -> None:
    async with sessions() as session:
        current = await current_stats(context(session, NOW))
    assert current == CurrentStats(
        active_matches=3,  # M1, M8's accepted one, M6
        supporters_active=3,  # S1, S2, S4 (S5 erased, S6 stopped, S7 inactive)
        supporters_on_break=1,  # S3
        supporters_at_capacity=2,  # S2 (1 offered of 1), S4 (approved + offered of 2)
        escalations_unclaimed=2,  # P1's and P6's
        outbox_failed=2,
    )


async def test_an_empty_program_has_no_medians(session_factory: Sessions) -> None:
    week = await figures(session_factory, WEEK)
    assert week.requests == 0 and week.escalations == {}
    assert week.median_hours_to_match is None and week.median_minutes_to_claim is None
    assert week.checkin_completion_rate is None


async def test_the_summary_shows_the_figures_and_no_names(sessions: Sessions) -> None:
    program = load_program()
    async with sessions() as session:
        stats = await program_stats(context(session, NOW))
    assert [w.start for w in stats.windows] == [WEEK[0], MONTH[0]]
    for locale in program.texts.locales:
        text = stats_text.stats_summary(_lookup(program, locale), stats)
        plain, entities = parse_html(text)  # Telegram would accept it as HTML
        assert entities and len(plain) < 1500
    english = parse_html(stats_text.stats_summary(_lookup(program, "en"), stats))[0]
    assert "new: 1 · 1" in english
    assert "closed: 0 · 2" in english
    assert "median time to a match: 6 h · 9 h" in english
    assert "answered: 2/3 (67%) · 4/6 (67%)" in english
    assert "WHO-5 good / low / very low: 1/0/1 · 2/1/1" in english
    assert "thoughts of suicide, CRITICAL: 2 · 2" in english
    assert "median time to claim: 7 min · 7 min" in english
    assert "supporters active / on a break / at capacity: 3 / 1 / 2" in english
    assert "Participant" not in english and "Supporter 1" not in english


def _lookup(program: ProgramData, locale: str) -> stats_text.TextsLookup:
    def lookup(key: str, **values: object) -> str:
        return program.texts.get(key, locale, **values)

    return lookup
