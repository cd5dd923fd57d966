"""The participants' side of the figures: satisfaction, follow-up answers, referral sources,
reasons for ending and time from a request to first contact, on a database seeded by hand.

Who is who: P1 and P3 consented to evaluation use, P2 did not; S1 supports them all.

| request | person | made    | came through | first reached   | match ended (reason)          |
|---------|--------|---------|--------------|-----------------|-------------------------------|
| R1      | P1     | NOW-2d  | clinic       | 30 h on         | —                             |
| R2      | P2     | NOW-3d  | (direct)     | 10 h on         | —                             |
| R3      | P3     | NOW-10d | clinic       | 50 h on         | NOW-1d (ended_by_participant) |
| R4      | P3     | NOW-20d | poster       | never           | NOW-12d (moved_away)     |
| R5      | P2     | NOW-40d | (direct)     | —               | NOW-2d (none recorded)        |
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.emulator.tg_html import parse_html
from peerbot.program import ProgramData, load_program
from peerbot.services.program_view import report, stats_text
from peerbot.services.program_view.small_cells import hidden_rows, hidden_week
from peerbot.services.program_view.statistics import (
    CurrentStats,
    ProgramStats,
    WindowStats,
    program_stats,
    window_stats,
)
from peerbot.services.program_view.weekly import Span, WeekFigures
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import CheckinKind, CheckinStatus, MatchStatus, SupportRequestStatus
from tests.support import rows as build
from tests.support.supporter_steps import context

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WEEK = (NOW - 7 * DAY, NOW)
MONTH = (NOW - 30 * DAY, NOW)
CIPHER = FieldCipher(FieldCipher.generate_key())

Sessions = async_sessionmaker[AsyncSession]
SATISFACTION = CheckinKind.SATISFACTION
FOLLOWUP = CheckinKind.PARTICIPANT_FOLLOWUP
REVIEW = CheckinKind.REVIEW
MISSED = CheckinStatus.MISSED


async def seed(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        p1, p2, p3 = [
            await build.add_person(session, CIPHER, f"Participant {n}") for n in (1, 2, 3)
        ]
        s1 = await build.add_person(session, CIPHER, "Supporter 1")
        for person in (p1, p3, s1):
            await build.add_consent(session, person, now=NOW - 60 * DAY)
        await build.add_consent(session, p2, granted=False, now=NOW - 60 * DAY)

        async def request(person, made, source):
            return await build.add_request(
                session,
                person,
                created_at=made,
                updated_at=made,
                referral_source=source,
                status=SupportRequestStatus.MATCHED,
            )

        async def match(req, ended=None, reason=None):
            return await build.add_match(
                session,
                req,
                s1,
                status=MatchStatus.ENDED if ended else MatchStatus.ACCEPTED,
                approved_at=req.created_at + HOUR,
                decided_at=req.created_at + 2 * HOUR,
                ended_at=ended,
                end_reason=reason,
            )

        async def note(m, at, *, reached=True):
            await build.add_note(session, CIPHER, m, s1, None, contact_at=at, reached=reached)

        r1 = await request(p1, NOW - 2 * DAY, "clinic")
        m1 = await match(r1)
        await note(m1, r1.created_at + 3 * HOUR, reached=False)  # an attempt is no contact
        await note(m1, r1.created_at + 30 * HOUR)
        await note(m1, r1.created_at + 40 * HOUR)
        r2 = await request(p2, NOW - 3 * DAY, None)
        m2 = await match(r2)
        await note(m2, r2.created_at + 10 * HOUR)
        r3 = await request(p3, NOW - 10 * DAY, "clinic")
        m3 = await match(r3, NOW - DAY, "ended_by_participant")
        await note(m3, r3.created_at + 50 * HOUR)
        r4 = await request(p3, NOW - 20 * DAY, "poster")
        m4 = await match(r4, NOW - 12 * DAY, "moved_away")
        r5 = await request(p2, NOW - 40 * DAY, None)
        await match(r5, NOW - 2 * DAY)

        async def checkin(m, person, kind, days_ago, status=CheckinStatus.ANSWERED, **said):
            await build.add_participant_checkin(
                session, m, person, kind, NOW - days_ago * DAY, status=status, **said
            )

        # satisfaction two weeks in: week 5, 2, 4 (and a missed one); month also 3
        await checkin(m1, p1, SATISFACTION, 1, score=5.0)
        await checkin(m2, p2, SATISFACTION, 2, score=2.0)
        await checkin(m3, p3, SATISFACTION, 3, score=4.0)
        await checkin(m3, p3, SATISFACTION, 4, MISSED)
        await checkin(m1, p1, SATISFACTION, 15, score=3.0)
        # "how is it going?": week fine, not well, change, coordinator, two missed, one sent
        # and unanswered, one cancelled; month also fine
        await checkin(m1, p1, FOLLOWUP, 1, how="fine")
        await checkin(m2, p2, FOLLOWUP, 1, how="not_well")
        await checkin(m3, p3, FOLLOWUP, 2, how="change")
        await checkin(m1, p1, FOLLOWUP, 3, how="coordinator")
        await checkin(m3, p3, FOLLOWUP, 4, MISSED)
        await checkin(m2, p2, FOLLOWUP, 5, MISSED)
        await checkin(m1, p1, FOLLOWUP, 6, CheckinStatus.SENT)
        await checkin(m1, p1, FOLLOWUP, 6, CheckinStatus.CANCELLED)
        await checkin(m1, p1, FOLLOWUP, 20, how="fine")
        # reviews: week continue, end, end; month also continue
        await checkin(m1, p1, REVIEW, 2, review="continue")
        await checkin(m3, p3, REVIEW, 3, review="end")
        await checkin(m2, p2, REVIEW, 1, review="end")
        await checkin(m4, p3, REVIEW, 25, review="continue")
        # the end-of-support survey: week 5 and 1; month also R4's, answered 4 then 2
        await build.add_feedback(session, CIPHER, r3, at=NOW - DAY, satisfaction=5)
        await build.add_feedback(session, CIPHER, r2, at=NOW - 2 * DAY, satisfaction=1)
        await build.add_feedback(session, CIPHER, r4, at=NOW - 12 * DAY, satisfaction=4)
        await build.add_feedback(session, CIPHER, r4, at=NOW - 11 * DAY, satisfaction=2)


@pytest.fixture
async def sessions(session_factory: Sessions) -> Sessions:
    await seed(session_factory)
    return session_factory


async def figures(
    sessions: Sessions, window: tuple[datetime, datetime], **options: bool
) -> WindowStats:
    async with sessions() as session:
        start, end = window
        return await window_stats(context(session, NOW), start=start, end=end, **options)


async def test_satisfaction_two_weeks_in_is_counted_with_its_median(sessions: Sessions) -> None:
    week, month = await figures(sessions, WEEK), await figures(sessions, MONTH)
    assert (week.satisfaction_checkins, week.median_satisfaction_checkin) == (3, 4.0)
    assert (month.satisfaction_checkins, month.median_satisfaction_checkin) == (4, 3.5)


async def test_the_surveys_satisfaction_counts_a_requests_newest_answer(
    sessions: Sessions,
) -> None:
    week, month = await figures(sessions, WEEK), await figures(sessions, MONTH)
    assert (week.survey_satisfaction_answers, week.median_survey_satisfaction) == (2, 3.0)
    # 5, 1 and R4's newest, 2 (its first answer, 4, is replaced)
    assert (month.survey_satisfaction_answers, month.median_survey_satisfaction) == (3, 2.0)


async def test_follow_up_answers_and_reviews_are_counted_by_answer(sessions: Sessions) -> None:
    week, month = await figures(sessions, WEEK), await figures(sessions, MONTH)
    answers = (
        week.followups_fine,
        week.followups_not_well,
        week.followups_change,
        week.followups_coordinator,
        week.followups_missed,
    )
    assert answers == (1, 1, 1, 1, 2), "a sent, unanswered or cancelled one is not counted"
    assert (month.followups_fine, month.followups_answered) == (2, 5)
    assert (week.reviews_continue, week.reviews_end) == (1, 2)
    assert (month.reviews_continue, month.reviews_end) == (2, 2)
    # none of these is a supporter's well-being check-in
    assert (week.checkins_due, month.checkins_due) == (0, 0)


async def test_requests_are_counted_by_referral_source_with_none_as_direct(
    sessions: Sessions,
) -> None:
    week, month = await figures(sessions, WEEK), await figures(sessions, MONTH)
    assert week.referrals == {"clinic": 1, "direct": 1}
    assert month.referrals == {"clinic": 2, "direct": 1, "poster": 1}


async def test_ended_matches_are_counted_by_whatever_reason_is_stored(
    sessions: Sessions,
) -> None:
    week, month = await figures(sessions, WEEK), await figures(sessions, MONTH)
    assert week.end_reasons == {"ended_by_participant": 1, "unrecorded": 1}
    assert month.end_reasons == {
        "ended_by_participant": 1,
        "unrecorded": 1,
        "moved_away": 1,
    }


async def test_time_from_a_request_to_the_first_contact_that_reached_the_person(
    sessions: Sessions,
) -> None:
    week, month = await figures(sessions, WEEK), await figures(sessions, MONTH)
    # R1 30 h (not its 3 h attempt, nor its later note), R2 10 h
    assert (week.requests_reached, week.median_hours_to_reach) == (2, 20.0)
    # and R3 50 h; R4 was never reached
    assert (month.requests_reached, month.median_hours_to_reach) == (3, 30.0)


async def test_a_person_without_evaluation_consent_is_not_counted(sessions: Sessions) -> None:
    """P2 declined: their request, satisfaction, answers and survey are left out."""
    week = await figures(sessions, WEEK, evaluation_only=True)
    assert (week.satisfaction_checkins, week.median_satisfaction_checkin) == (2, 4.5)
    assert (week.survey_satisfaction_answers, week.median_survey_satisfaction) == (1, 5.0)
    assert (week.followups_not_well, week.followups_missed, week.followups_answered) == (0, 1, 3)
    assert (week.reviews_continue, week.reviews_end) == (1, 1)
    assert week.referrals == {"clinic": 1}
    assert week.end_reasons == {"ended_by_participant": 1}
    assert (week.requests_reached, week.median_hours_to_reach) == (1, 30.0)

    month = await figures(sessions, MONTH, evaluation_only=True)
    assert (month.satisfaction_checkins, month.median_satisfaction_checkin) == (3, 4.0)
    assert (month.survey_satisfaction_answers, month.median_survey_satisfaction) == (2, 3.5)
    assert month.referrals == {"clinic": 2, "poster": 1}
    assert month.end_reasons == {"ended_by_participant": 1, "moved_away": 1}
    assert (month.requests_reached, month.median_hours_to_reach) == (2, 40.0)


def _lookup(program: ProgramData, locale: str) -> stats_text.TextsLookup:
    def lookup(key: str, **values: object) -> str:
        return program.texts.get(key, locale, **values)

    return lookup


async def _summary(sessions: Sessions, locale: str, smallest: int | None = None) -> str:
    async with sessions() as session:
        stats = await program_stats(context(session, NOW))
    text = stats_text.stats_summary(_lookup(load_program(), locale), stats, smallest=smallest)
    return parse_html(text)[0]


async def test_stats_show_the_new_figures_in_english_and_spanish(sessions: Sessions) -> None:
    english = await _summary(sessions, "en")
    assert "median time from request to first contact: 20 h · 30 h" in english
    assert "came through: clinic 1, direct 1 · clinic 2, direct 1, poster 1" in english
    assert "satisfaction at two weeks: 4/5 (n=3) · 3.5/5 (n=4)" in english
    assert "satisfaction when support ended: 3/5 (n=2) · 2/5 (n=3)" in english
    assert (
        "how it's going: fine / not well / change / coordinator / no answer: "
        "1/1/1/1/2 · 2/1/1/1/2" in english
    )
    assert "reviews: continue / end: 1/2 · 2/2" in english
    assert "ended by the participant: 1 · 1" in english
    assert "moved_away: 0 · 1" in english, "a reason without a text is shown as itself"
    assert "no reason recorded: 1 · 1" in english
    assert "Participant" not in english and "Supporter 1" not in english

    spanish = await _summary(sessions, "es")
    assert "mediana desde la solicitud al primer contacto: 20 h · 30 h" in spanish
    assert "cómo llegaron: clinic 1, directo 1 · clinic 2, directo 1, poster 1" in spanish
    assert "satisfacción a las dos semanas: 4/5 (n=3) · 3.5/5 (n=4)" in spanish
    assert "revisiones: seguir / terminar: 1/2 · 2/2" in spanish
    assert "lo terminó la persona participante: 1 · 1" in spanish
    assert "sin motivo registrado: 1 · 1" in spanish


async def test_stats_stay_phone_sized(sessions: Sessions) -> None:
    for locale in ("en", "es"):
        text = await _summary(sessions, locale)
        assert len(text.splitlines()) <= 40 and len(text) < 2000


async def test_the_digests_follow_up_figures_hide_small_counts(sessions: Sessions) -> None:
    """The digest stays in the group's history: counts below 5 show as "<5", and their
    medians are left out."""
    digest = await _summary(sessions, "en", smallest=5)
    assert "satisfaction at two weeks: – (n=<5) · – (n=<5)" in digest
    assert "came through: clinic <5, direct <5 · clinic <5, direct <5, poster <5" in digest
    assert "median time from request to first contact: – · –" in digest
    assert "reviews: continue / end: <5/<5 · <5/<5" in digest
    assert "ended by the participant: <5 · <5" in digest
    # with a threshold of 2, the counts of 2 and more and their medians show
    shown = await _summary(sessions, "en", smallest=2)
    assert "satisfaction at two weeks: 4/5 (n=3) · 3.5/5 (n=4)" in shown
    assert "reviews: continue / end: <2/2 · 2/2" in shown


def _week(stats: WindowStats) -> WeekFigures:
    return WeekFigures(Span(stats.start, stats.end), stats)


async def test_the_reports_rows_hide_small_counts_of_the_new_figures(sessions: Sessions) -> None:
    month = await figures(sessions, MONTH, evaluation_only=True)
    tables = report._tables(report.ReportFigures(totals=[_week(month)], consenting=[_week(month)]))

    (row,) = hidden_rows(tables[report.WEEKLY_FILE], 3)
    assert (row["satisfaction_checkins"], row["median_satisfaction_checkin"]) == (3, 4.0)
    assert (row["survey_satisfaction_answers"], row["median_survey_satisfaction"]) == ("<3", None)
    assert (row["requests_reached"], row["median_hours_to_reach"]) == ("<3", None)
    assert (row["followups_fine"], row["followups_missed"], row["reviews_end"]) == ("<3",) * 3
    assert row["followups_not_well"] == 0
    referrals = hidden_rows(tables[report.REFERRALS_FILE], 3)
    assert [(r["referral_source"], r["requests"]) for r in referrals] == [
        ("clinic", "<3"),
        ("poster", "<3"),
    ]
    endings = hidden_rows(tables[report.ENDINGS_FILE], 3)
    assert [(r["end_reason"], r["matches"]) for r in endings] == [
        ("ended_by_participant", "<3"),
        ("moved_away", "<3"),
    ]
    drawn = hidden_week(_week(month), 3).stats
    assert drawn.referrals == {"clinic": 0, "poster": 0}
    assert drawn.median_survey_satisfaction is None and drawn.median_satisfaction_checkin == 4.0

    text = report._csv(tables[report.WEEKLY_FILE], report.WEEKLY_COLUMNS)
    (written,) = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    assert written["median_satisfaction_checkin"] == "4.0"
    assert written["median_hours_to_reach"] == "40.0"


def test_beyond_three_referral_sources_the_rest_are_summed_as_other() -> None:
    """Ordered by the 30 days' counts, so each source keeps its place on both sides."""
    nothing = dict.fromkeys(
        [
            "requests_new",
            "requests_waiting",
            "requests_matched",
            "requests_closed",
            "checkins_due",
            "checkins_answered",
            "who5_good",
            "who5_low",
            "who5_very_low",
            "matches_approved",
        ],
        0,
    )
    medians = dict.fromkeys(
        ["median_hours_to_match", "median_hours_to_first_contact", "median_minutes_to_claim"]
    )
    week = WindowStats(
        start=NOW - 7 * DAY,
        end=NOW,
        escalations={},
        referrals={"clinic": 1, "radio": 2, "flyer": 1},
        **nothing,
        **medians,
    )
    month = dataclasses.replace(
        week,
        start=NOW - 30 * DAY,
        referrals={"clinic": 6, "radio": 2, "direct": 4, "flyer": 1, "school": 1},
    )
    stats = ProgramStats(NOW, (week, month), CurrentStats(0, 0, 0, 0, 0, 0))
    text = parse_html(stats_text.stats_summary(_lookup(load_program(), "en"), stats))[0]
    assert (
        "came through: clinic 1, radio 2, other 1 · clinic 6, direct 4, radio 2, other 2" in text
    )
