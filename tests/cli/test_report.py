"""`peerbot report` as an operator runs it: CSV tables and an HTML page, de-identified."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.services.program_view.report import (
    ENDING_COLUMNS,
    ESCALATION_COLUMNS,
    REFERRAL_COLUMNS,
    TOTALS_COLUMNS,
    WEEKLY_COLUMNS,
)
from peerbot.storage.models import AuditEvent
from tests.support.cli import OPERATOR_CIPHER, operator_command
from tests.support.weekly_world import PEOPLE, seed_three_weeks

CIPHER = OPERATOR_CIPHER
PNG_PREFIX = "data:image/png;base64,"


def report(
    database_url: str, workdir: Path, *args: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    """`python -m peerbot report ARGS` with the database, key and a UTC program zone."""
    return operator_command(database_url, workdir, "report", *args, timezone="UTC", **settings)


async def report_three_weeks(
    database_url: str, workdir: Path, out: Path, **settings: str
) -> subprocess.CompletedProcess[str]:
    """The report of the three weeks tests/support/weekly_world.py seeds, written to `out`."""
    return await asyncio.to_thread(
        report,
        database_url,
        workdir,
        "--from",
        "2027-01-04",
        "--to",
        "2027-01-24",
        "--out",
        str(out),
        **settings,
    )


def every_count_shown(workdir: Path) -> str:
    """A program folder whose report prints every count, however small."""
    folder = workdir / "program"
    folder.mkdir()
    (folder / "program.yaml").write_text("report:\n  smallest_count: 1\n", encoding="utf-8")
    return str(folder)


def table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "Excel reads UTF-8 after a BOM"
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


class Page(HTMLParser):
    """What a report page holds: its images' sources, tables and headings."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tables = 0
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        self.tables += tag == "table"
        self._in_heading = tag in ("h1", "h2")

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings.append(data)


async def test_report_writes_weekly_tables_and_a_page_with_its_charts(
    database_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    people = await seed_three_weeks(session_factory, CIPHER)
    pseudonyms = [person.pseudonym for person in people.values()]
    out = tmp_path / "board"

    done = await report_three_weeks(
        database_url, tmp_path, out, program_dir=every_count_shown(tmp_path)
    )

    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "endings.csv",
        "escalations.csv",
        "referrals.csv",
        "report.html",
        "totals.csv",
        "weekly.csv",
    ]
    columns, totals = table(out / "totals.csv")
    assert columns == list(TOTALS_COLUMNS)
    assert [
        (r["week"], r["first_day"], r["last_day"], r["requests"], r["matches"], r["escalations"])
        for r in totals
    ] == [
        ("2027-W01", "2027-01-04", "2027-01-10", "2", "1", "2"),
        ("2027-W02", "2027-01-11", "2027-01-17", "2", "1", "1"),
        ("2027-W03", "2027-01-18", "2027-01-24", "0", "0", "0"),
    ]
    assert [(r["checkins_due"], r["checkins_answered"]) for r in totals] == [
        ("1", "1"),
        ("1", "0"),
        ("0", "0"),
    ]

    # Breakdowns count only ana and the supporter, who consented to evaluation use.
    columns, weekly = table(out / "weekly.csv")
    assert columns == list(WEEKLY_COLUMNS)
    w01, w02, w03 = weekly
    assert (w01["requests_matched"], w01["requests_new"], w01["matches_approved"]) == (
        "1",
        "0",
        "1",
    )
    assert (w01["median_hours_to_match"], w01["median_minutes_to_claim"]) == ("6.0", "10.0")
    assert (w01["who5_good"], w01["checkin_completion_rate"]) == ("1", "1.0")
    assert (w02["requests_closed"], w02["requests_waiting"], w02["escalations"]) == ("1", "0", "0")
    assert (w02["checkin_completion_rate"], w02["median_minutes_to_claim"]) == ("0.0", "")
    assert w03["checkin_completion_rate"] == ""
    # ana's side: reached 29 h after her request (W01); "fine" and 4/5 two weeks in (W02);
    # a review answered "end" and 5/5 when her support ended (W03)
    assert (w01["requests_reached"], w01["median_hours_to_reach"]) == ("1", "29.0")
    assert (w02["followups_fine"], w02["followups_missed"]) == ("1", "0")
    assert (w02["satisfaction_checkins"], w02["median_satisfaction_checkin"]) == ("1", "4.0")
    assert (w03["survey_satisfaction_answers"], w03["median_survey_satisfaction"]) == ("1", "5.0")
    assert (w03["reviews_end"], w03["reviews_continue"]) == ("1", "0")
    columns, referrals = table(out / "referrals.csv")
    assert columns == list(REFERRAL_COLUMNS)
    assert [(r["week"], r["referral_source"], r["requests"]) for r in referrals] == [
        ("2027-W01", "clinic", "1"),
        ("2027-W02", "clinic", "1"),
    ], "ben came through a poster, and did not consent to evaluation use"
    columns, endings = table(out / "endings.csv")
    assert columns == list(ENDING_COLUMNS)
    assert [(r["week"], r["end_reason"], r["matches"]) for r in endings] == [
        ("2027-W03", "ended_by_participant", "1")
    ]
    columns, escalations = table(out / "escalations.csv")
    assert columns == list(ESCALATION_COLUMNS)
    assert [(r["week"], r["category"], r["severity"], r["escalations"]) for r in escalations] == [
        ("2027-W01", "suicide", "critical", "1")
    ]

    page = Page()
    html = (out / "report.html").read_text(encoding="utf-8")
    page.feed(html)
    page.close()
    assert len(page.images) == 2
    for source in page.images:
        assert source.startswith(PNG_PREFIX)
        image = Image.open(io.BytesIO(base64.b64decode(source.removeprefix(PNG_PREFIX))))
        assert (image.format, image.size) == ("PNG", (1080, 1350))
    assert page.tables == 5
    assert {
        "totals.csv",
        "weekly.csv",
        "escalations.csv",
        "referrals.csv",
        "endings.csv",
    } <= set(page.headings)
    assert "<th>median_survey_satisfaction</th>" in html and "<th>end_reason</th>" in html
    assert "consented to evaluation use" in html

    secrets = [str(value) for person in PEOPLE.values() for value in person.values()]
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in [*secrets, *pseudonyms, "in confidence"]:
            assert secret not in text, f"{secret!r} in {path.name}"
        assert path.stat().st_mode & 0o077 == 0

    async with session_factory() as session:
        (event,) = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "data.reported")
        )
    assert event.details["complete"] is True
    assert event.details["first"] == "2027-01-04" and event.details["last"] == "2027-01-24"
    assert sorted(event.details["files"]) == sorted(p.name for p in out.iterdir())


