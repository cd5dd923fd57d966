"""A small statistical model behind the rules: words, word pairs and letter n-grams, weighted.

Why: rules explain themselves but only catch the phrasings someone wrote down; the model
catches paraphrases of them (a logistic regression on TF-IDF weighted features, trained at
build time from the labelled messages, see ``train.py``; no network, no library at run
time). It is asked only when no rule matched at all: where a rule matched and a negation, a
past that is over or a figure of speech dropped it, the rules' reading stands. A model flag
is medium ("unsure: flag it") and names its category as ``model.<category>`` on the
coordinators' card.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from peerbot.dialogs.detection.normalise import normalise, words

CHAR_SIZES = (3, 4, 5)


@dataclass(frozen=True)
class Model:
    """Per feature: its weight, its idf and the category it leans to; flag past the threshold.

    A message's features count by their idf (rare words say more than common ones), scaled
    so the message's vector has length one: a long message is not riskier for being long.
    """

    bias: float
    threshold: float
    categories: tuple[str, ...]
    weights: Mapping[str, tuple[float, float, int]]

    def score(self, text: str) -> tuple[float, str | None]:
        """The probability that text needs a coordinator, and the category it leans to."""
        total = 0.0
        length = 0.0
        leaning = [0.0] * len(self.categories)
        for feature in features(text):
            found = self.weights.get(feature)
            if found is not None:
                weight, idf, category = found
                total += weight * idf
                length += idf * idf
                if weight > 0:
                    leaning[category] += weight * idf
        logit = self.bias + (total / math.sqrt(length) if length else 0.0)
        probability = 1.0 / (1.0 + math.exp(-max(min(logit, 30.0), -30.0)))
        best = max(range(len(leaning)), key=leaning.__getitem__) if leaning else None
        if best is None or leaning[best] <= 0:
            return probability, None
        return probability, self.categories[best]


@functools.lru_cache(maxsize=256)  # screening asks every language's model about one text
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
