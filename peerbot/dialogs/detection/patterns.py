"""Phrase patterns: words, alternatives, prefixes, lexicon references and small gaps.

Syntax, one pattern a string, tokens separated by spaces:
``kill`` a word; ``suicid*`` any word with that start; ``kill|end`` any of these words;
``(be alive|keep living)`` any of these phrases; ``@method`` any entry of the lexicon
``method`` (``@method|rope`` and ``(@method|a rope)`` mix lexicons and words);
``*`` up to the file's ``max_gap`` words of anything; ``*2`` up to two.
A pattern starts and ends with a word, never a gap. Words are normalised like messages,
and a word that is slang ("cant") stands for its expansion ("can not").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from peerbot.dialogs.detection.normalise import normalise, words

_TOKEN = re.compile(r"\([^()]*\)|[^\s()]+|[()]")
_GAP = re.compile(r"^\*(\d?)$")
_LEXICON = re.compile(r"^@[a-z0-9_]+$")
_WORD = re.compile(r"^[^\s*|@()]+\*?$")
MAX_GAP = 6


class PatternError(ValueError):
    """A pattern cannot be read; the message says which token and why."""


@dataclass(frozen=True, slots=True)
class Word:
    """One word position: any of `words` exactly, or any word starting with one of `prefixes`."""

    words: frozenset[str]
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Gap:
    """Up to `most` words of anything."""

    most: int


@dataclass(frozen=True, slots=True)
class Choice:
    """Any of `phrases`, or any entry of the named lexicons (resolved when compiled)."""

    phrases: tuple[tuple[Word, ...], ...]
    lexicons: tuple[str, ...] = ()


Piece = Word | Gap | Choice


def check_pattern(text: str) -> str:
    """Raise PatternError unless text is a well-formed pattern; return it unchanged."""
    _pieces(text, _checked_piece)
    return text


def parse_pattern(
    text: str,
    max_gap: int,
    slang: dict[str, tuple[str, ...]],
    known: dict[str, tuple[Piece, ...]] | None = None,
) -> tuple[Piece, ...]:
    """Read a pattern into pieces; single words that are slang become their expansion.

    `known` keeps each token's pieces for the next patterns read with the same max_gap and
    slang: a rules file uses the same few thousand tokens again and again.
    """
    if known is None:
        return _pieces(text, lambda token: tuple(_piece(token, max_gap, slang)))

    def piece(token: str) -> tuple[Piece, ...]:
        found = known.get(token)
        if found is None:
            found = known[token] = tuple(_piece(token, max_gap, slang))
        return found

    return _pieces(text, piece)


@functools.lru_cache(maxsize=16_384)
def _checked_piece(token: str) -> tuple[Piece, ...]:
    return tuple(_piece(token, MAX_GAP, {}))


def _pieces(text: str, piece: Callable[[str], tuple[Piece, ...]]) -> tuple[Piece, ...]:
    tokens = _TOKEN.findall(text)
    if not tokens:
        raise PatternError("is empty")
    pieces: list[Piece] = []
    for token in tokens:
        pieces.extend(piece(token))
    if isinstance(pieces[0], Gap) or isinstance(pieces[-1], Gap):
        raise PatternError(f"{text!r} must start and end with a word, not a gap")
    for before, after in zip(pieces, pieces[1:], strict=False):
        if isinstance(before, Gap) and isinstance(after, Gap):
            raise PatternError(f"{text!r} has two gaps in a row")
    return tuple(pieces)


def _piece(token: str, max_gap: int, slang: dict[str, tuple[str, ...]]) -> list[Piece]:
    gap = _GAP.match(token)
    if gap:
        most = int(gap.group(1)) if gap.group(1) else max_gap
        if not 1 <= most <= MAX_GAP:
            raise PatternError(f"gap {token!r} must allow 1 to {MAX_GAP} words")
        return [Gap(most)]
    if token in ("(", ")"):
        raise PatternError(f"unbalanced {token!r}: a group is (phrase|phrase), not nested")
    grouped = token.startswith("(")
    alternatives = (token[1:-1] if grouped else token).split("|")
    phrases: list[tuple[Word, ...]] = []
    lexicons: list[str] = []
    for alternative in alternatives:
        alternative = alternative.strip()
        if alternative.startswith("@"):
            if not _LEXICON.match(alternative):
                raise PatternError(f"lexicon reference {alternative!r} must look like @name")
            lexicons.append(alternative[1:])
        else:
            phrases.append(_phrase(token, alternative, slang))
    if not lexicons and len(phrases) == 1:
        return list(phrases[0])
    if not lexicons and all(len(phrase) == 1 for phrase in phrases):
        return [merge_words([phrase[0] for phrase in phrases])]
    return [Choice(tuple(phrases), tuple(lexicons))]


def _phrase(token: str, alternative: str, slang: dict[str, tuple[str, ...]]) -> tuple[Word, ...]:
    """One alternative: words (each maybe a prefix*), slang expanded."""
    parts = alternative.split()
    if not parts:
        raise PatternError(f"{token!r} has an empty alternative")
    phrase: list[Word] = []
    for part in parts:
        if not _WORD.match(part):
            raise PatternError(f"{token!r}: {part!r} is not a word or a word* prefix")
        prefix = part.endswith("*")
        found = _normalised(part.removesuffix("*"))
        if len(found) != 1:
            raise PatternError(f"{token!r}: {part!r} must be one word")
        if prefix:
            phrase.append(_word(frozenset(), (found[0],)))
        else:
            phrase.extend(_word(frozenset({word})) for word in slang.get(found[0], found))
    return tuple(phrase)


@functools.cache
def _word(words: frozenset[str], prefixes: tuple[str, ...] = ()) -> Word:
    """One shared Word per spelling: rules files repeat the same positions thousands of times,
    and compiled phrases hold them all (memory counts at start-up)."""
    return Word(words, prefixes)


@functools.lru_cache(maxsize=16_384)
def _normalised(part: str) -> tuple[str, ...]:
    """A pattern word as messages are normalised; the same words recur in thousands of patterns."""
    return words(normalise(part))


def release_parse_caches() -> None:
    """Empty the caches that share words while rules files compile: the compiled phrases hold
    every Word they need, and the caches' own tables would stay for the bot's lifetime."""
    _word.cache_clear()
    _normalised.cache_clear()


def merge_words(pieces: list[Word]) -> Word:
    """One position allowing any of the given one-word pieces."""
    return _word(
        frozenset().union(*(piece.words for piece in pieces)),
        tuple(dict.fromkeys(prefix for piece in pieces for prefix in piece.prefixes)),
    )
