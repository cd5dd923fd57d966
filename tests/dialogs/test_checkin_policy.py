"""The checkins: section of program.yaml: defaults, clock times and thresholds in order."""

import pytest
import yaml
from pydantic import ValidationError

from peerbot.dialogs.checkin_policy import CheckinPolicy
from peerbot.dialogs.checkin_schedule import QuietHours


def test_an_empty_section_gives_the_documented_defaults():
    policy = CheckinPolicy.model_validate({})
    assert policy.model_dump() == {
        "every_weeks": 1,
        "default_weekday": "mon",
        "default_time": "18:00",
        "quiet_hours": {"start": "21:00", "end": "08:00"},
        "remind_after_hours": 24,
        "missed_after_hours": 72,
        "missed_in_row_escalate": 2,
        "who5_high_at_or_below": 7,
        "who5_medium_below": 13,
        "who5_drop_points": 10,
        "burnout_high_at_or_above": 4,
    }


def test_a_program_overrides_fields_from_yaml():
    document = yaml.safe_load(
        """
        every_weeks: 2
        default_weekday: thu
        default_time: "09:30"
        quiet_hours: {start: "22:00", end: "07:00"}
        """
    )
    policy = CheckinPolicy.model_validate(document)
    assert (policy.every_weeks, policy.default_weekday, policy.default_time) == (2, "thu", "09:30")
    assert policy.quiet_hours == QuietHours(start="22:00", end="07:00")


@pytest.mark.parametrize("text", ["24:00", "18:60", "6pm", "18h00", "8:00", ""])
def test_a_bad_default_time_is_rejected(text):
    with pytest.raises(ValidationError, match="HH:MM"):
        CheckinPolicy.model_validate({"default_time": text})


@pytest.mark.parametrize("field", ["start", "end"])
def test_a_bad_quiet_hours_time_is_rejected(field):
    with pytest.raises(ValidationError, match=f"quiet_hours.{field}"):
        CheckinPolicy.model_validate({"quiet_hours": {field: "25:00"}})


def test_an_unquoted_yaml_time_is_explained():
    document = yaml.safe_load("default_time: 18:00")  # YAML 1.1 reads this as 1080
    with pytest.raises(ValidationError, match='quoted time such as "18:00"'):
        CheckinPolicy.model_validate(document)


@pytest.mark.parametrize(("remind", "missed"), [(24, 24), (48, 24)])
def test_missed_after_must_come_after_the_reminder(remind, missed):
    with pytest.raises(ValidationError, match="missed_after_hours .* must be greater than"):
        CheckinPolicy(remind_after_hours=remind, missed_after_hours=missed)


def test_missed_just_after_the_reminder_is_accepted():
    policy = CheckinPolicy(remind_after_hours=24, missed_after_hours=25)
    assert policy.missed_after_hours == 25


def test_who5_medium_threshold_must_be_above_the_high_one():
    with pytest.raises(ValidationError, match="who5_medium_below"):
        CheckinPolicy(who5_high_at_or_below=10, who5_medium_below=10)


@pytest.mark.parametrize(
    "change",
    [
        {"every_weeks": 0},
        {"every_weeks": 9},
        {"default_weekday": "monday"},
        {"missed_in_row_escalate": 0},
        {"who5_high_at_or_below": 26},
        {"burnout_high_at_or_above": 6},
        {"remind_after_hours": "24"},
        {"reminder_hours": 24},
    ],
)
def test_out_of_range_or_unknown_fields_are_rejected(change):
    with pytest.raises(ValidationError):
        CheckinPolicy.model_validate(change)


def test_the_policy_is_frozen():
    policy = CheckinPolicy()
    with pytest.raises(ValidationError):
        policy.every_weeks = 2  # type: ignore[misc]
