"""The program's figures week by week, for the digest's chart and the funders' report.

Weeks are read in the program's time zone: the digest's are the seven-day spans ending at
its due time, the report's are ISO weeks (Monday to Sunday) cut to the dates asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from peerbot.services.common.context import ServiceContext
from peerbot.services.program_view.statistics import WindowStats, window_stats

WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class Span:
    """A week (or the part of one asked for): from `start` (included) to `end` (excluded)."""

    start: datetime
    end: datetime

    @property
    def iso_week(self) -> str:
        """The ISO week the span starts in, e.g. 2027-W03."""
        year, week, _ = self.start.date().isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WeekFigures:
    """One week's figures."""

    span: Span
    stats: WindowStats

    @property
    def requests(self) -> int:
        """Support requests made that week, whatever has become of them since."""
        return self.stats.requests

    @property
    def matches(self) -> int:
        return self.stats.matches_approved

    @property
    def escalations(self) -> int:
        return self.stats.escalations_total

    @property
    def claim_minutes(self) -> float | None:
        return self.stats.median_minutes_to_claim


def weeks_until(until: datetime, zone: ZoneInfo, count: int) -> list[Span]:
    """The `count` seven-day spans ending at `until`, oldest first, in local wall-clock time.

    Why wall-clock: a digest due at 09:00 every Monday then always covers Monday 09:00 to
    Monday 09:00, also across a daylight-saving change.
    """
    end = until.astimezone(zone)
    return [Span(end - WEEK * (count - i), end - WEEK * (count - i - 1)) for i in range(count)]


def iso_weeks(first: date, last: date, zone: ZoneInfo) -> list[Span]:
    """The ISO weeks from the one holding `first` to the one holding `last`, each cut to
    local midnight of `first` and the midnight after `last`."""
    if last < first:
        raise ValueError(f"the last day ({last}) is before the first ({first})")
    begin = datetime.combine(first, time(), tzinfo=zone)
    finish = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
    monday = datetime.combine(first - timedelta(days=first.weekday()), time(), tzinfo=zone)
    spans = []
    while monday < finish:
        spans.append(Span(max(monday, begin), min(monday + WEEK, finish)))
        monday += WEEK
    return spans


async def weekly_figures(
    ctx: ServiceContext, spans: Sequence[Span], *, evaluation_only: bool = False
) -> list[WeekFigures]:
    """Each span's figures, in the order given (the caller owns the transaction)."""
    return [
        WeekFigures(
            span,
            await window_stats(
                ctx, start=span.start, end=span.end, evaluation_only=evaluation_only
            ),
        )
        for span in spans
    ]
