"""Measure red-flag detection on labelled messages: recall, precision, every miss and false alarm.

A labelled file is tab-separated with a header line naming at least the columns
``split  lang  category  severity  text``: split is ``tuned`` (rules may be fitted to it)
or ``heldout`` (never looked at while fitting); category ``none`` marks a harmless message
(its severity ``-``); a positive's severity is the least severe level it deserves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from peerbot.dialogs.detection.detect import SEVERITIES, Detection
from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES

SPLITS = ("tuned", "heldout")
HARMLESS = "none"
COLUMNS = ("split", "lang", "category", "severity", "text")


class LabelledFileError(ValueError):
    """A labelled file cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    """One labelled message; `where` is ``file:line`` for the report."""

    split: str
    lang: str
    category: str
    severity: str
    text: str
    where: str

    @property
    def positive(self) -> bool:
        return self.category != HARMLESS


def read_examples(source: str, text: str) -> list[Example]:
    """Parse one labelled file (its name, for errors, and its text)."""
    lines = text.splitlines()
    if not lines:
        raise LabelledFileError(f"{source}: empty, expected a header line")
    header = [name.strip() for name in lines[0].split("\t")]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise LabelledFileError(f"{source}:1: header lacks {', '.join(missing)}")
    index = {name: header.index(name) for name in COLUMNS}
    examples = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != len(header):
            raise LabelledFileError(
                f"{source}:{number}: {len(cells)} columns, the header has {len(header)}"
            )
        split, lang, category, severity, message = (cells[index[name]] for name in COLUMNS)
        where = f"{source}:{number}"
        if split not in SPLITS:
            raise LabelledFileError(f"{where}: split must be one of {', '.join(SPLITS)}")
        if category != HARMLESS and category not in RED_FLAG_CATEGORIES:
            raise LabelledFileError(f"{where}: unknown category {category!r}")
        if category != HARMLESS and severity not in SEVERITIES:
            raise LabelledFileError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        if not message.strip():
            raise LabelledFileError(f"{where}: empty text")
        examples.append(Example(split, lang, category, severity, message, where))
    return examples


@dataclass
class Tally:
    """Counts for one slice: positives caught, and flags raised on harmless messages."""

    positives: int = 0
    caught: int = 0
    harmless: int = 0
    false_alarms: int = 0

    @property
    def recall(self) -> float:
        return self.caught / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        flags = self.caught + self.false_alarms
        return self.caught / flags if flags else 1.0

    def add(self, example: Example, found: Detection) -> None:
        if example.positive:
            self.positives += 1
            self.caught += found.flagged
        else:
            self.harmless += 1
            self.false_alarms += found.flagged


@dataclass(frozen=True)
class Outcome:
    """One example and what detection said of it."""

    example: Example
    found: Detection


@dataclass
class Report:
    """Figures overall, per language and per category, and what went wrong."""

    overall: Tally = field(default_factory=Tally)
    languages: dict[str, Tally] = field(default_factory=dict)
    # Per labelled category: recall of its positives; false alarms counted by the
    # category detection gave them (so precision per category is the flags it raised).
    categories: dict[str, Tally] = field(default_factory=dict)
    misses: list[Outcome] = field(default_factory=list)
    false_alarms: list[Outcome] = field(default_factory=list)
    under_graded: list[Outcome] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        """The figures as plain data (for JSON)."""

        def plain(tally: Tally) -> dict[str, object]:
            return {
                "recall": round(tally.recall, 4),
                "precision": round(tally.precision, 4),
                "positives": tally.positives,
                "caught": tally.caught,
                "harmless": tally.harmless,
                "false_alarms": tally.false_alarms,
            }

        return {
            "overall": plain(self.overall),
            "languages": {lang: plain(tally) for lang, tally in sorted(self.languages.items())},
            "categories": {name: plain(tally) for name, tally in self.categories.items()},
        }


def evaluate(examples: Iterable[Example], classify: Callable[[str, str], Detection]) -> Report:
    """Run classify(text, lang) on every example and count what it got right."""
    report = Report()
    for example in examples:
        found = classify(example.text, example.lang)
        report.overall.add(example, found)
        report.languages.setdefault(example.lang, Tally()).add(example, found)
        if example.positive:
            report.categories.setdefault(example.category, Tally()).add(example, found)
            if not found.flagged:
                report.misses.append(Outcome(example, found))
            elif found.severity is not None and SEVERITIES.index(
                found.severity
            ) < SEVERITIES.index(example.severity):
                report.under_graded.append(Outcome(example, found))
        elif found.flagged:
            report.categories.setdefault(str(found.category), Tally()).false_alarms += 1
            report.false_alarms.append(Outcome(example, found))
    report.categories = {
        name: report.categories[name]
        for name in (*RED_FLAG_CATEGORIES, *sorted(report.categories))
        if name in report.categories
    }
    return report


def format_report(report: Report, title: str) -> str:
    """The report as text: a figures table, then every miss and false alarm."""

    def row(name: str, tally: Tally) -> str:
        alarms = f"{tally.false_alarms:>4}/{tally.harmless:<4}" if tally.harmless else ""
        alarms = alarms or f"{tally.false_alarms:>4}"
        return (
            f"{name:<16} {tally.recall:>6.3f} {tally.caught:>4}/{tally.positives:<4} "
            f"{tally.precision:>9.3f} {alarms}"
        ).rstrip()

    lines = [
        title,
        f"{'':<16} {'recall':>6} {'caught':>9} {'precision':>9} {'false alarms':>12}",
        row("overall", report.overall),
    ]
    lines += [row(f"lang {lang}", tally) for lang, tally in sorted(report.languages.items())]
    lines += [row(name, tally) for name, tally in report.categories.items()]
    lines.append(f"misses ({len(report.misses)}):")
    lines += [
        f"  {outcome.example.where} [{outcome.example.lang} {outcome.example.category} "
        f"{outcome.example.severity}] {outcome.example.text}"
        for outcome in report.misses
    ]
    lines.append(f"false alarms ({len(report.false_alarms)}):")
    lines += [
        f"  {outcome.example.where} [{outcome.example.lang}] {outcome.example.text} -> "
        f"{outcome.found.category} {outcome.found.severity} {','.join(outcome.found.matched)}"
        for outcome in report.false_alarms
    ]
    lines.append(f"flagged below the labelled severity ({len(report.under_graded)}):")
    lines += [
        f"  {outcome.example.where} [{outcome.example.lang} {outcome.example.category} "
        f"{outcome.example.severity}] {outcome.example.text} -> {outcome.found.category} "
        f"{outcome.found.severity}"
        for outcome in report.under_graded
    ]
    return "\n".join(lines)
