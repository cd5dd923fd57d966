"""A small statistical model behind the rules: words, word pairs and letter n-grams, weighted.

Why: rules explain themselves but only catch the phrasings someone wrote down; the model
catches paraphrases of them (a logistic regression on TF-IDF weighted features, trained at
build time from the labelled messages, see ``train.py``; no network, no library at run
time). It is asked only when no rule matched at all: where a rule matched and a negation, a
past that is over or a figure of speech dropped it, the rules' reading stands. A model flag
is medium ("unsure: flag it"), high past its stricter `sure` threshold, and names its
category as ``model.<category>`` on the coordinators' card.
"""

from __future__ import annotations

import bisect
import functools
import math
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from peerbot.dialogs.detection.normalise import normalise, words

CHAR_SIZES = (3, 4, 5)


class Weights:
    """The model's table, compact: per feature (by a 32-bit digest of its name, sorted) its
    weight, its idf and the index of the category it leans to.

    Why digests in arrays and not a dict of names: two models of 12,000 features as dicts
    hold 70,000 small objects for the life of the process, and memory at start-up is a
    target; a binary search in a sorted array costs a microsecond.
    """

    __slots__ = ("keys", "leans", "values")

    def __init__(self, keys: array[int], values: array[float], leans: array[int]) -> None:
        self.keys = keys
        self.values = values
        self.leans = leans

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, digests: Iterable[int]) -> list[int]:
        """The rows of the features with these digests that the table has."""
        keys, count, search = self.keys, len(self.keys), bisect.bisect_left
        found = []
        for key in digests:
            row = search(keys, key)
            if row < count and keys[row] == key:
                found.append(row)
        return found

    @classmethod
    def parse(cls, block: str, categories: int) -> Weights:
        """Read ``feature,weight,idf,category`` lines; ValueError names the line."""
        rows: dict[int, tuple[float, float, int]] = {}
        for number, line in enumerate(block.splitlines(), start=1):
            parts = line.rsplit(",", 3)
            if len(parts) != 4:
                raise ValueError(f"line {number}: expected feature, weight, idf and category")
            try:
                weight, idf, category = float(parts[1]), float(parts[2]), int(parts[3])
            except ValueError:
                raise ValueError(
                    f"line {number}: weight, idf and category must be numbers"
                ) from None
            if not 0 <= category < categories:
                raise ValueError(f"line {number}: names category {category}, not listed")
            rows.setdefault(digest(parts[0]), (weight, idf, category))
        keys = sorted(rows)
        return cls(
            array("L", keys),
            array("d", [value for key in keys for value in rows[key][:2]]),
            array("b", [rows[key][2] for key in keys]),
        )


def digest(feature: str) -> int:
    """A feature's 32-bit name digest (CRC-32: stable across processes, unlike hash())."""
    return zlib.crc32(feature.encode("utf-8"))


@dataclass(frozen=True)
class Model:
    """Per feature: its weight, its idf and the category it leans to; flag past the threshold,
    and at high past `sure` (a score few harmless messages reach).

    A message's features count by their idf (rare words say more than common ones), scaled
    so the message's vector has length one: a long message is not riskier for being long.
    """

    bias: float
    threshold: float
    categories: tuple[str, ...]
    weights: Weights
    sure: float = 1.0

    def score(self, text: str) -> tuple[float, str | None]:
        """The probability that text needs a coordinator, and the category it leans to."""
        total = 0.0
        length = 0.0
        leaning = [0.0] * len(self.categories)
        table = self.weights
        values, leans = table.values, table.leans
        for row in table.rows(feature_digests(text)):
            weight, idf = values[2 * row], values[2 * row + 1]
            total += weight * idf
            length += idf * idf
            if weight > 0:
                leaning[leans[row]] += weight * idf
        logit = self.bias + (total / math.sqrt(length) if length else 0.0)
        probability = 1.0 / (1.0 + math.exp(-max(min(logit, 30.0), -30.0)))
        best = max(range(len(leaning)), key=leaning.__getitem__) if leaning else None
        if best is None or leaning[best] <= 0:
            return probability, None
        return probability, self.categories[best]


@functools.lru_cache(maxsize=256)  # screening asks every language's model about one text
def feature_digests(text: str) -> tuple[int, ...]:
    """The digests of text's features."""
    return tuple(digest(feature) for feature in features(text))


def features(text: str) -> frozenset[str]:
    """Words, neighbouring word pairs and letter n-grams (of words with their edges)."""
    found: set[str] = set()
    tokens = words(normalise(text))
    for index, word in enumerate(tokens):
        found.add(f"w:{word}")
        if index + 1 < len(tokens):
            found.add(f"b:{word}_{tokens[index + 1]}")
        padded = f" {word} "
        for size in CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                found.add(f"c:{padded[start : start + size]}")
    return frozenset(found)
