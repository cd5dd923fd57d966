"""Misspelling tolerance: find rule words one edit (Damerau) away from a typed word, fast.

Why an index of deletions: checking every rule word against every typed word would cost
thousands of comparisons per message; one dictionary look-up per deletion costs a few dozen.
"""

from __future__ import annotations

import bisect
import zlib
from array import array
from collections.abc import Iterable
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
    by_deletion: DeletionIndex

    def near(self, word: str) -> frozenset[str]:
        """Return the rule words one edit away from word (none for known or short words)."""
        if word in self.known or word in self.not_misspellings or len(word) < self.min_length - 1:
            return frozenset()
        found: set[str] = set()
        for key in (word, *_deletions(word)):
            for candidate in self.by_deletion.get(key):
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
    return FuzzyIndex(
        min_length=min_length,
        same_first_letter=same_first_letter,
        known=rule_words | frozenset(known),
        not_misspellings=frozenset(not_misspellings),
        by_deletion=DeletionIndex.of(
            word for word in rule_words if len(word) >= min_length and not word.isdigit()
        ),
    )


@dataclass(frozen=True, slots=True)
class DeletionIndex:
    """Rule words by the digest of each of their one-letter deletions, in flat arrays.

    Why digests: tens of thousands of deletion strings would stay in memory for the life of
    the process; a digest that collides only adds a candidate that one_edit_apart refuses.
    """

    keys: array[int]  # sorted digests
    starts: array[int]  # where each key's words start in `words` (one more entry at the end)
    words: tuple[str, ...]

    @classmethod
    def of(cls, indexed: Iterable[str]) -> DeletionIndex:
        """Index these words. Each (digest, word) pair is packed into one integer and sorted:
        a dictionary of sets would take several times the memory while the rules compile,
        and that peak stays in the process's resident size."""
        words = sorted(indexed)
        assert len(words) < 1 << _WORD_BITS
        packed = sorted(
            _digest(key) << _WORD_BITS | position
            for position, word in enumerate(words)
            for key in (word, *_deletions(word))
        )
        keys, starts, listed = array("L"), array("l"), list[str]()
        previous = -1
        for pair in packed:
            if pair == previous:
                continue  # two keys of one word with the same digest: listed once
            previous = pair
            key = pair >> _WORD_BITS
            if not keys or keys[-1] != key:
                keys.append(key)
                starts.append(len(listed))
            listed.append(words[pair & _WORD_MASK])
        starts.append(len(listed))
        return cls(keys, starts, tuple(listed))

    def get(self, key: str) -> tuple[str, ...]:
        """The rule words that have key as themselves or as a one-letter deletion."""
        wanted = _digest(key)
        at = bisect.bisect_left(self.keys, wanted)
        if at == len(self.keys) or self.keys[at] != wanted:
            return ()
        return self.words[self.starts[at] : self.starts[at + 1]]


_WORD_BITS = 20
_WORD_MASK = (1 << _WORD_BITS) - 1


def _digest(key: str) -> int:
    return zlib.crc32(key.encode("utf-8"))


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
