"""`peerbot retention run [--dry-run]`: apply the retention policy now, or see what it would do."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from peerbot.cli.groups import (
    action_group,
    command,
    database_failed,
    deps_for,
    json_flag,
    run_on,
)

if TYPE_CHECKING:
    from peerbot.bot.deps import Deps
    from peerbot.config import Settings
    from peerbot.services.privacy.retention import RetentionReport


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """erase old free text and pseudonymize inactive people

    What program.yaml's retention section says may no longer be kept.
    """
    actions = action_group(subcommands, "retention", add_parser)
    run = command(actions, "run", _run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="only count what would be erased; change nothing",
    )
    json_flag(run)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    """apply the retention policy now

    Erase the free text of cases closed more than retention.free_text_days ago and
    pseudonymize people inactive for retention.inactive_months (as /forget does), then print
    how many values and people per table. The bot does the same once a day at retention.run_at.
    """
    from sqlalchemy.exc import SQLAlchemyError

    # A dry run changes nothing, not even the schema.
    deps = deps_for(settings, migrate=not args.dry_run)
    try:
        report = run_on(deps, partial(_apply, dry_run=args.dry_run))
    except SQLAlchemyError as error:
        return database_failed("retention", error)
    sys.stdout.write(report_json(report) if args.json else report_text(report))
    return 0


async def _apply(deps: Deps, *, dry_run: bool) -> RetentionReport:
    from peerbot.scheduler import retention_pass

    return await retention_pass.run(
        deps, deps.program.policy.retention, now=deps.clock(), dry_run=dry_run
    )


def report_text(report: RetentionReport) -> str:
    """The report as the command prints it: one line per table and column, then people."""
    erased = "would erase" if report.dry_run else "erased"
    forgotten = "would pseudonymize" if report.dry_run else "pseudonymized"
    lines = [
        "Dry run: nothing was changed." if report.dry_run else "Retention applied.",
        f"Free text of cases closed before {report.free_text_before:%Y-%m-%d %H:%M} UTC:",
        *(f"  {place:<30} {erased} {count}" for place, count in report.erased.items()),
        f"People inactive since {report.inactive_before:%Y-%m-%d %H:%M} UTC:",
        f"  {'people':<30} {forgotten} {report.pseudonymized}",
    ]
    return "\n".join(lines) + "\n"


def report_json(report: RetentionReport) -> str:
    """The same report as one JSON object (times in UTC, ISO 8601)."""
    facts = {
        "dry_run": report.dry_run,
        "free_text_before": report.free_text_before.isoformat(),
        "erased": dict(report.erased),
        "values_erased": report.values_erased,
        "inactive_before": report.inactive_before.isoformat(),
        "pseudonymized": report.pseudonymized,
    }
    return json.dumps(facts) + "\n"
