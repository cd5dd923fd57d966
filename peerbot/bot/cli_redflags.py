"""`peerbot redflags check`: run red-flag detection on lines of text, one JSON result a line.

For program staff trying the rules (built-in and PEERBOT_PROGRAM_DIR/redflags) on sample
messages before using them with real people.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, TYPE_CHECKING, Any, TextIO

from peerbot.dialogs.detection import detect

if TYPE_CHECKING:
    from peerbot.config import Settings
    from peerbot.services.program import ProgramData

EXIT_USAGE = 2
LANGUAGES = ("en", "es")


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """Register `redflags check [--lang en|es]` on the `peerbot` sub-commands."""
    redflags = subcommands.add_parser(
        "redflags",
        help="try the red-flag detector on text",
        description="Tools for the red-flag rules (built-in and the program folder's).",
    )
    actions = redflags.add_subparsers(
        dest="redflags_command", metavar="ACTION", required=True, parser_class=type(redflags)
    )
    check = actions.add_parser(
        "check",
        help="read messages from standard input, one a line; write one JSON result a line",
        description="Read messages from standard input (UTF-8, one a line; empty lines are "
        "skipped) and write one JSON object a line: text, flagged, category, severity and "
        "the ids of the rules that matched.",
    )
    check.add_argument(
        "--lang", choices=LANGUAGES, default="en", help="rules of this language (default: en)"
    )
    check.set_defaults(handler=_check)


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from peerbot.services.program import load_program

    program = load_program(settings.program_dir)
    return run_check(args, program, sys.stdin.buffer, sys.stdout, sys.stderr)


def run_check(
    args: argparse.Namespace,
    program: ProgramData,
    stdin: IO[bytes],
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Detect red flags in each line of stdin; exit 2 at the first line that is not UTF-8."""
    rules = program.red_flag_rules.get(args.lang)
    if rules is None:
        stderr.write(f"peerbot redflags check: no red-flag rules for --lang {args.lang}\n")
        return EXIT_USAGE
    for number, raw in enumerate(stdin, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            stdout.flush()
            stderr.write(
                f"peerbot redflags check: line {number} is not valid UTF-8 "
                f"(byte {error.start + 1} of the line); stopped there\n"
            )
            return EXIT_USAGE
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        found = detect(text, rules)
        result = {
            "text": text,
            "flagged": found.flagged,
            "category": found.category,
            "severity": found.severity,
            "matched": list(found.matched),
        }
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0
