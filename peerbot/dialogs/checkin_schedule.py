"""When a supporter's next check-in is due, in their own time zone, kept out of quiet hours.

Pure: APScheduler's CronTrigger does the calendar arithmetic; nothing is scheduled here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, BeforeValidator, ConfigDict

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_hhmm(text: str) -> time:
    """Read a 24-hour "HH:MM" clock time; anything else raises ValueError."""
    match = _HHMM.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'must be a 24-hour time written "HH:MM" (got {text!r})')
    return time(int(match[1]), int(match[2]))


def _clock_text(value: object) -> str:
    # YAML reads an unquoted 18:00 as the base-60 number 1080, so say how to write it.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'must be a quoted time such as "18:00" (YAML read {value!r})')
    if not isinstance(value, str):
        raise ValueError(f'must be a 24-hour time written "HH:MM" (got {value!r})')
    parse_hhmm(value)
    return value.strip()


ClockTime = Annotated[str, BeforeValidator(_clock_text)]
"""A program.yaml field holding a 24-hour "HH:MM" local time."""


class QuietHours(BaseModel):
    """Local hours in which the bot sends no check-in messages; may wrap past midnight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: ClockTime = "21:00"  # first quiet minute, local time
    end: ClockTime = "08:00"  # first minute messages may go out again; equal to start: none

    def contains(self, at: time) -> bool:
        """Whether this local clock time is quiet (start inclusive, end exclusive)."""
        start, end, at = parse_hhmm(self.start), parse_hhmm(self.end), at.replace(tzinfo=None)
        if start == end:
            return False
        if start < end:
            return start <= at < end
        return at >= start or at < end


def time_zone_of(name: str) -> ZoneInfo:
    """The IANA time zone with this name; an unknown one raises ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r}") from None


def next_checkin_at(
    *,
    weekday: str,
    at_time: str,
    time_zone: str,
    after: datetime,
    every_weeks: int = 1,
    quiet: QuietHours,
) -> datetime:
    """Return the first check-in due strictly after `after`, in UTC, moved out of quiet hours.

    With every_weeks > 1 the search starts (every_weeks - 1) weeks later in local wall-clock
    time, so a fortnightly schedule skips a week even across a daylight-saving change.
    """
    if weekday not in WEEKDAYS:
        raise ValueError(f"unknown weekday {weekday!r}; expected one of {', '.join(WEEKDAYS)}")
    if every_weeks < 1:
        raise ValueError(f"every_weeks must be at least 1 (got {every_weeks})")
    _require_aware(after)
    zone = time_zone_of(time_zone)
    clock = parse_hhmm(at_time)
    trigger = CronTrigger(
        day_of_week=weekday, hour=clock.hour, minute=clock.minute, second=0, timezone=zone
    )
    # Same-zone aware arithmetic is wall-clock arithmetic: 18:00 plus a week stays 18:00.
    start = after.astimezone(zone) + timedelta(weeks=every_weeks - 1)
    # get_next_fire_time(None, now) may return `now` itself; a check-in is due strictly after.
    fire_at = trigger.get_next_fire_time(None, start + timedelta(microseconds=1))
    if fire_at is None:  # pragma: no cover - a weekly trigger without an end always fires
        raise ValueError("the check-in schedule never fires")
    return outside_quiet_hours(fire_at, time_zone, quiet)


def outside_quiet_hours(moment: datetime, time_zone: str, quiet: QuietHours) -> datetime:
    """Return `moment` in UTC, or the end of the quiet hours it falls in (local), in UTC."""
    _require_aware(moment)
    zone = time_zone_of(time_zone)
    local = moment.astimezone(zone)
    if not quiet.contains(local.time()):
        return moment.astimezone(UTC)
    end = parse_hhmm(quiet.end)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def break_ends_at(day: date, time_zone: str, quiet: QuietHours) -> datetime:
    """Return when a break "until DAY" ends: that day when quiet hours end locally, in UTC."""
    zone = time_zone_of(time_zone)
    return datetime.combine(day, parse_hhmm(quiet.end), tzinfo=zone).astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime (got {moment.isoformat()})")
