"""Train the red-flag model at build time: ``python -m peerbot.dialogs.detection.train``.

Reads labelled messages (tab-separated files or folders of them, see evaluate.py; only the
``tuned`` split is used, never ``heldout``), fits one logistic regression per language on
words, word pairs and letter n-grams, picks the threshold on out-of-fold scores of the
messages the rules leave to the model, and writes ``<locale>.model.yaml`` beside the rules.
Deterministic: the same messages give the same file.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse

from peerbot.dialogs.detection.detect import detect
from peerbot.dialogs.detection.evaluate import Example, read_examples
from peerbot.dialogs.detection.model import Model, features
from peerbot.dialogs.detection.ruleset import RuleSet, build_rule_sets
from peerbot.dialogs.detection.schema import parse_rule_file
from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES

MIN_COUNT = 2
MAX_FEATURES = 4000
L2 = 1.0
STEPS = 400
FOLDS = 5
POSITIVE_WEIGHT = 1.0
MAX_FALSE_ALARMS = 0.2
MAX_OTHER = 0.02


class _Probe(Model):
    """Always flags: tells whether detection would ask the model about a message at all."""

    def score(self, text: str) -> tuple[float, str | None]:
        return 1.0, self.categories[0]


def builtin_rules(locale: str) -> RuleSet:
    """The built-in rules of locale, without a model."""
    source = f"peerbot/dialogs/redflags/{locale}.yaml"
    text = (resources.files("peerbot.dialogs") / "redflags" / f"{locale}.yaml").read_text("utf-8")
    rules = build_rule_sets([(source, parse_rule_file(source, text))])[locale]
    return dataclasses.replace(rules, model=None)


def left_to_model(examples: Sequence[Example], rules: RuleSet) -> list[bool]:
    """For each example: True if no rule flags it and none was dropped (the model is asked)."""
    probe = dataclasses.replace(rules, model=_Probe(0.0, 0.0, ("suicide",), {}))
    return [detect(item.text, probe).matched == ("model.suicide",) for item in examples]


def fit(rows: Sequence[frozenset[str]], labels: np.ndarray) -> tuple[float, dict[str, float]]:
    """Logistic regression (L2, positives weighted) by full-batch gradient descent (Adam)."""
    counts = Counter(feature for row in rows for feature in row)
    vocabulary = sorted(feature for feature, count in counts.items() if count >= MIN_COUNT)
    index = {feature: number for number, feature in enumerate(vocabulary)}
    matrix = _matrix(rows, index)
    sample = np.where(labels > 0, POSITIVE_WEIGHT, 1.0)
    sample /= sample.sum()
    weights = np.zeros(len(vocabulary))
    bias = 0.0
    moments = [np.zeros(len(vocabulary) + 1), np.zeros(len(vocabulary) + 1)]
    for step in range(1, STEPS + 1):
        probability = 1.0 / (1.0 + np.exp(-(matrix @ weights + bias)))
        error = (probability - labels) * sample
        gradient = np.concatenate(
            [matrix.T @ error + L2 * weights / len(labels), [error.sum()]]
        )
        moments[0] = 0.9 * moments[0] + 0.1 * gradient
        moments[1] = 0.999 * moments[1] + 0.001 * gradient**2
        step_size = 0.05 * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
        update = step_size * moments[0] / (np.sqrt(moments[1]) + 1e-8)
        weights -= update[:-1]
        bias -= float(update[-1])
    kept = np.argsort(-np.abs(weights))[:MAX_FEATURES]
    return bias, {vocabulary[i]: float(weights[i]) for i in kept if abs(weights[i]) > 1e-3}


def _matrix(rows: Sequence[frozenset[str]], index: dict[str, int]) -> sparse.csr_matrix:
    cells = [(number, index[f]) for number, row in enumerate(rows) for f in row if f in index]
    data = np.ones(len(cells))
    if not cells:
        return sparse.csr_matrix((len(rows), len(index)))
    numbers, columns = zip(*cells, strict=True)
    return sparse.csr_matrix((data, (numbers, columns)), shape=(len(rows), len(index)))


def _score(bias: float, weights: dict[str, float], row: frozenset[str]) -> float:
    total = bias + sum(weights.get(feature, 0.0) for feature in row)
    return float(1.0 / (1.0 + np.exp(-np.clip(total, -30, 30))))


def threshold(
    labels: np.ndarray, rows: Sequence[frozenset[str]], own: list[bool], asked: list[bool]
) -> float:
    """The lowest threshold whose out-of-fold false alarms stay within budget: at most
    MAX_FALSE_ALARMS of this language's harmless messages the rules leave to the model, and
    MAX_OTHER of the other language's messages (their own rules and model screen those).

    Why out-of-fold: the rules were written on these very messages and catch them all, so
    only scores on messages a fold's model has not seen say how it does on new words.
    """
    scores = np.zeros(len(rows))
    for fold in range(FOLDS):
        train = [number for number in range(len(rows)) if number % FOLDS != fold]
        bias, weights = fit([rows[n] for n in train], labels[train])
        for number in range(fold, len(rows), FOLDS):
            scores[number] = _score(bias, weights, rows[number])
    harmless = [n for n in range(len(rows)) if own[n] and labels[n] == 0 and asked[n]]
    other = [n for n in range(len(rows)) if not own[n]]
    for candidate in np.arange(0.05, 0.96, 0.01):
        alarms = sum(scores[n] >= candidate for n in harmless) / max(len(harmless), 1)
        strays = sum(scores[n] >= candidate for n in other) / max(len(other), 1)
        if alarms <= MAX_FALSE_ALARMS and strays <= MAX_OTHER:
            return round(float(candidate), 2)
    return 0.95


def train(locale: str, examples: Sequence[Example]) -> dict[str, object]:
    """The model file's content for locale, from the tuned examples (the other languages'
    messages are its negatives: their own rules and model screen them)."""
    tuned = [item for item in examples if item.split == "tuned"]
    own = [item.lang == locale for item in tuned]
    rules = builtin_rules(locale)
    rows = [features(item.text) for item in tuned]
    labels = np.array([item.positive and mine for item, mine in zip(tuned, own, strict=True)],
                      dtype=float)
    asked = left_to_model(tuned, rules)
    cut = threshold(labels, rows, own, asked)
    bias, weights = fit(rows, labels)
    categories = tuple(RED_FLAG_CATEGORIES)
    leaning: dict[str, Counter[int]] = {}
    for item, row, mine in zip(tuned, rows, own, strict=True):
        if item.positive and mine:
            category = categories.index(item.category)
            for feature in row:
                leaning.setdefault(feature, Counter())[category] += 1
    table = "".join(
        f"{feature},{round(weight, 4)},{_lean(leaning.get(feature))}\n"
        for feature, weight in sorted(weights.items())
    )
    return {
        "locale": locale,
        "model": {
            "bias": round(bias, 4),
            "threshold": cut,
            "categories": list(categories),
            "weights": table,
        },
    }


def _lean(counts: Counter[int] | None) -> int:
    if not counts:
        return RED_FLAG_CATEGORIES.index("acute_distress")
    return min(counts, key=lambda category: (-counts[category], category))


class _BlockDumper(yaml.SafeDumper):
    """Writes the weights' text block as a literal block (one feature a line)."""


def _literal(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _literal)


def load(paths: Sequence[Path]) -> list[Example]:
    examples: list[Example] = []
    for path in paths:
        for file in sorted(path.glob("*.tsv")) if path.is_dir() else [path]:
            examples.extend(read_examples(str(file), file.read_text("utf-8")))
    return examples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("tests/redflags/eval"),
                        Path("tests/redflags/train")])
    parser.add_argument("--out", type=Path, default=Path("peerbot/dialogs/redflags"))
    args = parser.parse_args(argv)
    examples = load(args.paths)
    for locale in ("en", "es"):
        content = train(locale, examples)
        header = (
            f"# The {locale} red-flag model: written by python -m peerbot.dialogs.detection.train"
            "\n# from the tuned split of tests/redflags (never the held-out one). Do not edit.\n"
        )
        text = yaml.dump(
            content, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=200
        )
        (args.out / f"{locale}.model.yaml").write_text(header + text, "utf-8")
        model = content["model"]
        assert isinstance(model, dict)
        count = str(model["weights"]).count("\n")
        sys.stdout.write(f"{locale}: {count} features, threshold {model['threshold']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
