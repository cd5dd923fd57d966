"""`peerbot redflags check` and `eval`: try red-flag detection on text, or measure it.

For program staff trying the rules (built-in and PEERBOT_PROGRAM_DIR/redflags) on sample
messages before using them with real people: `check` gives one JSON result a line, `eval`
the recall and precision on a labelled file (see peerbot/dialogs/detection/evaluate.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from peerbot.cli.groups import action_group, command
from peerbot.dialogs.detection import detect
from peerbot.dialogs.detection.evaluate import (
    SPLITS,
    Example,
    LabelledFileError,
    evaluate,
    format_report,
    read_examples,
)

if TYPE_CHECKING:
    from peerbot.config import Settings
    from peerbot.program import ProgramData

EXIT_USAGE = 2
LANGUAGES = ("en", "es")


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """try the red-flag detector on text

    Tools for the red-flag rules (built-in and the program folder's).
    """
    actions = action_group(subcommands, "redflags", add_parser)
    check = command(actions, "check", _check)
    check.add_argument(
        "--lang", choices=LANGUAGES, default="en", help="rules of this language (default: en)"
    )
    measure = command(actions, "eval", _eval)
    measure.add_argument("paths", metavar="FILE", nargs="+", type=Path)
    measure.add_argument(
        "--split",
        choices=(*SPLITS, "all"),
        default="all",
        help="only the examples of this split (default: all)",
    )


def _check(settings: Settings, args: argparse.Namespace) -> int:
    """read messages from standard input, one a line; write one JSON result a line

    Read messages from standard input (UTF-8, one a line; empty lines are skipped) and write
    one JSON object a line: text, flagged, category, severity and the ids of the rules that
    matched.
    """
    from peerbot.program import load_program

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


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    """recall and precision on labelled messages; every miss and false alarm listed

    Screen every message of labelled tab-separated files (columns split, lang, category,
    severity, text; category none = harmless) as the bot does, with every language's rules,
    and print recall and precision overall, per language and per category, then every miss
    and false alarm. A folder means its *.tsv files.
    """
    from peerbot.program import load_program

    program = load_program(settings.program_dir)
    return run_eval(args, program, sys.stdout, sys.stderr)


def run_eval(
    args: argparse.Namespace, program: ProgramData, stdout: TextIO, stderr: TextIO
) -> int:
    """Print the figures for the labelled files; exit 2 if one cannot be read."""
    from peerbot.services.escalations.screening import screen

    try:
        examples = load_examples(args.paths)
    except (OSError, UnicodeDecodeError, LabelledFileError) as error:
        stderr.write(f"peerbot redflags eval: {error}\n")
        return EXIT_USAGE
    chosen = [item for item in examples if args.split in ("all", item.split)]
    report = evaluate(chosen, lambda text, lang: screen(program, text, lang))
    files = ", ".join(str(path) for path in args.paths)
    stdout.write(format_report(report, f"{files} (split {args.split}, {len(chosen)} messages)"))
    stdout.write("\n")
    return 0


def load_examples(paths: list[Path]) -> list[Example]:
    """Every example of the given files (a folder: its *.tsv files, in name order)."""
    examples: list[Example] = []
    for path in paths:
        files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
        for file in files:
            examples.extend(read_examples(str(file), file.read_text("utf-8")))
    return examples
