"""The program summary as a phone-sized message (Telegram HTML): /stats and the weekly digest.

Counts and medians only; every label comes from the text catalogue.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.services.program_view.statistics import ProgramStats, WindowStats, program_stats
from peerbot.storage import audit
from peerbot.storage.enums import EscalationCategory, EscalationSeverity
from peerbot.storage.models import Person

SEVERITY_ORDER = tuple(EscalationSeverity)
CATEGORY_ORDER = tuple(EscalationCategory)

TextsLookup = Callable[..., str]  # (key, **values) -> the text in the readers' language


def stats_summary(texts_lookup: TextsLookup, stats: ProgramStats) -> str:
    """The summary: a block per subject, each figure as "label: 7 days · 30 days"."""
    t = texts_lookup
    windows = stats.windows
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


async def summary_for(ctx: ServiceContext) -> str:
    """The summary of the last 7 and 30 days at ``ctx.now``, in the program's language."""
    stats = await program_stats(ctx)
    return stats_summary(partial(coordinators.text, ctx), stats)


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


def _bands(window: WindowStats) -> str:
    return f"{window.who5_good}/{window.who5_low}/{window.who5_very_low}"


def _escalation_order(kind: tuple[str, str]) -> tuple[int, int]:
    category, severity = kind
    return (_position(SEVERITY_ORDER, severity), _position(CATEGORY_ORDER, category))


def _position(order: tuple[str, ...], value: str) -> int:
    return order.index(value) if value in order else len(order)
