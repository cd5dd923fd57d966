"""Charts drawn in a child process: phone-sized PNGs, empty weeks included, no matplotlib here."""

from __future__ import annotations

import io
import sys

import pytest
from PIL import Image

from peerbot.services.program_view import charts
from peerbot.services.program_view.charts import ActivityChart, WellbeingChart

WEEKS = [f"{day} Jan" for day in range(1, 13)]


def activity(**changes: object) -> ActivityChart:
    values: dict[str, object] = {
        "title": "Last 12 weeks",
        "weeks": WEEKS,
        "requests": [3, 0, 5, 2, 0, 0, 7, 1, 2, 3, 4, 10],
        "matches": [1, 0, 2, 2, 0, 0, 3, 1, 1, 2, 2, 5],
        "claim_minutes": [12.5, None, 30, None, None, None, 4, None, 8, 90, None, 15],
        "requests_label": "Requests",
        "matches_label": "Matches",
        "claim_title": "Median time to claim",
        "minutes_label": "minutes",
        "no_claims_label": "No escalation claimed",
    }
    return ActivityChart(**{**values, **changes})  # type: ignore[arg-type]


def opened(picture: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(picture))
    image.load()
    return image


async def test_charts_are_phone_wide_pngs_and_matplotlib_stays_out_of_this_process() -> None:
    empty = activity(requests=[0] * 12, matches=[0] * 12, claim_minutes=[None] * 12)
    wellbeing = WellbeingChart(
        title="Check-ins",
        weeks=WEEKS,
        due=[2] * 12,
        answered=[1] * 12,
        good=[1] * 12,
        low=[0] * 12,
        very_low=[0] * 12,
        good_label="good",
        low_label="low",
        very_low_label="very low",
        rate_title="Answered (%)",
    )

    pictures = await charts.draw([activity(), empty, wellbeing])

    for picture in pictures:
        image = opened(picture)
        assert image.format == "PNG"
        assert image.size == (charts.WIDTH_PX, charts.HEIGHT_PX) == (1080, 1350)
        assert image.mode in ("RGB", "RGBA")
        darkest, lightest = image.convert("L").getextrema()
        assert darkest < 100 < lightest, "something is drawn on a light background"
    assert "matplotlib" not in sys.modules


async def test_a_long_range_and_a_single_week_draw_too() -> None:
    weeks = [f"W{n}" for n in range(1, 54)]
    long = activity(weeks=weeks, requests=[1] * 53, matches=[0] * 53, claim_minutes=[None] * 53)
    single = activity(weeks=["4 Jan"], requests=[1], matches=[1], claim_minutes=[3.0])

    for picture in await charts.draw([long, single]):
        assert opened(picture).size == (1080, 1350)


async def test_a_child_that_cannot_draw_is_reported() -> None:
    with pytest.raises(charts.ChartFailed, match="exit status 1"):
        await charts.draw_one(activity(requests=[1, 2]))  # 12 weeks, two bars
