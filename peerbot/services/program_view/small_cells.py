"""The small-cell rule of the report: in a small program a weekly count of 1 or 2 can point at
one person, so a count above 0 and below `report.smallest_count` (program.yaml, default 5)
is printed as "<5", and a median or rate worked out from so few is left empty. Charts draw
such counts as 0 and leave such medians out, and say so in their captions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from peerbot.services.program_view.weekly import WeekFigures

#: Table columns that count people or their records.
COUNTS = frozenset(
    {
        "requests",
        "matches",
        "escalations",
        "requests_new",
        "requests_waiting",
        "requests_matched",
        "requests_closed",
        "matches_approved",
        "checkins_due",
        "checkins_answered",
        "who5_good",
        "who5_low",
        "who5_very_low",
        "requests_reached",
        "satisfaction_checkins",
        "survey_satisfaction_answers",
        "followups_fine",
        "followups_not_well",
        "followups_change",
        "followups_coordinator",
        "followups_missed",
        "reviews_continue",
        "reviews_end",
    }
)
#: A median or rate, and the count it is worked out from.
DERIVED = {
    "median_hours_to_match": "matches_approved",
    "median_hours_to_first_contact": "matches_approved",
    "checkin_completion_rate": "checkins_due",
    "median_minutes_to_claim": "escalations",
    "median_hours_to_reach": "requests_reached",
    "median_satisfaction_checkin": "satisfaction_checkins",
    "median_survey_satisfaction": "survey_satisfaction_answers",
}
#: Counts kept by kind (a week's escalations, requests by source, matches by end reason).
BY_KIND = ("escalations", "referrals", "end_reasons")


def is_small(count: int, smallest: int) -> bool:
    return 0 < count < smallest


def hidden_rows(rows: Iterable[dict[str, Any]], smallest: int) -> list[dict[str, Any]]:
    """Table rows with small counts printed as "<N" and their medians and rates emptied."""
    shown = []
    for row in rows:
        cells = dict(row)
        for column, base in DERIVED.items():
            if column in cells and is_small(int(row.get(base) or 0), smallest):
                cells[column] = None
        for column in COUNTS & cells.keys():
            if is_small(int(row[column] or 0), smallest):
                cells[column] = f"<{smallest}"
        shown.append(cells)
    return shown


def hidden_week(week: WeekFigures, smallest: int) -> WeekFigures:
    """A week as a chart may draw it: small counts as 0, medians of small counts left out."""
    stats = week.stats
    fields = {field.name for field in dataclasses.fields(stats)}
    plain_counts = (COUNTS & fields) - set(BY_KIND)
    changes: dict[str, Any] = {
        name: 0 for name in plain_counts if is_small(getattr(stats, name), smallest)
    }
    for name in BY_KIND:
        changes[name] = {
            key: 0 if is_small(count, smallest) else count
            for key, count in getattr(stats, name).items()
        }
    for column, base in DERIVED.items():
        counted = stats.escalations_total if base == "escalations" else getattr(stats, base)
        if column in fields and is_small(counted, smallest):
            changes[column] = None
    return dataclasses.replace(week, stats=dataclasses.replace(stats, **changes))
