"""Misspelling tolerance: find rule words one edit (Damerau) away from a typed word, fast.

Why an index of deletions: checking every rule word against every typed word would cost
thousands of comparisons per message; one dictionary look-up per deletion costs a few dozen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FuzzyIndex:
    """Rule words of at least `min_length` letters, indexed by their one-letter deletions.

    A word the rules file uses anywhere (a cue, an exclusion) is known, so never a misspelling.
    """

    min_length: int
    same_first_letter: bool
    known: frozenset[str]
    not_misspellings: frozenset[str]
    by_deletion: Mapping[str, tuple[str, ...]]  # tuples: a third of a frozenset's memory

    def near(self, word: str) -> frozenset[str]:
        """Return the rule words one edit away from word (none for known or short words)."""
        if word in self.known or word in self.not_misspellings or len(word) < self.min_length - 1:
            return frozenset()
        found: set[str] = set()
        for key in (word, *_deletions(word)):
            for candidate in self.by_deletion.get(key, ()):
                if self.same_first_letter and candidate[0] != word[0]:
                    continue
                if one_edit_apart(word, candidate):
                    found.add(candidate)
        return frozenset(found)


def build_fuzzy_index(
    rule_words: Iterable[str],
    known: Iterable[str],
    min_length: int,
    same_first_letter: bool,
    not_misspellings: Iterable[str],
) -> FuzzyIndex:
    """Index the rule words long enough to be matched with one edit."""
    rule_words = frozenset(rule_words)
    by_deletion: dict[str, set[str]] = {}
    for word in rule_words:
        if len(word) >= min_length and not word.isdigit():
            for key in (word, *_deletions(word)):
                by_deletion.setdefault(key, set()).add(word)
    return FuzzyIndex(
        min_length=min_length,
        same_first_letter=same_first_letter,
        known=rule_words | frozenset(known),
        not_misspellings=frozenset(not_misspellings),
        by_deletion={key: tuple(sorted(found)) for key, found in by_deletion.items()},
    )


def _deletions(word: str) -> set[str]:
    return {word[:index] + word[index + 1 :] for index in range(len(word))}


def one_edit_apart(typed: str, word: str) -> bool:
    """True if one insertion, deletion, substitution or swap of neighbours turns one into the
    other."""
    if typed == word:
        return False
    if len(typed) == len(word):
        differ = [index for index, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        first, *rest = differ
        return (
            len(differ) == 2
            and rest[0] == first + 1
            and typed[first] == word[first + 1]
            and typed[first + 1] == word[first]
        )
    shorter, longer = sorted((typed, word), key=len)
    if len(longer) - len(shorter) != 1:
        return False
    index = 0
    while index < len(shorter) and shorter[index] == longer[index]:
        index += 1
    return shorter[index:] == longer[index + 1 :]
