"""`peerbot report`: de-identified weekly figures (CSV) and an HTML page for a funder or board."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import command, database_failed, deps_for, run_on

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.config import Settings

EXIT_USAGE = 2


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """Register `report` on the `peerbot` sub-commands."""
    report = command(subcommands, "report", _report)
    report.add_argument(
        "--from", dest="first", required=True, type=day, metavar="YYYY-MM-DD",
        help="the first day counted",
    )  # fmt: skip
    report.add_argument(
        "--to", dest="last", required=True, type=day, metavar="YYYY-MM-DD",
        help="the last day counted",
    )  # fmt: skip
    report.add_argument(
        "--out", required=True, type=Path, metavar="DIR",
        help="the folder to write into (made if missing; files there of the same name are "
        "replaced)",
    )  # fmt: skip


def day(text: str) -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date such as 2027-03-15 (YYYY-MM-DD)"
        ) from None


def _report(settings: Settings, args: argparse.Namespace) -> int:
    """write de-identified weekly figures and an HTML page with charts

    Write totals.csv, weekly.csv and escalations.csv (one row per ISO week from --from to --to,
    in the program's time zone) and report.html, one page with the charts embedded. Counts and
    medians only: no names, Telegram ids or free text. Totals count everyone; every breakdown
    counts only people who consented to evaluation use.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from peerbot.services.program_view.charts import ChartFailed

    if args.last < args.first:
        sys.stderr.write(f"peerbot report: --to {args.last} is before --from {args.first}\n")
        return EXIT_USAGE
    out: Path = args.out
    if out.exists() and not out.is_dir():
        sys.stderr.write(f"peerbot report: --out {out}: is a file; name a folder\n")
        return EXIT_USAGE
    if not out.parent.is_dir():
        sys.stderr.write(f"peerbot report: --out {out}: folder {out.parent} does not exist\n")
        return EXIT_USAGE
    out.mkdir(mode=0o700, exist_ok=True)
    try:
        write = partial(_write, first=args.first, last=args.last, out=out)
        written = run_on(deps_for(settings, migrate=False), write)
    except SQLAlchemyError as error:
        return database_failed("report", error)
    except ChartFailed as error:
        sys.stderr.write(f"peerbot report: the charts could not be drawn ({error})\n")
        return 1
    logging.getLogger(__name__).info("report written: %d files in %s", len(written), out)
    return 0


async def _write(deps: Deps, *, first: date, last: date, out: Path) -> list[Path]:
    """Read, write the files, then audit in a transaction of its own, so a report that fails
    midway is still recorded, with complete=False (as exports are)."""
    from sqlalchemy.exc import SQLAlchemyError

    from peerbot.services.common.context import unit_of_work
    from peerbot.services.program_view import report

    now, written = deps.clock(), list[Path]()
    try:
        async with unit_of_work(deps, now=now) as ctx:
            reading = await report.read(ctx, first, last)
        await report.write_files(reading, out, written)
    except Exception:
        with contextlib.suppress(SQLAlchemyError):
            async with unit_of_work(deps, now=now) as ctx:
                await report.record(ctx, first, last, written, complete=False)
        raise
    async with unit_of_work(deps, now=now) as ctx:
        await report.record(ctx, first, last, written, complete=True)
    return written
