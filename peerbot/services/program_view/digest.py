"""The weekly digest: the /stats summary and a chart of the last weeks, posted to the group.

The database holds the schedule: a digest is posted for the latest due time (the program's
day and time, in its time zone) that has no row in ``digests`` yet. That row goes in with the
two outbox messages, so a restart or a second replica never posts a week twice, and a bot
started long after posts the latest week only, not a backlog. A new program's first tick
only records the due time already past: the first digest is the next one, not a summary of
a week the program did not run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from peerbot.dialogs.checkin_schedule import parse_hhmm
from peerbot.dialogs.policy import DigestPolicy
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Photo, Text
from peerbot.services.coordination import coordinators
from peerbot.services.program_view import charts, stats_text
from peerbot.services.program_view.weekly import WeekFigures, weekly_figures, weeks_until
from peerbot.storage.dialect import insert_ignore
from peerbot.storage.models import Digest
from peerbot.storage.outbox import Priority

WEEKS = 12
CHART_FILENAME = "digest.png"

logger = logging.getLogger(__name__)


def latest_due(policy: DigestPolicy, zone: ZoneInfo, now: datetime) -> datetime:
    """The last time at or before `now` the digest was due (its day and time, local)."""
    clock = parse_hhmm(policy.time)
    trigger = CronTrigger(
        day_of_week=policy.weekday, hour=clock.hour, minute=clock.minute, second=0, timezone=zone
    )
    # Once a week in wall-clock time: a fire exists within any eight days, and a
    # daylight-saving change may bring the next one closer than seven, hence the loop.
    due = trigger.get_next_fire_time(None, now - timedelta(days=8))
    assert due is not None  # a weekly trigger without an end always fires
    while (after := trigger.get_next_fire_time(due, due + timedelta(seconds=1))) <= now:
        due = after
    return due


@dataclass(frozen=True)
class Draft:
    """A digest ready to post once its chart is drawn."""

    due_at: datetime
    text: str
    chart: charts.ActivityChart
    caption: str


async def draft_due(ctx: ServiceContext) -> Draft | None:
    """The digest due now, unless it is off, has nowhere to go or was posted already."""
    policy = ctx.program.policy.digest
    if not policy.enabled or ctx.settings.setup_mode:
        return None
    due = latest_due(policy, ctx.settings.zone, ctx.now)
    if await _posted(ctx, due):
        return None
    if not await _begun(ctx):
        await insert_ignore(ctx.session, Digest, {"due_at": due, "posted_at": None}, ["due_at"])
        return None
    weeks = await weekly_figures(ctx, weeks_until(due, ctx.settings.zone, WEEKS))
    local_due = due.astimezone(ctx.settings.zone)
    heading = coordinators.text(
        ctx,
        "digest.heading",
        date=f"{day_label(ctx, local_due, coordinators.coordinator_locale(ctx))} {local_due.year}",
    )
    summary = await stats_text.summary_for(ctx, hide_small=True)
    return Draft(
        due_at=due,
        text=f"{heading}\n\n{summary}",
        chart=activity_chart(
            ctx, weeks, title=coordinators.text(ctx, "digest.chart.title", weeks=WEEKS)
        ),
        caption=coordinators.text(ctx, "digest.caption", weeks=WEEKS),
    )


async def post(ctx: ServiceContext, draft: Draft, picture: bytes | None) -> bool:
    """Queue the summary and the chart for the group (or, with no group, for each coordinator
    privately), once per due time; False if posted already or there is no one to post to."""
    chats = await _digest_chats(ctx)
    if not chats:
        return False
    claimed = await insert_ignore(
        ctx.session, Digest, {"due_at": draft.due_at, "posted_at": ctx.now}, ["due_at"]
    )
    if not claimed:
        return False  # another replica, or an earlier run, posted it
    for chat_id in chats:
        key = f"digest:{draft.due_at.isoformat()}"
        if chat_id != ctx.settings.coordinator_chat_id:
            key = f"{key}:{chat_id}"
        await ctx.outbox.post(
            chat_id,
            Text(text=draft.text, html=True),
            priority=Priority.SCHEDULED,
            dedupe_key=f"{key}:summary",
        )
        if picture is None:
            continue
        await ctx.outbox.post(
            chat_id,
            Photo(CHART_FILENAME, picture, draft.caption),
            priority=Priority.SCHEDULED,
            dedupe_key=f"{key}:chart",
        )
    return True


async def _digest_chats(ctx: ServiceContext) -> list[int]:
    """The group; without one (PEERBOT_NO_COORDINATOR_GROUP) each coordinator; in set-up
    mode no one."""
    if ctx.settings.coordinator_chat_id is not None:
        return [ctx.settings.coordinator_chat_id]
    if ctx.settings.no_coordinator_group:
        return await coordinators.coordinator_chats(ctx)
    return []


async def picture_of(draft: Draft) -> bytes | None:
    """The draft's chart, drawn in a child process (outside any transaction); None if it
    could not be drawn: the figures still matter more than their picture."""
    try:
        return await charts.draw_one(draft.chart)
    except charts.ChartFailed as error:
        logger.warning("digest chart not drawn: %s", type(error).__name__)
        return None


def activity_chart(
    ctx: ServiceContext,
    weeks: Sequence[WeekFigures],
    *,
    title: str,
    claim_weeks: Sequence[WeekFigures] | None = None,
    locale: str | None = None,
) -> charts.ActivityChart:
    """Requests and matches of `weeks`, time to claim of `claim_weeks` (default the same).

    Labelled in `locale`, by default the coordinators' language.
    """
    zone = ctx.settings.zone
    locale = locale or coordinators.coordinator_locale(ctx)

    def text(key: str) -> str:
        return ctx.program.texts.get(key, locale)

    return charts.ActivityChart(
        title=title,
        weeks=[day_label(ctx, week.span.start.astimezone(zone), locale) for week in weeks],
        requests=[week.requests for week in weeks],
        matches=[week.matches for week in weeks],
        claim_minutes=[week.claim_minutes for week in (claim_weeks or weeks)],
        requests_label=text("digest.chart.requests"),
        matches_label=text("digest.chart.matches"),
        claim_title=text("digest.chart.claim"),
        minutes_label=text("digest.chart.minutes"),
        no_claims_label=text("digest.chart.no_claims"),
    )


def day_label(ctx: ServiceContext, moment: datetime, locale: str) -> str:
    """A day as the charts label it, e.g. "6 Jan"."""
    months = ctx.program.texts.get("digest.months", locale).split()
    return ctx.program.texts.get(
        "digest.day", locale, day=moment.day, month=months[moment.month - 1]
    )


async def _begun(ctx: ServiceContext) -> bool:
    """Whether any digest tick has run before: a due time, posted or not, is on record."""
    return (await ctx.session.scalar(select(Digest.id).limit(1))) is not None


async def _posted(ctx: ServiceContext, due: datetime) -> bool:
    return (await ctx.session.scalar(select(Digest.id).where(Digest.due_at == due))) is not None
