"""Red-flag screening: time per message, and recall and precision on the held-out split.

Every message of the evaluation set (tests/redflags/eval) is screened as the bot screens
free text (every language's rules, the person's language first; the model when no rule
matched), `--rounds` times; the figures are per message. Then the held-out split's recall
and precision, per language, as `peerbot redflags eval --split heldout` prints them:
    python -m benchmarks.redflags [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from benchmarks.report import figures, median, percentile, table
from peerbot.cli.redflags import load_examples
from peerbot.dialogs.detection import Detection
from peerbot.dialogs.detection.evaluate import evaluate
from peerbot.program import load_program
from peerbot.services.escalations.screening import screen

EVAL = Path(__file__).resolve().parent.parent / "tests" / "redflags" / "eval"
ROUNDS = 5
TARGET_P50_MS = 1.0


def measure(rounds: int) -> None:
    program = load_program()
    examples = load_examples([EVAL])
    for example in examples:  # warm caches outside the timing
        screen(program, example.text, example.lang)
    gc.collect()
    latencies: list[float] = []
    for _ in range(rounds):
        for example in examples:
            started = time.perf_counter()
            screen(program, example.text, example.lang)
            latencies.append((time.perf_counter() - started) * 1000)
    held_out = [example for example in examples if example.split == "heldout"]
    tuned = [example for example in examples if example.split == "tuned"]

    def classify(text: str, lang: str) -> Detection:
        return screen(program, text, lang)

    report = evaluate(held_out, classify)
    tuned_report = evaluate(tuned, classify)
    rows: list[tuple[object, ...]] = [
        (f"screen ms p50 ({len(latencies):,} messages)", median(latencies), f"< {TARGET_P50_MS}"),
        ("screen ms p99", percentile(latencies, 0.99), ""),
        ("screen ms max", max(latencies), ""),
    ]
    # An empty held-out split (measured, and its successor not yet written) has no figures.
    reports = [("held-out", report)] if held_out else []
    for name, found in (*reports, ("tuned", tuned_report)):
        for lang, tally in sorted(found.languages.items()):
            rows.append((f"{name} {lang} recall", tally.recall, "≥ 0.98"))
            rows.append((f"{name} {lang} precision", tally.precision, "≥ 0.90"))
    table(
        f"red flags: {len(examples)} messages x {rounds} rounds, held-out {len(held_out)}",
        rows,
        ("figure", "value", "target"),
    )
    values: dict[str, object] = {
        "messages": len(examples),
        "rounds": rounds,
        "screen_ms_p50": round(median(latencies), 4),
        "screen_ms_p99": round(percentile(latencies, 0.99), 4),
        "screen_ms_max": round(max(latencies), 4),
        "target_p50_ms": TARGET_P50_MS,
        "heldout_messages": len(held_out),
    }
    if held_out:
        values["heldout_recall"] = round(report.overall.recall, 4)
        values["heldout_precision"] = round(report.overall.precision, 4)
    for lang, tally in sorted(report.languages.items()):
        values[f"heldout_{lang}_recall"] = round(tally.recall, 4)
        values[f"heldout_{lang}_precision"] = round(tally.precision, 4)
    for lang, tally in sorted(tuned_report.languages.items()):
        values[f"tuned_{lang}_recall"] = round(tally.recall, 4)
        values[f"tuned_{lang}_precision"] = round(tally.precision, 4)
    figures("redflags", values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    measure(parser.parse_args().rounds)


if __name__ == "__main__":
    main()
