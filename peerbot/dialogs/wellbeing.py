"""Scoring a supporter's well-being check-in (WHO-5 and a burnout item) into concerns.

Pure: thresholds come from the program's CheckinPolicy; the free-text note is screened elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from peerbot.dialogs.checkin_policy import CheckinPolicy

WHO5_ITEMS = ("who5_1", "who5_2", "who5_3", "who5_4", "who5_5")
_SEVERITY_RANK = {"medium": 1, "high": 2}


@dataclass(frozen=True)
class Concern:
    """One reason a check-in should reach a coordinator."""

    category: str  # the escalation category: always "burnout" for check-ins
    severity: str  # "high" or "medium"
    reason: str  # a stable code, e.g. "who5_very_low", "burnout_high", "contact_requested"


@dataclass(frozen=True)
class WellbeingScore:
    """A scored check-in: the WHO-5 raw score and percentage, its band and any concerns."""

    raw: int  # WHO-5 raw score, 0..25
    percentage: int  # raw * 4, 0..100
    band: str  # "very_low", "low" or "good"
    burnout: int | None  # the burnout answer, 1..5, if given
    concerns: tuple[Concern, ...]  # high ones first

    @property
    def severity(self) -> str | None:
        """The highest severity among the concerns; None when there are none."""
        severities = [concern.severity for concern in self.concerns]
        return max(severities, key=_SEVERITY_RANK.__getitem__) if severities else None


def band_of(percentage: int, *, policy: CheckinPolicy) -> str:
    """Name the WHO-5 band of a percentage score by the program's thresholds."""
    if percentage <= policy.who5_high_at_or_below * 4:
        return "very_low"
    if percentage < policy.who5_medium_below * 4:
        return "low"
    return "good"


def score(
    answers: Mapping[str, Any], *, previous_percentage: int | None, policy: CheckinPolicy
) -> WellbeingScore:
    """Score a check-in's answers; missing or out-of-range WHO-5 items raise ValueError."""
    raw = sum(_answer(answers, key, low=0, high=5) for key in WHO5_ITEMS)
    percentage = raw * 4
    band = band_of(percentage, policy=policy)
    burnout = _answer(answers, "burnout", low=1, high=5) if "burnout" in answers else None

    high: list[str] = []
    medium: list[str] = []
    if band == "very_low":
        high.append("who5_very_low")
    if burnout is not None and burnout >= policy.burnout_high_at_or_above:
        high.append("burnout_high")
    if band == "low":  # a very low score is already a high concern
        medium.append("who5_low")
    if previous_percentage is not None and (
        previous_percentage - percentage >= policy.who5_drop_points
    ):
        medium.append("who5_drop")
    if answers.get("contact") == "yes":
        medium.append("contact_requested")

    concerns = tuple(Concern("burnout", "high", reason) for reason in high) + tuple(
        Concern("burnout", "medium", reason) for reason in medium
    )
    return WellbeingScore(raw, percentage, band, burnout, concerns)


def _answer(answers: Mapping[str, Any], key: str, *, low: int, high: int) -> int:
    if key not in answers:
        raise ValueError(f"the check-in has no answer for {key}")
    value = answers[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key} must be a whole number from {low} to {high} (got {value!r})")
    return value
