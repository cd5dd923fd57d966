"""Matching reasons in plain words ("both know grief; both speak Spanish; 2 h apart").

Reasons are stored on a match as codes and values, and put into words only when shown, in
the reader's language: coordinators on a card, the two people in their introduction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from peerbot.dialogs.checkin_schedule import time_zone_of
from peerbot.dialogs.matching.model import Candidate, Need, Reason
from peerbot.dialogs.matching.score import violations as violations_of
from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators

# Which text keys name each value of a reason.
LABELS = {
    "topics": "intake.topics.{}",
    "languages": "intake.languages.{}",
    "formats": "intake.channels.{}",
    "times": "intake.availability.{}",
    "gender": "supporter.gender.{}",
}
LABEL_OVERRIDES = {"intake.channels.group": "supporter.formats.group"}
# What two people are told they share when they are introduced.
IN_COMMON = ("shared_experience", "shared_language", "same_time_zone", "shared_availability")
SHOWN_SHORTFALLS = 3


def stored(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    """Reasons as JSON for the matches table."""
    return [
        {"code": reason.code, **{k: _plain(v) for k, v in reason.values}} for reason in reasons
    ]


def reasons(
    ctx: ServiceContext, kept: Sequence[Mapping[str, Any]], locale: str | None = None
) -> str:
    """Stored reasons in words, most important first."""
    locale = locale or coordinators.coordinator_locale(ctx)
    return "; ".join(_words(ctx, reason, locale) for reason in kept) or "—"


def in_common(ctx: ServiceContext, kept: Sequence[Mapping[str, Any]], locale: str) -> str:
    """What an introduction tells both people they share."""
    shared = [reason for reason in kept if reason.get("code") in IN_COMMON]
    return reasons(ctx, shared, locale)


def violations(ctx: ServiceContext, codes: Iterable[str]) -> str:
    """Why a supporter cannot take a request, in the coordinators' words."""
    return ", ".join(coordinators.text(ctx, f"violation.{code}") for code in codes)


def shortfall(ctx: ServiceContext, need: Need, pool: Sequence[Candidate]) -> str:
    """Why nobody fits: the commonest reasons across all supporters, with how many."""
    if not pool:
        return coordinators.text(ctx, "violation.no_supporters")
    counts = Counter(code for candidate in pool for code in violations_of(need, candidate))
    return ", ".join(
        f"{coordinators.text(ctx, f'violation.{code}')} ({count})"
        for code, count in counts.most_common(SHOWN_SHORTFALLS)
    )


def labels(ctx: ServiceContext, kind: str, values: Iterable[str], locale: str) -> str:
    """Option ids as their labels, e.g. topics ("grief",) as "Grief or loss"."""
    template = LABELS[kind]
    texts = ctx.program.texts
    words = []
    for value in values:
        key = template.format(value)
        key = LABEL_OVERRIDES.get(key, key)
        words.append(texts.get(key, locale) if texts.has(key) else value)
    return ", ".join(words) or "—"


def clock(ctx: ServiceContext) -> str:
    """Now, as the coordinators read the time."""
    return ctx.now.astimezone(time_zone_of(ctx.settings.timezone)).strftime("%H:%M")


def _words(ctx: ServiceContext, reason: Mapping[str, Any], locale: str) -> str:
    values = {
        name: labels(ctx, name, value if isinstance(value, list) else [value], locale)
        if name in LABELS
        else value
        for name, value in reason.items()
        if name != "code"
    }
    key = f"reason.{reason.get('code')}"
    return ctx.program.texts.get(key, locale, **values) if ctx.program.texts.has(key) else key


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
