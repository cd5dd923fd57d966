"""`peerbot export`: de-identified program data for evaluation, as CSV or JSON lines."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from peerbot.cli.groups import command, database_failed, deps_for, run_on

if TYPE_CHECKING:
    from datetime import datetime

    from peerbot.bot.deps import Deps
    from peerbot.config import Settings
    from peerbot.services.common.context import ServiceDeps
    from peerbot.services.program_view.export import ExportSpec


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `export KIND --format F [--out FILE] [--include-free-text]`."""
    export = command(commands, "export", _export)
    export.add_argument(
        "kind",
        choices=["requests", "matches", "notes", "feedback", "followups", "consents"],
        help="what to export",
    )
    export.add_argument(
        "--format",
        required=True,
        choices=["csv", "jsonl"],
        help="CSV with a header, or JSON lines",
    )
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="write to FILE (default: standard output)"
    )
    export.add_argument(
        "--include-free-text",
        action="store_true",
        help="requests, notes and feedback: add the request summary and free-text "
        "answers, the note's details or the feedback comments, decrypted, where the "
        "participant's newest evaluation consent is granted and not withdrawn; these "
        "fields stay empty for everyone else",
    )
    export.add_argument(
        "--coarse", action="store_true", help="times to the ISO week (YYYY-Www), not the day"
    )


def _export(settings: Settings, args: argparse.Namespace) -> int:
    """write de-identified program data for evaluation

    Write support requests, matches, contact notes, feedback, participants' follow-up answers
    (satisfaction, "how is it going?", reviews) or consent decisions as CSV or JSON lines
    for program evaluation. Only people whose newest evaluation consent is granted
    appear (how many rows were left out is said on standard error), under export codes that
    differ from the codes coordinators see in the group, with times to the day (--coarse: the
    week): no names, no Telegram ids and, by default, no free text.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from peerbot.cli.errors import EXIT_CONFIG
    from peerbot.services.program_view import export
    from peerbot.storage.crypto import DecryptionError

    if args.include_free_text and args.kind not in ("requests", "notes", "feedback"):
        sys.stderr.write(
            "peerbot export: --include-free-text applies to requests, notes and feedback only\n"
        )
        return EXIT_CONFIG
    out: Path | None = args.out
    if out is not None and not out.parent.is_dir():
        sys.stderr.write(f"peerbot export: --out {out}: folder {out.parent} does not exist\n")
        return EXIT_CONFIG
    if out is not None and out.is_dir():
        sys.stderr.write(f"peerbot export: --out {out}: is a folder; name a file\n")
        return EXIT_CONFIG
    deps = deps_for(settings, migrate=False)
    spec = export.ExportSpec(
        kind=export.ExportKind(args.kind),
        format=export.ExportFormat(args.format),
        include_free_text=args.include_free_text,
        free_text_questions=export.free_text_questions(deps.program.flows.values()),
        coarse=args.coarse,
    )
    try:
        if out is None:
            rows = _write_export(deps, spec, sys.stdout)
        else:
            rows = _export_to_file(deps, spec, out)
    except SQLAlchemyError as error:
        return database_failed("export", error)
    except DecryptionError as error:
        sys.stderr.write(f"peerbot export: {error}\n")
        return 1
    except BrokenPipeError:
        # The reader stopped early (`| head`): no traceback, and none at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    logging.getLogger(__name__).info("exported %s: %d rows", spec.kind.value, rows)
    return 0


def _export_to_file(deps: Deps, spec: ExportSpec, out: Path) -> int:
    """Write next to ``out`` and rename at the end, so a failed export leaves no half file.

    The file is created readable by its owner only: it is research data about people.
    """
    partial = out.with_name(f".{out.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            rows = _write_export(deps, spec, stream)
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return rows


def _write_export(deps: Deps, spec: ExportSpec, stream: TextIO) -> int:
    return run_on(deps, lambda deps: write_export(deps, spec, stream, now=deps.clock()))


async def write_export(deps: ServiceDeps, spec: ExportSpec, out: TextIO, *, now: datetime) -> int:
    """Write the export to ``out`` and audit it; return the number of rows written.

    The rows are read in one transaction; the audit goes in its own after the read, so an
    export that fails midway (a full disk, a closed pipe) is still recorded, with
    ``complete=False``.
    """
    import contextlib

    from sqlalchemy.exc import SQLAlchemyError

    from peerbot.services.common.context import unit_of_work
    from peerbot.services.program_view import export

    written = left_out = 0
    try:
        async with unit_of_work(deps, now=now) as ctx:
            left_out = await export.left_out(ctx, spec)
            async for text, rows in export.lines(ctx, spec):
                out.write(text)
                written += rows
        out.flush()
    except Exception:
        # Rows already written were read: record that. If the database itself failed,
        # the audit cannot be written either, and the original error is the one to see.
        with contextlib.suppress(SQLAlchemyError):
            async with unit_of_work(deps, now=now) as ctx:
                await export.record(ctx, spec, rows=written, complete=False, left_out=left_out)
        raise
    async with unit_of_work(deps, now=now) as ctx:
        await export.record(ctx, spec, rows=written, complete=True, left_out=left_out)
    if left_out:
        sys.stderr.write(
            f"peerbot export: {left_out} {spec.kind.value} rows left out: their person has not "
            "consented to evaluation use\n"
        )
    return written
