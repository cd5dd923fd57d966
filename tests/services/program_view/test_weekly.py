"""Weekly figures: the spans (ISO weeks, the digest's seven days) and what each week counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.services.program_view.weekly import Span, iso_weeks, weekly_figures, weeks_until
from peerbot.storage.crypto import FieldCipher
from tests.support.supporter_steps import context
from tests.support.weekly_world import FIRST_DAY, LAST_DAY, MONDAY, seed_three_weeks

MADRID = ZoneInfo("Europe/Madrid")
CIPHER = FieldCipher(FieldCipher.generate_key())


def local(*parts: int, zone: ZoneInfo = MADRID) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def test_iso_weeks_are_cut_to_the_days_asked_for() -> None:
    # Wednesday 24 March to Friday 2 April 2027; summer time starts on Sunday 28 March.
    spans = iso_weeks(date(2027, 3, 24), date(2027, 4, 2), MADRID)

    assert spans == [
        Span(local(2027, 3, 24), local(2027, 3, 29)),
        Span(local(2027, 3, 29), local(2027, 4, 3)),
    ]
    assert [span.iso_week for span in spans] == ["2027-W12", "2027-W13"]
    hours = (spans[0].end.astimezone(UTC) - spans[0].start.astimezone(UTC)).total_seconds() / 3600
    assert hours == 5 * 24 - 1  # an hour shorter: the clocks went forward


def test_one_day_is_one_span_and_a_backward_range_is_refused() -> None:
    assert iso_weeks(date(2027, 1, 1), date(2027, 1, 1), UTC) == [
        Span(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC))
    ]
    assert iso_weeks(date(2027, 1, 1), date(2027, 1, 1), UTC)[0].iso_week == "2026-W53"
    with pytest.raises(ValueError, match="before"):
        iso_weeks(date(2027, 1, 2), date(2027, 1, 1), UTC)


def test_the_digests_weeks_end_at_its_local_time_across_a_clock_change() -> None:
    until = local(2027, 4, 5, 9)  # Monday 09:00, summer time

    spans = weeks_until(until, MADRID, 3)

    assert [(s.start, s.end) for s in spans] == [
        (local(2027, 3, 15, 9), local(2027, 3, 22, 9)),
        (local(2027, 3, 22, 9), local(2027, 3, 29, 9)),
        (local(2027, 3, 29, 9), local(2027, 4, 5, 9)),
    ]
    assert [s.start.utcoffset().total_seconds() / 3600 for s in spans] == [1, 1, 2]  # type: ignore[union-attr]


async def test_weekly_figures_count_each_week(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed_three_weeks(session_factory, CIPHER)
    spans = iso_weeks(FIRST_DAY, LAST_DAY, UTC)
    assert spans == weeks_until(datetime(2027, 1, 25, tzinfo=UTC), UTC, 3)
    assert spans[0].start == MONDAY

    async with session_factory() as session, session.begin():
        ctx = context(session, datetime(2027, 1, 25, tzinfo=UTC))
        everyone = await weekly_figures(ctx, spans)
        consenting = await weekly_figures(ctx, spans, evaluation_only=True)

    # Everyone: W01 ana's and ben's requests, ana's match, two claims (10 and 30 minutes);
    # W02 two requests, ben's match, one escalation nobody claimed; W03 nothing.
    assert [w.requests for w in everyone] == [2, 2, 0]
    assert [w.matches for w in everyone] == [1, 1, 0]
    assert [w.escalations for w in everyone] == [2, 1, 0]
    assert [w.claim_minutes for w in everyone] == [20.0, None, None]
    assert [(w.stats.checkins_due, w.stats.checkins_answered) for w in everyone] == [
        (1, 1),
        (1, 0),
        (0, 0),
    ]

    # Consenting (ana and the supporter): ben's request, match and escalations drop out.
    w01, w02, w03 = (w.stats for w in consenting)
    assert (w01.requests_new, w01.requests_waiting, w01.requests_matched) == (0, 0, 1)
    assert (w02.requests_closed, w02.requests_waiting) == (1, 0)
    assert [w.matches for w in consenting] == [1, 0, 0]
    assert w01.escalations == {("suicide", "critical"): 1}
    assert w02.escalations == {}
    assert w01.median_minutes_to_claim == 10.0
    assert w01.median_hours_to_match == 6.0  # created Monday 10:00, approved 16:00
    assert (w01.who5_good, w01.who5_low, w01.who5_very_low) == (1, 0, 0)
    assert w02.checkin_completion_rate == 0.0
    assert w03.requests == 0 and w03.checkin_completion_rate is None
