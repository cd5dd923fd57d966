"""The ``checkins:`` section of program.yaml: how often supporters are asked how they are,
when they are chased, and which well-being answers are raised to a coordinator."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from peerbot.dialogs.checkin_schedule import ClockTime, QuietHours, Weekday

Hours = Annotated[int, Field(strict=True, ge=1, le=24 * 28)]


class CheckinPolicy(BaseModel):
    """Supporter well-being check-ins: schedule, chasing, and when an answer is a concern."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # How many weeks between check-ins (1: weekly, 2: fortnightly).
    every_weeks: int = Field(1, strict=True, ge=1, le=8)
    # The weekday a supporter is asked on until they pick their own.
    default_weekday: Weekday = "mon"
    # The local time ("HH:MM", 24-hour) a supporter is asked at until they pick their own.
    default_time: ClockTime = "18:00"
    # Local hours without check-in messages; a time inside moves to when they end.
    quiet_hours: QuietHours = Field(default_factory=lambda: QuietHours.model_validate({}))
    # Hours after the prompt before an unanswered check-in gets one reminder.
    remind_after_hours: Hours = 24
    # Hours after the prompt before an unanswered check-in counts as missed.
    missed_after_hours: Hours = 72
    # Missed check-ins in a row that tell the coordinators.
    missed_in_row_escalate: int = Field(2, strict=True, ge=1, le=10)
    # WHO-5 raw score (0-25) at or below which the answer is a high concern.
    who5_high_at_or_below: int = Field(7, strict=True, ge=0, le=25)
    # WHO-5 raw score (0-25) below which the answer is a medium concern.
    who5_medium_below: int = Field(13, strict=True, ge=0, le=25)
    # Drop in WHO-5 percentage points since the last check-in that is a medium concern.
    who5_drop_points: int = Field(10, strict=True, ge=1, le=100)
    # Burnout answer (1-5) at or above which the answer is a high concern.
    burnout_high_at_or_above: int = Field(4, strict=True, ge=1, le=5)

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Self:
        if self.missed_after_hours <= self.remind_after_hours:
            raise ValueError(
                f"missed_after_hours ({self.missed_after_hours}) must be greater than "
                f"remind_after_hours ({self.remind_after_hours}): "
                "a check-in is reminded before it counts as missed"
            )
        if self.who5_medium_below <= self.who5_high_at_or_below:
            raise ValueError(
                f"who5_medium_below ({self.who5_medium_below}) must be greater than "
                f"who5_high_at_or_below ({self.who5_high_at_or_below})"
            )
        return self
