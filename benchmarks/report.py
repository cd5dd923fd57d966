"""How every benchmark reports: a small table for people, then one line of JSON for tools.

    table("fan-out", [("supporters", 10000), ("total s", 341.2)], targets={"total s": "< 350"})
    figures("fanout", {"supporters": 10000, "total_s": 341.2})   # always the last line
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of values lie (nearest rank); nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median, or nan when there is nothing to measure."""
    return statistics.median(values) if values else math.nan


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(
    title: str,
    rows: Iterable[tuple[object, ...]],
    header: tuple[str, ...] = ("figure", "value"),
) -> None:
    """Print rows as aligned columns under a title."""
    cells = [tuple(_cell(v) for v in row) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    sys.stdout.write("\n".join(lines) + "\n\n")


def figures(benchmark: str, values: dict[str, object]) -> None:
    """Print the benchmark's figures as one line of JSON (the output's last line)."""
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}
    sys.stdout.write(json.dumps({"benchmark": benchmark, **clean}, sort_keys=False) + "\n")
    sys.stdout.flush()