async def test_a_count_below_five_is_printed_as_less_than_five_by_default(
    database_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await seed_three_weeks(session_factory, CIPHER)
    out = tmp_path / "board"

    done = await report_three_weeks(database_url, tmp_path, out)

    assert done.returncode == 0, done.stderr
    _, totals = table(out / "totals.csv")
    assert [(r["requests"], r["matches"], r["escalations"]) for r in totals] == [
        ("<5", "<5", "<5"),
        ("<5", "<5", "<5"),
        ("0", "0", "0"),
    ], "in a small program a count of 1 or 2 can point at one person; 0 points at no one"
    _, weekly = table(out / "weekly.csv")
    w01 = weekly[0]
    assert (w01["requests_matched"], w01["who5_good"]) == ("<5", "<5")
    assert (w01["median_hours_to_match"], w01["median_minutes_to_claim"]) == ("", "")
    assert w01["checkin_completion_rate"] == "", "a rate of one check-in is that check-in"
    _, escalations = table(out / "escalations.csv")
    assert [r["escalations"] for r in escalations] == ["<5"]
    w02, w03 = weekly[1], weekly[2]
    assert (w01["requests_reached"], w01["median_hours_to_reach"]) == ("<5", "")
    assert (w02["satisfaction_checkins"], w02["median_satisfaction_checkin"]) == ("<5", "")
    assert (w03["survey_satisfaction_answers"], w03["median_survey_satisfaction"]) == ("<5", "")
    assert (w02["followups_fine"], w03["reviews_end"]) == ("<5", "<5")
    _, referrals = table(out / "referrals.csv")
    assert [r["requests"] for r in referrals] == ["<5", "<5"]
    _, endings = table(out / "endings.csv")
    assert [r["matches"] for r in endings] == ["<5"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "A count above 0 and below 5 is shown as &lt;5" in html
    assert "<td>1</td>" not in html and "<td>2</td>" not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "2027-02-30", "--to", "2027-03-01"],
            "argument --from: '2027-02-30' is not a date",
        ),
        (["--from", "2027-01-01", "--to", "soon"], "argument --to: 'soon' is not a date"),
        (
            ["--from", "2027-03-01", "--to", "2027-02-01"],
            "--to 2027-02-01 is before --from 2027-03-01",
        ),
        (
            ["--from", "2027-01-01", "--to", "2027-02-01"],
            "the following arguments are required: --out",
        ),
    ],
)
def test_bad_options_are_one_line_errors(args: list[str], message: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.sqlite3'}"
    done = report(url, tmp_path, *args, *([] if "--out" in message else ["--out", "out"]))

    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.sqlite3'}"
    (tmp_path / "file").write_text("")

    done = report(url, tmp_path, "--from", "2027-01-01", "--to", "2027-01-02", "--out", "file")

    assert done.returncode == 2
    assert "--out file: is a file; name a folder" in done.stderr
