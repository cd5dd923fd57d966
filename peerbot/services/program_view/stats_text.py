"""The program summary as a phone-sized message (Telegram HTML): /stats and the weekly digest.

Counts and medians only; every label comes from the text catalogue. The digest, which stays
in the group's history, hides the small counts of the participants' follow-up figures as the
report does (small_cells.py); /stats, asked for there and then, shows them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.services.program_view.small_cells import is_small
from peerbot.services.program_view.statistics import (
    DIRECT,
    ProgramStats,
    WindowStats,
    program_stats,
)
from peerbot.storage import audit
from peerbot.storage.enums import EscalationCategory, EscalationSeverity
from peerbot.storage.models import Person

SEVERITY_ORDER = tuple(EscalationSeverity)
CATEGORY_ORDER = tuple(EscalationCategory)

TextsLookup = Callable[..., str]  # (key, **values) -> the text in the readers' language
MOST_SOURCES = 3  # referral sources named on a line; the rest are summed as "other"


def stats_summary(
    texts_lookup: TextsLookup, stats: ProgramStats, *, smallest: int | None = None
) -> str:
    """The summary: a block per subject, each figure as "label: 7 days · 30 days".

    With ``smallest``, the follow-up figures show a count above 0 and below it as "<N" and
    leave a median of so few out.
    """
    t = texts_lookup
    windows = stats.windows
    cells = _Cells(smallest)
    lines = [
        _bold(t("stats.title")),
        _escape(" · ".join(t("stats.days", days=_days(window)) for window in windows)),
        "",
        _bold(t("stats.requests")),
    ]
    for group in ("new", "waiting", "matched", "closed"):
        lines.append(
            _row(t(f"stats.requests_{group}"), (_of(w, f"requests_{group}") for w in windows))
        )
    lines.append(_row(t("stats.matches_approved"), (w.matches_approved for w in windows)))
    lines.append(_row(t("stats.to_match"), (_hours(t, w.median_hours_to_match) for w in windows)))
    lines.append(
        _row(t("stats.to_contact"), (_hours(t, w.median_hours_to_first_contact) for w in windows))
    )
    lines.append(
        _row(
            t("stats.to_reach"),
            (
                _hours(t, cells.median(w.median_hours_to_reach, w.requests_reached))
                for w in windows
            ),
        )
    )
    lines.append(_row(t("stats.referrals"), _referrals(t, cells, windows)))
    lines += _how_support_is_going(t, cells, windows)
    lines += _endings(t, cells, windows)
    lines += ["", _bold(t("stats.checkins"))]
    lines.append(_row(t("stats.checkins_answered"), (_completion(t, w) for w in windows)))
    lines.append(_row(t("stats.who5"), (_bands(w) for w in windows)))
    lines += ["", _bold(t("stats.escalations"))]
    kinds = sorted({kind for w in windows for kind in w.escalations}, key=_escalation_order)
    for category, severity in kinds:
        label = t(
            "stats.escalation_kind",
            category=t(f"category.{category}"),
            severity=t(f"severity.{severity}"),
        )
        lines.append(_row(label, (w.escalations.get((category, severity), 0) for w in windows)))
    if not kinds:
        lines.append(_escape(t("stats.escalations_none")))
    lines.append(
        _row(t("stats.to_claim"), (_minutes(t, w.median_minutes_to_claim) for w in windows))
    )
    if any(w.cards_undelivered for w in windows):
        lines.append(_row(t("stats.cards_undelivered"), (w.cards_undelivered for w in windows)))
    now = stats.current
    lines += ["", _bold(t("stats.now"))]
    lines.append(_row(t("stats.active_matches"), [now.active_matches]))
    supporters = (now.supporters_active, now.supporters_on_break, now.supporters_at_capacity)
    lines.append(_row(t("stats.supporters"), [" / ".join(map(str, supporters))]))
    lines.append(_row(t("stats.unclaimed"), [now.escalations_unclaimed]))
    lines.append(_row(t("stats.outbox_failed"), [now.outbox_failed]))
    return "\n".join(lines)


async def summary_for(ctx: ServiceContext, *, hide_small: bool = False) -> str:
    """The summary of the last 7 and 30 days at ``ctx.now``, in the program's language;
    ``hide_small``: the follow-up figures by the report's small-count rule."""
    stats = await program_stats(ctx)
    smallest = ctx.program.policy.report.smallest_count if hide_small else None
    return stats_summary(partial(coordinators.text, ctx), stats, smallest=smallest)


async def stats_reply(ctx: ServiceContext, coordinator: Person) -> Reply:
    """/stats: the summary for the coordinator who asked (audited: who looked, not what)."""
    text = await summary_for(ctx)
    await audit.record(ctx.session, "stats.viewed", now=ctx.now, actor_id=coordinator.id)
    reply = Reply(coordinators.coordinator_locale(ctx))
    return reply.add(Text(text=text, html=True))


def _row(label: str, values: Iterable[object]) -> str:
    return _escape(f"{label}: " + " · ".join(str(value) for value in values))


