"""Charts of the program's weekly figures as PNG, drawn by matplotlib in a child process.

Why a process: matplotlib (with numpy and its fonts) would stay in the bot's memory for good
once imported, for a picture drawn once a week. The child gets plain lists as JSON on its
standard input, writes the PNGs (pickled, parent and child being the same program) to its
standard output and exits; the bot never imports matplotlib.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from peerbot.services.common.child_process import start_module

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX = 1080  # a phone screen's width: Telegram shows the picture without scaling it down
HEIGHT_PX = 1350
DPI = 100
FONT_SIZE = 22
MOST_LABELS = 16  # week labels that fit under a phone-wide chart at that size
DRAW_TIMEOUT_SECONDS = 120.0


class ChartFailed(Exception):
    """The drawing process ended without pictures."""


@dataclass(frozen=True)
class ActivityChart:
    """Requests and matches per week as bars, the median minutes to claim as a line."""

    title: str
    weeks: list[str]  # one label per week, e.g. its first day
    requests: list[int]
    matches: list[int]
    claim_minutes: list[float | None]  # None: no escalation claimed that week
    requests_label: str
    matches_label: str
    claim_title: str
    minutes_label: str
    no_claims_label: str
    kind: str = "activity"


@dataclass(frozen=True)
class WellbeingChart:
    """Supporters' WHO-5 bands per week as stacked bars, the check-in completion rate below."""

    title: str
    weeks: list[str]
    due: list[int]
    answered: list[int]
    good: list[int]
    low: list[int]
    very_low: list[int]
    good_label: str
    low_label: str
    very_low_label: str
    rate_title: str
    kind: str = "wellbeing"


Chart = ActivityChart | WellbeingChart


async def draw(charts: Sequence[Chart]) -> list[bytes]:
    """Return one PNG per chart, drawn in a child process."""
    child = await start_module(__name__)
    request = json.dumps([asdict(chart) for chart in charts]).encode()
    try:
        out, err = await asyncio.wait_for(child.communicate(request), DRAW_TIMEOUT_SECONDS)
    except TimeoutError:
        child.kill()
        await child.wait()
        raise ChartFailed(f"no pictures after {DRAW_TIMEOUT_SECONDS:.0f} s") from None
    if child.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise ChartFailed(f"exit status {child.returncode}: {last[0]}")
    pictures = pickle.loads(out)  # noqa: S301 - our own child's answer
    assert isinstance(pictures, list) and len(pictures) == len(charts)
    return pictures


async def draw_one(chart: Chart) -> bytes:
    """One chart's PNG (see draw)."""
    return (await draw([chart]))[0]


# -- the child's side: everything below runs only in the drawing process ---------------------


def _render(spec: dict[str, Any]) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    figure.suptitle(spec["title"], fontsize=FONT_SIZE + 6, fontweight="bold")
    if spec["kind"] == "activity":
        _activity(top, bottom, spec)
    else:
        _wellbeing(top, bottom, spec)
    _week_axis(bottom, spec["weeks"])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _activity(bars: Axes, line: Axes, spec: dict[str, Any]) -> None:
    positions = list(range(len(spec["weeks"])))
    width = 0.4
    bars.bar(
        [p - width / 2 for p in positions],
        spec["requests"],
        width,
        label=spec["requests_label"],
        color="#3b6fb6",
    )
    bars.bar(
        [p + width / 2 for p in positions],
        spec["matches"],
        width,
        label=spec["matches_label"],
        color="#e08a2c",
    )
    _counts_axis(bars, max([*spec["requests"], *spec["matches"], 0]))
    bars.legend(fontsize=FONT_SIZE, loc="upper left", frameon=False, ncols=2)
    minutes = [float("nan") if m is None else m for m in spec["claim_minutes"]]
    line.plot(positions, minutes, marker="o", markersize=12, linewidth=4, color="#b63b3b")
    line.set_title(spec["claim_title"], fontsize=FONT_SIZE + 2, loc="left")
    line.set_ylabel(spec["minutes_label"], fontsize=FONT_SIZE)
    known = [m for m in spec["claim_minutes"] if m is not None]
    line.set_ylim(0, max([*known, 10.0]) * 1.2)
    if not known:
        line.text(
            0.5,
            0.5,
            spec["no_claims_label"],
            transform=line.transAxes,
            ha="center",
            va="center",
            fontsize=FONT_SIZE,
            color="#555555",
        )
    _style(bars)
    _style(line)


def _wellbeing(bars: Axes, rate: Axes, spec: dict[str, Any]) -> None:
    positions = list(range(len(spec["weeks"])))
    bottom = [0] * len(positions)
    for key, color in (("good", "#3f9a5a"), ("low", "#e0b12c"), ("very_low", "#c0392b")):
        bars.bar(positions, spec[key], 0.6, bottom=bottom, label=spec[f"{key}_label"], color=color)
        bottom = [b + v for b, v in zip(bottom, spec[key], strict=True)]
    _counts_axis(bars, max([*bottom, 0]))
    bars.legend(fontsize=FONT_SIZE - 2, loc="upper left", frameon=False, ncols=3)
    percent = [
        float("nan") if due == 0 else 100 * done / due
        for done, due in zip(spec["answered"], spec["due"], strict=True)
    ]
    rate.plot(positions, percent, marker="o", markersize=12, linewidth=4, color="#3b6fb6")
    rate.set_ylim(0, 105)
    rate.set_title(spec["rate_title"], fontsize=FONT_SIZE + 2, loc="left")
    rate.set_ylabel("%", fontsize=FONT_SIZE)
    _style(bars)
    _style(rate)


def _counts_axis(axes: Axes, highest: float) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_ylim(0, max(highest, 1) * 1.3)  # room for the legend above the bars
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))


def _week_axis(axes: Axes, weeks: list[str]) -> None:
    step = max(1, -(-len(weeks) // MOST_LABELS))  # a long report labels every n-th week
    labels = [week if i % step == 0 else "" for i, week in enumerate(weeks)]
    axes.set_xticks(range(len(weeks)), labels, rotation=60, ha="right")
    axes.set_xlim(-0.6, len(weeks) - 0.4)


def _style(axes: Axes) -> None:
    axes.tick_params(labelsize=FONT_SIZE)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    specs = json.load(sys.stdin)
    sys.stdout.buffer.write(pickle.dumps([_render(spec) for spec in specs]))


if __name__ == "__main__":
    _main()
