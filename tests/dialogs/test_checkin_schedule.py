"""Check-in due times: local wall-clock time across daylight saving, fortnights, quiet hours."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from peerbot.dialogs.checkin_schedule import (
    WEEKDAYS,
    QuietHours,
    break_ends_at,
    next_checkin_at,
    outside_quiet_hours,
    parse_hhmm,
)

QUIET = QuietHours(start="21:00", end="08:00")
NO_QUIET = QuietHours(start="00:00", end="00:00")
NEW_YORK = "America/New_York"


def utc(year, month, day, hour=0, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def monday_1800_new_york(after: datetime, every_weeks: int = 1) -> datetime:
    return next_checkin_at(
        weekday="mon",
        at_time="18:00",
        time_zone=NEW_YORK,
        after=after,
        every_weeks=every_weeks,
        quiet=QUIET,
    )


@pytest.mark.parametrize(
    ("after", "due"),
    [
        (utc(2027, 3, 2), utc(2027, 3, 8, 23)),  # EST, UTC-5, before 14 March
        (utc(2027, 3, 9), utc(2027, 3, 15, 22)),  # EDT, UTC-4, after 14 March
        (utc(2026, 10, 20), utc(2026, 10, 26, 22)),  # EDT, before 1 November
        (utc(2026, 10, 27), utc(2026, 11, 2, 23)),  # EST, after 1 November
    ],
)
def test_monday_1800_stays_1800_local_on_both_sides_of_daylight_saving(after, due):
    assert monday_1800_new_york(after) == due


def test_the_due_time_is_returned_in_utc():
    due = monday_1800_new_york(utc(2027, 3, 9))
    assert due.utcoffset() is not None and due.utcoffset().total_seconds() == 0


def test_a_weekly_chain_crosses_the_autumn_change_at_1800_local():
    first = monday_1800_new_york(utc(2026, 10, 20))
    second = monday_1800_new_york(first)
    assert (first, second) == (utc(2026, 10, 26, 22), utc(2026, 11, 2, 23))


def test_a_due_time_itself_gives_the_following_week():
    assert monday_1800_new_york(utc(2027, 3, 8, 23)) == utc(2027, 3, 15, 22)


def test_a_moment_just_before_a_due_time_gives_that_due_time():
    assert monday_1800_new_york(utc(2027, 3, 8, 22, 59, 59)) == utc(2027, 3, 8, 23)


def test_after_may_be_given_in_any_time_zone():
    after = datetime(2027, 3, 8, 17, 0, tzinfo=ZoneInfo(NEW_YORK))
    assert monday_1800_new_york(after) == utc(2027, 3, 8, 23)


def test_a_fortnightly_schedule_skips_a_week():
    assert monday_1800_new_york(utc(2027, 3, 8, 23), every_weeks=2) == utc(2027, 3, 22, 22)


def test_a_fortnightly_schedule_skips_a_week_across_the_autumn_change():
    # A week after 18:00 EDT in UTC terms is only 17:00 EST: counted in UTC this would
    # come back after one week; counted on the wall clock it is two.
    assert monday_1800_new_york(utc(2026, 10, 26, 22), every_weeks=2) == utc(2026, 11, 9, 23)


def test_a_fortnightly_schedule_from_midweek_is_due_in_two_weeks():
    assert monday_1800_new_york(utc(2027, 3, 10), every_weeks=2) == utc(2027, 3, 22, 22)


@pytest.mark.parametrize(
    ("at_time", "quiet", "due"),
    [
        # Monday 2027-01-04 22:30 CET is quiet; Tuesday 08:00 CET is 07:00 UTC.
        pytest.param("22:30", QUIET, utc(2027, 1, 5, 7), id="evening: the next morning"),
        pytest.param("02:00", QUIET, utc(2027, 1, 4, 7), id="after midnight: that morning"),
        pytest.param("20:59", QUIET, utc(2027, 1, 4, 19, 59), id="outside quiet hours: kept"),
        pytest.param("22:30", NO_QUIET, utc(2027, 1, 4, 21, 30), id="none: a late time kept"),
    ],
)
def test_a_time_in_quiet_hours_moves_to_when_they_end(at_time, quiet, due):
    in_madrid = {"time_zone": "Europe/Madrid", "after": utc(2027, 1, 1)}
    assert next_checkin_at(weekday="mon", at_time=at_time, quiet=quiet, **in_madrid) == due


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(20, 59), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_start_inclusive_end_exclusive_wrapping_midnight(local, quiet):
    assert QUIET.contains(local) is quiet


def test_quiet_hours_within_one_day():
    lunch = QuietHours(start="12:00", end="14:00")
    assert [lunch.contains(time(h, 0)) for h in (11, 12, 13, 14)] == [False, True, True, False]


def test_equal_start_and_end_mean_no_quiet_hours():
    assert not any(NO_QUIET.contains(time(h, 0)) for h in range(24))


def test_outside_quiet_hours_keeps_a_daytime_moment():
    moment = datetime(2027, 1, 4, 12, 30, tzinfo=UTC)
    assert outside_quiet_hours(moment, "Europe/Madrid", QUIET) == moment


def test_outside_quiet_hours_moves_a_late_evening_moment_to_the_next_morning():
    # 23:30 UTC on Monday is 18:30 in New York (not quiet) but 00:30 Tuesday in Madrid.
    moment = utc(2027, 1, 4, 23, 30)
    assert outside_quiet_hours(moment, NEW_YORK, QUIET) == moment
    assert outside_quiet_hours(moment, "Europe/Madrid", QUIET) == utc(2027, 1, 5, 7)


def test_outside_quiet_hours_moves_an_evening_moment_past_midnight():
    # 21:15 CET Monday → 08:00 CET Tuesday.
    assert outside_quiet_hours(utc(2027, 1, 4, 20, 15), "Europe/Madrid", QUIET) == utc(
        2027, 1, 5, 7
    )


def test_outside_quiet_hours_returns_utc():
    moment = datetime(2027, 1, 4, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    result = outside_quiet_hours(moment, "Asia/Tokyo", QUIET)
    assert result == moment and result.tzinfo is UTC


def test_a_break_ends_that_day_when_quiet_hours_end():
    assert break_ends_at(date(2027, 3, 15), NEW_YORK, QUIET) == utc(2027, 3, 15, 12)  # EDT
    assert break_ends_at(date(2027, 3, 1), NEW_YORK, QUIET) == utc(2027, 3, 1, 13)  # EST


def test_a_break_follows_the_programs_quiet_hours():
    late_mornings = QuietHours(start="22:00", end="10:30")
    assert break_ends_at(date(2027, 1, 4), "Europe/Madrid", late_mornings) == utc(
        2027, 1, 4, 9, 30
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd"])
def test_an_unknown_time_zone_is_named(zone):
    with pytest.raises(ValueError, match="unknown time zone"):
        next_checkin_at(
            weekday="mon", at_time="18:00", time_zone=zone, after=utc(2027, 1, 1), quiet=QUIET
        )
    with pytest.raises(ValueError, match="unknown time zone"):
        break_ends_at(date(2027, 1, 1), zone, QUIET)


def test_the_unknown_time_zone_message_names_it():
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        outside_quiet_hours(utc(2027, 1, 1), "Mars/Olympus_Mons", QUIET)


def test_an_unknown_weekday_is_rejected():
    with pytest.raises(ValueError, match="weekday"):
        next_checkin_at(
            weekday="monday",
            at_time="18:00",
            time_zone=NEW_YORK,
            after=utc(2027, 1, 1),
            quiet=QUIET,
        )


def test_a_naive_after_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        monday_1800_new_york(datetime(2027, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize("weekday", WEEKDAYS)
def test_every_weekday_is_reachable(weekday):
    due = next_checkin_at(
        weekday=weekday, at_time="12:00", time_zone="UTC", after=utc(2027, 1, 1), quiet=QUIET
    )
    assert WEEKDAYS[due.weekday()] == weekday


@pytest.mark.parametrize(
    ("text", "clock"), [("00:00", time(0, 0)), ("23:59", time(23, 59)), ("08:05", time(8, 5))]
)
def test_parse_hhmm_reads_24_hour_times(text, clock):
    assert parse_hhmm(text) == clock


@pytest.mark.parametrize("text", ["24:00", "8:00", "18:60", "18.00", "6pm", ""])
def test_parse_hhmm_rejects_other_spellings(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)