def _bold(text: str) -> str:
    return f"<b>{_escape(text)}</b>"


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _of(window: WindowStats, name: str) -> Any:
    return getattr(window, name)


def _days(window: WindowStats) -> int:
    return round((window.end - window.start).total_seconds() / 86400)


def _number(value: float) -> str:
    """One decimal at most: 12, 12.5."""
    return f"{value:.1f}".removesuffix(".0")


def _hours(t: TextsLookup, value: float | None) -> str:
    return t("stats.none") if value is None else t("stats.hours", value=_number(value))


def _minutes(t: TextsLookup, value: float | None) -> str:
    return t("stats.none") if value is None else t("stats.minutes", value=_number(value))


def _completion(t: TextsLookup, window: WindowStats) -> str:
    rate = window.checkin_completion_rate
    if rate is None:
        return t("stats.none")
    return f"{window.checkins_answered}/{window.checkins_due} ({round(rate * 100)}%)"


@dataclass(frozen=True)
class _Cells:
    """How a count and a median are shown: as they are, or by the small-count rule."""

    smallest: int | None

    def count(self, value: int) -> str:
        if self.smallest is not None and is_small(value, self.smallest):
            return f"<{self.smallest}"
        return str(value)

    def median(self, value: float | None, counted: int) -> float | None:
        if self.smallest is not None and is_small(counted, self.smallest):
            return None
        return value


def _how_support_is_going(
    t: TextsLookup, cells: _Cells, windows: Sequence[WindowStats]
) -> list[str]:
    """Satisfaction two weeks in and at the end, "how is it going?" and reviews."""
    followups = (
        "/".join(
            cells.count(n)
            for n in (
                w.followups_fine,
                w.followups_not_well,
                w.followups_change,
                w.followups_coordinator,
                w.followups_missed,
            )
        )
        for w in windows
    )
    reviews = (
        "/".join(cells.count(n) for n in (w.reviews_continue, w.reviews_end)) for w in windows
    )
    return [
        "",
        _bold(t("stats.followup")),
        _row(
            t("stats.satisfaction_checkin"),
            (
                _score(t, cells, w.median_satisfaction_checkin, w.satisfaction_checkins)
                for w in windows
            ),
        ),
        _row(
            t("stats.satisfaction_survey"),
            (
                _score(t, cells, w.median_survey_satisfaction, w.survey_satisfaction_answers)
                for w in windows
            ),
        ),
        _row(t("stats.followups"), followups),
        _row(t("stats.reviews"), reviews),
    ]


def _endings(t: TextsLookup, cells: _Cells, windows: Sequence[WindowStats]) -> list[str]:
    """Matches ended, a line per reason stored."""
    lines = ["", _bold(t("stats.ended"))]
    reasons = sorted({reason for w in windows for reason in w.end_reasons})
    for reason in reasons:
        counts = (cells.count(w.end_reasons.get(reason, 0)) for w in windows)
        lines.append(_row(_end_reason(t, reason), counts))
    if not reasons:
        lines.append(_escape(t("stats.ended_none")))
    return lines


def _score(t: TextsLookup, cells: _Cells, median: float | None, count: int) -> str:
    """A satisfaction median out of 5 and how many answers it is of, e.g. "4.5/5 (n=6)"."""
    shown = cells.median(median, count)
    if count == 0:
        return t("stats.none")
    if shown is None:  # too few answers to show what they said
        return f"{t('stats.none')} (n={cells.count(count)})"
    return t("stats.score", value=_number(shown), count=count)


def _referrals(t: TextsLookup, cells: _Cells, windows: Sequence[WindowStats]) -> list[str]:
    """Each window's requests by source, the most frequent (over the longest window) first."""
    longest = windows[-1].referrals if windows else {}
    order = sorted(
        {source for w in windows for source in w.referrals},
        key=lambda source: (-longest.get(source, 0), source != DIRECT, source),
    )
    named, rest = order[:MOST_SOURCES], order[MOST_SOURCES:]
    shown = []
    for window in windows:
        parts = [
            f"{_source(t, source)} {cells.count(window.referrals[source])}"
            for source in named
            if window.referrals.get(source)
        ]
        other = sum(window.referrals.get(source, 0) for source in rest)
        if other:
            parts.append(f"{t('stats.referrals_other')} {cells.count(other)}")
        shown.append(", ".join(parts) or "0")
    return shown


def _source(t: TextsLookup, source: str) -> str:
    return t("referral.none") if source == DIRECT else source


def _end_reason(t: TextsLookup, reason: str) -> str:
    """The reason's label (texts ``end_reason.<reason>``); a reason without one as itself."""
    try:
        return t(f"end_reason.{reason}")
    except KeyError:
        return reason


def _bands(window: WindowStats) -> str:
    return f"{window.who5_good}/{window.who5_low}/{window.who5_very_low}"


def _escalation_order(kind: tuple[str, str]) -> tuple[int, int]:
    category, severity = kind
    return (_position(SEVERITY_ORDER, severity), _position(CATEGORY_ORDER, category))


def _position(order: tuple[str, ...], value: str) -> int:
    return order.index(value) if value in order else len(order)
