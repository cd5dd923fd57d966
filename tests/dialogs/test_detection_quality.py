"""How well the built-in red-flag rules do on the labeled messages in redflags_labeled.yaml.

Per language: recall (flagged positives / positives) and precision (flags on positives / all
flags) are asserted; category and severity agreement are reported. Run with ``-s`` to see
the figures; a failing assertion shows them and every miss and false flag.
"""

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
import yaml

from peerbot.dialogs.detection import SEVERITIES, RuleSet, build_rule_sets, detect, parse_rule_file
from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES
from tests.support import figures

LABELED = Path(__file__).with_name("redflags_labeled.yaml")
LANGUAGES = ("en", "es")
MIN_RECALL = 0.97
MIN_PRECISION = 0.90
MIN_SEVERITY_AGREEMENT = 0.95


@cache
def labeled() -> tuple[dict[str, object], ...]:
    return tuple(yaml.safe_load(LABELED.read_text("utf-8"))["items"])


@cache
def builtin(locale: str) -> RuleSet:
    source = f"peerbot/dialogs/redflags/{locale}.yaml"
    text = (resources.files("peerbot.dialogs") / "redflags" / f"{locale}.yaml").read_text("utf-8")
    return build_rule_sets([(source, parse_rule_file(source, text))])[locale]


@dataclass
class Score:
    """Counts for one language, and the items that went wrong (for the report)."""

    positives: int = 0
    flagged_positives: int = 0
    false_flags: int = 0
    same_category: int = 0
    severe_enough: int = 0
    problems: list[str] = field(default_factory=list)
    missed_by_category: Counter[str] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.flagged_positives / self.positives

    @property
    def precision(self) -> float:
        flags = self.flagged_positives + self.false_flags
        return self.flagged_positives / flags if flags else 1.0

    def report(self, language: str) -> str:
        caught = max(self.flagged_positives, 1)
        lines = [
            f"{language}: recall {self.recall:.3f} ({self.flagged_positives}/{self.positives}), "
            f"precision {self.precision:.3f} ({self.false_flags} false flags), "
            f"category agreement {self.same_category / caught:.3f}, "
            f"severity at least as labeled {self.severe_enough / caught:.3f}",
        ]
        if self.missed_by_category:
            lines.append(f"  missed by category: {dict(self.missed_by_category)}")
        return "\n".join(lines + [f"  {problem}" for problem in self.problems])


def score(language: str) -> Score:
    result = Score()
    rules = builtin(language)
    for item in labeled():
        if item["lang"] != language:
            continue
        text, expected = str(item["text"]), item["category"]
        found = detect(text, rules)
        if expected is None:
            if found.flagged:
                result.false_flags += 1
                result.problems.append(f"false flag: {text!r} -> {found.category} {found.matched}")
            continue
        result.positives += 1
        if not found.flagged:
            result.missed_by_category[str(expected)] += 1
            result.problems.append(f"missed: {text!r} ({expected}, {item['severity']})")
            continue
        result.flagged_positives += 1
        assert found.severity is not None
        result.same_category += found.category == expected
        enough = SEVERITIES.index(found.severity) >= SEVERITIES.index(str(item["severity"]))
        result.severe_enough += enough
        if found.category != expected or not enough:
            result.problems.append(
                f"graded: {text!r} expected {expected} >= {item['severity']}, "
                f"got {found.category} {found.severity}"
            )
    return result


@pytest.mark.parametrize("language", LANGUAGES)
def test_detection_recall_and_precision_on_the_labeled_messages(language, request):
    result = score(language)
    report = result.report(language)
    figures.report(request.config, report)
    assert result.recall >= MIN_RECALL, report
    assert result.precision >= MIN_PRECISION, report
    assert result.severe_enough / result.flagged_positives >= MIN_SEVERITY_AGREEMENT, report


def test_the_labeled_set_covers_every_category_and_severity_in_both_languages():
    items = labeled()
    assert len(items) >= 200
    for language in LANGUAGES:
        mine = [item for item in items if item["lang"] == language]
        positives = [item for item in mine if item["category"] is not None]
        assert len(mine) >= 100
        assert {item["category"] for item in positives} == set(RED_FLAG_CATEGORIES)
        assert {item["severity"] for item in positives} == set(SEVERITIES)
        assert len(mine) - len(positives) >= 40, "hard negatives and everyday messages"


def test_labeled_items_are_well_formed():
    for item in labeled():
        assert set(item) <= {"text", "lang", "category", "severity"}, item
        assert item["lang"] in LANGUAGES, item
        if item["category"] is None:
            assert "severity" not in item, item
        else:
            assert item["category"] in RED_FLAG_CATEGORIES, item
            assert item["severity"] in SEVERITIES, item
