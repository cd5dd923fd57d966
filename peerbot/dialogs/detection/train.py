"""Train the red-flag model at build time: ``python -m peerbot.dialogs.detection.train``.

Reads labelled messages (tab-separated files or folders of them, see evaluate.py; only the
``tuned`` split is used, never ``heldout``), fits one logistic regression per language on
TF-IDF weighted words, word pairs and letter n-grams, picks the threshold on out-of-fold
scores of the messages the rules leave to the model, and writes ``<locale>.model.yaml``
beside the rules. Deterministic: the same messages give the same file.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from scipy import optimize, sparse
from scipy.special import expit

from peerbot.dialogs.detection.detect import detect
from peerbot.dialogs.detection.evaluate import Example, read_examples
from peerbot.dialogs.detection.model import Model, Weights, digest, features
from peerbot.dialogs.detection.ruleset import RuleSet, build_rule_sets
from peerbot.dialogs.detection.schema import parse_rule_file
from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES

MIN_COUNT = 2
MAX_FEATURES = 12000
C = 10.0  # inverse strength of the L2 penalty, as scikit-learn names it
MAX_ITERATIONS = 300
RANKING_ITERATIONS = 100  # the first pass only ranks features
FOLDS = 5
MAX_FALSE_ALARMS = 0.1
MAX_SURE_FALSE_ALARMS = 0.02  # a model flag past `sure` is high
MAX_OTHER = 0.02
# A feature leans to the category where it is most frequent as a share only when that share
# is this many times its share among all red flags (see _lean).
DISTINCT = 1.5


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
    probe = dataclasses.replace(rules, model=_Probe(0.0, 0.0, ("suicide",), Weights.parse("", 1)))
    return [detect(item.text, probe).matched == ("model.suicide",) for item in examples]


def fit(rows: Sequence[frozenset[str]], labels: np.ndarray) -> tuple[float, Fitted]:
    """Logistic regression on TF-IDF rows, in two passes: fit on every feature seen
    MIN_COUNT times, keep the MAX_FEATURES with the largest weights, fit again on those.

    Why two passes: a shipped model holds a bounded table, and a message's length is
    measured over the features the table holds, so the second fit sees exactly what
    scoring will see.
    """
    counts = Counter(feature for row in rows for feature in row)
    seen = sorted(feature for feature, count in counts.items() if count >= MIN_COUNT)
    idf = {f: math.log((1 + len(rows)) / (1 + counts[f])) + 1 for f in seen}
    bias, weights = _fit_on(rows, labels, seen, idf, RANKING_ITERATIONS)
    kept = sorted(seen, key=lambda feature: (-abs(weights[feature]), feature))[:MAX_FEATURES]
    bias, weights = _fit_on(rows, labels, sorted(kept), idf, MAX_ITERATIONS)
    return bias, {f: (weights[f], idf[f]) for f in kept if abs(weights[f]) > 1e-4}


Fitted = dict[str, tuple[float, float]]  # feature -> (weight, idf)


def _fit_on(
    rows: Sequence[frozenset[str]], labels: np.ndarray, vocabulary: list[str],
    idf: dict[str, float], iterations: int,
) -> tuple[float, dict[str, float]]:
    """Minimise C * log loss + |w|^2 / 2 (as scikit-learn's LogisticRegression) by L-BFGS."""
    matrix = _matrix(rows, vocabulary, idf)
    signs = 2 * labels - 1

    def loss(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        weights, bias = parameters[:-1], parameters[-1]
        margins = signs * (matrix @ weights + bias)
        losses = np.logaddexp(0, -margins)
        pull = -signs * expit(-margins) * C
        gradient = np.concatenate([matrix.T @ pull + weights, [pull.sum()]])
        return float(C * losses.sum() + weights @ weights / 2), gradient

    start = np.zeros(len(vocabulary) + 1)
    found = optimize.minimize(loss, start, jac=True, method="L-BFGS-B",
                              options={"maxiter": iterations})
    weights = found.x[:-1]
    return float(found.x[-1]), dict(zip(vocabulary, weights.tolist(), strict=True))


def _matrix(
    rows: Sequence[frozenset[str]], vocabulary: list[str], idf: dict[str, float]
) -> sparse.csr_matrix:
    """One row per message: the idf of each feature it has, scaled to length one."""
    index = {feature: number for number, feature in enumerate(vocabulary)}
    numbers, columns, values = [], [], []
    for number, row in enumerate(rows):
        present = [f for f in row if f in index]
        length = math.sqrt(sum(idf[f] ** 2 for f in present)) or 1.0
        for feature in present:
            numbers.append(number)
            columns.append(index[feature])
            values.append(idf[feature] / length)
    return sparse.csr_matrix((values, (numbers, columns)), shape=(len(rows), len(vocabulary)))


def _score(bias: float, weights: Fitted, row: frozenset[str]) -> float:
    """The probability the shipped model gives row (as Model.score computes it)."""
    present = [weights[f] for f in row if f in weights]
    length = math.sqrt(sum(idf * idf for _, idf in present))
    total = sum(weight * idf for weight, idf in present) / length if length else 0.0
    return float(expit(bias + total))


def thresholds(
    labels: np.ndarray, rows: Sequence[frozenset[str]], own: list[bool], asked: list[bool]
) -> tuple[float, float]:
    """The lowest thresholds whose out-of-fold false alarms stay within budget: at most
    MAX_FALSE_ALARMS (for a flag) and MAX_SURE_FALSE_ALARMS (for a high flag) of this
    language's harmless messages the rules leave to the model, and MAX_OTHER of the other
    language's messages (their own rules and model screen those).

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

    def lowest(budget: float) -> float:
        for candidate in np.arange(0.05, 0.96, 0.01):
            alarms = sum(scores[n] >= candidate for n in harmless) / max(len(harmless), 1)
            strays = sum(scores[n] >= candidate for n in other) / max(len(other), 1)
            if alarms <= budget and strays <= MAX_OTHER:
                return round(float(candidate), 2)
        return 0.95

    return lowest(MAX_FALSE_ALARMS), lowest(MAX_SURE_FALSE_ALARMS)


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
    cut, sure = thresholds(labels, rows, own, asked)
    bias, weights = fit(rows, labels)
    categories = tuple(RED_FLAG_CATEGORIES)
    leaning: dict[str, Counter[int]] = {}
    sizes: Counter[int] = Counter()
    for item, row, mine in zip(tuned, rows, own, strict=True):
        if item.positive and mine:
            category = categories.index(item.category)
            sizes[category] += 1
            for feature in row:
                leaning.setdefault(feature, Counter())[category] += 1
    digests = Counter(digest(feature) for feature in weights)
    if len(digests) != len(weights):  # the shipped model finds features by digest
        raise SystemExit(f"{locale}: two features share a digest; change MAX_FEATURES")
    table = "".join(
        f"{feature},{round(weight, 4)},{round(idf, 4)},{_lean(leaning.get(feature), sizes)}\n"
        for feature, (weight, idf) in sorted(weights.items())
    )
    return {
        "locale": locale,
        "model": {
            "bias": round(bias, 4),
            "threshold": cut,
            "sure": sure,
            "categories": list(categories),
            "weights": table,
        },
    }


def _lean(counts: Counter[int] | None, sizes: Counter[int]) -> int:
    """The category a feature leans to: the one whose red flags have it most often as a share
    of them, when that share is at least `DISTINCT` times its share among all red flags;
    otherwise the category whose red flags have it most often by count.

    Why a share: suicide has five times the examples of medical, so by count nearly every
    word leaned to suicide, and a fit or a blue baby came out as one. Why only a distinct
    share: common words ("i've", "and", "there's", "left") are in every category at about the
    same rate, and by share alone each leaned to whichever small category had it a little
    more often; added up, they sent a loaded rifle with "tonight is the end" to burnout and
    an armed man on his way to medical. Such words now lean by count (mostly to suicide).
    """
    if not counts:
        return RED_FLAG_CATEGORIES.index("acute_distress")
    best = min(counts, key=lambda category: (-counts[category] / sizes[category], category))
    overall = sum(counts.values()) / sum(sizes.values())
    if counts[best] / sizes[best] >= DISTINCT * overall:
        return best
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
