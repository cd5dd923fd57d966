"""`peerbot report`: de-identified weekly tables (CSV) and one self-contained HTML page.

Counts and medians only: no pseudonyms, names, Telegram ids or free text are read. Totals
count everyone; every breakdown (statuses, medians, WHO-5 bands, escalation categories,
satisfaction, follow-up answers, referral sources, reasons for ending) counts only people
whose newest evaluation consent is granted and not withdrawn. Small counts are hidden
(small_cells.py).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from peerbot.services.common.context import ServiceContext
from peerbot.services.program_view import charts
from peerbot.services.program_view.digest import activity_chart, day_label
from peerbot.services.program_view.export import CSV_BOM
from peerbot.services.program_view.small_cells import hidden_rows, hidden_week
from peerbot.services.program_view.weekly import WeekFigures, iso_weeks, weekly_figures
from peerbot.storage import audit

LOCALE = "en"  # the report is written for a funder or a board, in English
TOTALS_FILE = "totals.csv"
WEEKLY_FILE = "weekly.csv"
ESCALATIONS_FILE = "escalations.csv"
REFERRALS_FILE = "referrals.csv"
ENDINGS_FILE = "endings.csv"
HTML_FILE = "report.html"
FILES = (TOTALS_FILE, WEEKLY_FILE, ESCALATIONS_FILE, REFERRALS_FILE, ENDINGS_FILE, HTML_FILE)

WEEK_COLUMNS = ("week", "first_day", "last_day")
TOTALS_COLUMNS = (
    *WEEK_COLUMNS,
    "requests",
    "matches",
    "escalations",
    "checkins_due",
    "checkins_answered",
)
WEEKLY_COLUMNS = (
    *WEEK_COLUMNS,
    "requests_new",
    "requests_waiting",
    "requests_matched",
    "requests_closed",
    "matches_approved",
    "median_hours_to_match",
    "median_hours_to_first_contact",
    "checkins_due",
    "checkins_answered",
    "checkin_completion_rate",
    "who5_good",
    "who5_low",
    "who5_very_low",
    "escalations",
    "median_minutes_to_claim",
    "requests_reached",
    "median_hours_to_reach",
    "satisfaction_checkins",
    "median_satisfaction_checkin",
    "survey_satisfaction_answers",
    "median_survey_satisfaction",
    "followups_fine",
    "followups_not_well",
    "followups_change",
    "followups_coordinator",
    "followups_missed",
    "reviews_continue",
    "reviews_end",
)
ESCALATION_COLUMNS = (*WEEK_COLUMNS, "category", "severity", "escalations")
REFERRAL_COLUMNS = (*WEEK_COLUMNS, "referral_source", "requests")
ENDING_COLUMNS = (*WEEK_COLUMNS, "end_reason", "matches")

EXPLANATIONS = {
    TOTALS_FILE: "Everyone counts here: support requests made, matches approved, escalations "
    "raised and supporters' well-being check-ins due and answered, per week.",
    WEEKLY_FILE: "Only people who consented to evaluation use count here: the requests made "
    "that week by their status today, matches approved, the median hours from a request to "
    "its first approved match and from an accepted match to the first contact, check-ins "
    "due and answered with their WHO-5 bands, escalations raised and the median minutes "
    "until one was claimed. Then, of that week's requests, those whose participant a "
    "supporter has reached and the median hours from the request to that first contact; "
    "participants' satisfaction (1 to 5) two weeks into a match (check-ins due that week) "
    "and when their support ended (survey answers given that week), each as how many "
    "answered and the median (a median, not a mean: the scale is ordered, not measured, "
    "and one answer would pull a mean of a few far); participants' answers to \"how is it "
    'going with your supporter?" (check-ins due that week: fine, not so well, would like a '
    "change, would like to talk to a coordinator, or missed) and to the review at the planned "
    "length of support (continue or end). An empty cell: nothing to measure that week.",
    ESCALATIONS_FILE: "Only people who consented to evaluation use count here: escalations "
    "raised per week by category and severity (weeks without any are left out).",
    REFERRALS_FILE: "Only people who consented to evaluation use count here: support requests "
    "made per week by where the participant came from (the link they started the bot with; "
    "direct: none). Weeks without any are left out.",
    ENDINGS_FILE: "Only people who consented to evaluation use count here: matches that ended "
    "per week by the reason recorded (unrecorded: none). Weeks without any are left out.",
}


@dataclass(frozen=True)
class ReportFigures:
    """What the report shows: each week for everyone, and for the consenting only."""

    totals: list[WeekFigures]
    consenting: list[WeekFigures]


async def read_figures(ctx: ServiceContext, first: date, last: date) -> ReportFigures:
    """Every ISO week from `first` to `last` (local dates), both ways (caller's transaction)."""
    spans = iso_weeks(first, last, ctx.settings.zone)
    return ReportFigures(
        totals=await weekly_figures(ctx, spans),
        consenting=await weekly_figures(ctx, spans, evaluation_only=True),
    )


@dataclass(frozen=True)
class Reading:
    """What the report is written from: the figures and the charts to draw of them."""

    first: date
    last: date
    figures: ReportFigures
    pictures: list[charts.Chart]
    smallest: int  # counts above 0 and below this are hidden


async def read(ctx: ServiceContext, first: date, last: date) -> Reading:
    """Read the figures of the weeks from `first` to `last` (the caller's transaction)."""
    figures = await read_figures(ctx, first, last)
    smallest = ctx.program.policy.report.smallest_count
    drawn = ReportFigures(
        totals=[hidden_week(week, smallest) for week in figures.totals],
        consenting=[hidden_week(week, smallest) for week in figures.consenting],
    )
    return Reading(first, last, figures, _charts(ctx, drawn, first, last), smallest)


async def write_files(reading: Reading, out_dir: Path, written: list[Path]) -> None:
    """Draw the charts and write the report's files into `out_dir`, adding each to `written`
    as it lands (so a report that fails midway is audited with what it wrote)."""
    drawn = await charts.draw(reading.pictures)
    tables = {
        name: hidden_rows(rows, reading.smallest)
        for name, rows in _tables(reading.figures).items()
    }
    for name, rows in tables.items():
        written.append(_write(out_dir / name, _csv(rows, COLUMNS[name])))
    pictures = list(zip(reading.pictures, drawn, strict=True))
    page = _html(reading.first, reading.last, tables, pictures, reading.smallest)
    written.append(_write(out_dir / HTML_FILE, page))


async def record(
    ctx: ServiceContext, first: date, last: date, written: Sequence[Path], *, complete: bool
) -> None:
    """Audit the report: which weeks, which files, and whether it was finished."""
    await audit.record(
        ctx.session,
        "data.reported",
        now=ctx.now,
        first=first.isoformat(),
        last=last.isoformat(),
        files=[path.name for path in written],
        complete=complete,
    )


def _tables(figures: ReportFigures) -> dict[str, list[dict[str, Any]]]:
    return {
        TOTALS_FILE: [_totals_row(week) for week in figures.totals],
        WEEKLY_FILE: [_weekly_row(week) for week in figures.consenting],
        ESCALATIONS_FILE: [
            {**_week_cells(week), "category": category, "severity": severity, "escalations": n}
            for week in figures.consenting
            for (category, severity), n in sorted(week.stats.escalations.items())
        ],
        REFERRALS_FILE: [
            {**_week_cells(week), "referral_source": source, "requests": n}
            for week in figures.consenting
            for source, n in sorted(week.stats.referrals.items())
        ],
        ENDINGS_FILE: [
            {**_week_cells(week), "end_reason": reason, "matches": n}
            for week in figures.consenting
            for reason, n in sorted(week.stats.end_reasons.items())
        ],
    }


def _week_cells(week: WeekFigures) -> dict[str, Any]:
    return {
        "week": week.span.iso_week,
        "first_day": week.span.start.date().isoformat(),
        "last_day": (week.span.end - timedelta(days=1)).date().isoformat(),
    }


def _totals_row(week: WeekFigures) -> dict[str, Any]:
    s = week.stats
    return {
        **_week_cells(week),
        "requests": week.requests,
        "matches": week.matches,
        "escalations": week.escalations,
        "checkins_due": s.checkins_due,
        "checkins_answered": s.checkins_answered,
    }


def _weekly_row(week: WeekFigures) -> dict[str, Any]:
    s = week.stats
    return {
        **_week_cells(week),
        "requests_new": s.requests_new,
        "requests_waiting": s.requests_waiting,
        "requests_matched": s.requests_matched,
        "requests_closed": s.requests_closed,
        "matches_approved": s.matches_approved,
        "median_hours_to_match": _rounded(s.median_hours_to_match),
        "median_hours_to_first_contact": _rounded(s.median_hours_to_first_contact),
        "checkins_due": s.checkins_due,
        "checkins_answered": s.checkins_answered,
        "checkin_completion_rate": _rounded(s.checkin_completion_rate, 3),
        "who5_good": s.who5_good,
        "who5_low": s.who5_low,
        "who5_very_low": s.who5_very_low,
        "escalations": week.escalations,
        "median_minutes_to_claim": _rounded(s.median_minutes_to_claim),
        "requests_reached": s.requests_reached,
        "median_hours_to_reach": _rounded(s.median_hours_to_reach),
        "satisfaction_checkins": s.satisfaction_checkins,
        "median_satisfaction_checkin": _rounded(s.median_satisfaction_checkin),
        "survey_satisfaction_answers": s.survey_satisfaction_answers,
        "median_survey_satisfaction": _rounded(s.median_survey_satisfaction),
        "followups_fine": s.followups_fine,
        "followups_not_well": s.followups_not_well,
        "followups_change": s.followups_change,
        "followups_coordinator": s.followups_coordinator,
        "followups_missed": s.followups_missed,
        "reviews_continue": s.reviews_continue,
        "reviews_end": s.reviews_end,
    }


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


COLUMNS = {
    TOTALS_FILE: TOTALS_COLUMNS,
    WEEKLY_FILE: WEEKLY_COLUMNS,
    ESCALATIONS_FILE: ESCALATION_COLUMNS,
    REFERRALS_FILE: REFERRAL_COLUMNS,
    ENDINGS_FILE: ENDING_COLUMNS,
}


def _csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write(path: Path, text: str) -> Path:
    """Write a file readable by its owner only (figures about people), whole or not at all."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def _charts(
    ctx: ServiceContext, figures: ReportFigures, first: date, last: date
) -> list[charts.Chart]:
    weeks = figures.consenting
    zone = ctx.settings.zone
    return [
        activity_chart(
            ctx,
            figures.totals,
            title=f"Requests and matches, {first.isoformat()} to {last.isoformat()}",
            claim_weeks=weeks,
            locale=LOCALE,
        ),
        charts.WellbeingChart(
            title="Supporters' well-being check-ins",
            weeks=[day_label(ctx, week.span.start.astimezone(zone), LOCALE) for week in weeks],
            due=[week.stats.checkins_due for week in weeks],
            answered=[week.stats.checkins_answered for week in weeks],
            good=[week.stats.who5_good for week in weeks],
            low=[week.stats.who5_low for week in weeks],
            very_low=[week.stats.who5_very_low for week in weeks],
            good_label="WHO-5 good",
            low_label="low",
            very_low_label="very low",
            rate_title="Check-ins answered (% of those due)",
        ),
    ]


CHART_CAPTIONS = (
    "Support requests and approved matches per week (everyone), and the median minutes "
    "until an escalation was claimed (people who consented to evaluation use).",
    "Supporters' WHO-5 answers per week by band, and the share of check-ins answered "
    "(people who consented to evaluation use).",
)

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figure { margin: 1.5rem 0; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 1rem 0 2rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f3f3f3; }
.wide { overflow-x: auto; }
"""


def _html(
    first: date,
    last: date,
    tables: dict[str, list[dict[str, Any]]],
    drawn: Sequence[tuple[charts.Chart, bytes]],
    smallest: int,
) -> str:
    e = _escaped
    title = f"Program report, {first.isoformat()} to {last.isoformat()}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{STYLE}</style></head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
        "<p>De-identified program figures per ISO week (Monday to Sunday, in the program's "
        "time zone; the first and last weeks are cut to the dates asked for). No names, "
        "Telegram ids, pseudonyms or free text appear here. <strong>Totals count everyone; "
        "every breakdown (statuses, medians, WHO-5 bands, escalation categories, satisfaction, "
        "follow-up answers, referral sources, reasons for ending) counts only people who "
        "consented to evaluation use.</strong> "
        f"A count above 0 and below {smallest} is shown as &lt;{smallest} (and drawn as 0), "
        "and a median or rate worked out from so few is left empty, so that no figure can "
        "point at one person.</p>",
        "<h2>Charts</h2>",
    ]
    for (chart, picture), caption in zip(drawn, CHART_CAPTIONS, strict=True):
        data = base64.b64encode(picture).decode("ascii")
        parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{e(chart.title)}">'
            f"<figcaption>{e(caption)}</figcaption></figure>"
        )
    for name, rows in tables.items():
        columns = COLUMNS[name]
        parts += [
            f"<h2>{e(name)}</h2>",
            f"<p>{e(EXPLANATIONS[name])}</p>",
            '<div class="wide"><table>',
            "<thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in columns) + "</tr></thead>",
            "<tbody>",
            *(
                "<tr>" + "".join(f"<td>{e(_cell(row.get(c)))}</td>" for c in columns) + "</tr>"
                for row in rows
            ),
            "</tbody></table></div>",
        ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _escaped(value: object) -> str:
    return html.escape(str(value))


def _cell(value: object) -> str:
    return "" if value is None else str(value)
