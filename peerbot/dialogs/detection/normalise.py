"""Text normalisation shared by every locale: one spelling for what people type many ways."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Typographic apostrophes and the accents people type instead (don´t, don`t).
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u201b\u02bc\u00b4`\u2032\uff07", "'"))
_RUNS = re.compile(r"(\w)\1{2,}")
_WORD = re.compile(r"[a-z0-9]+")
# Sentence ends bound gaps in patterns; clause marks also bound negation and other cues.
_SENTENCE_END = re.compile(r"[.!?\n\u2026]+")
_CLAUSE_MARK = re.compile(r"[,;:()\"\u00ab\u00bb\u201c\u201d]+|\s-+\s")


def normalise(text: str) -> str:
    """Lower-case, NFKC, accents stripped (ñ becomes n), apostrophes dropped, runs cut to two.

    Why strip accents everywhere: people often type Spanish without them, so rules and
    messages meet in the unaccented spelling.
    """
    return _RUNS.sub(r"\1\1", _plain(text))


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.translate(_APOSTROPHES)).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("'", "")


def words(text: str) -> tuple[str, ...]:
    """Split normalised text into words (letters and digits)."""
    return tuple(_WORD.findall(text))


@dataclass(frozen=True)
class Token:
    """One word of a message, with the sentence and clause it belongs to.

    `stretched` words had a letter typed three times or more ("diiiie"), so their
    doubles may be cut too when looking them up.
    """

    word: str
    sentence: int
    clause: int
    stretched: bool = False


def tokenise(text: str) -> tuple[Token, ...]:
    """Normalise text and split it into tokens numbered by sentence and clause."""
    tokens: list[Token] = []
    clause = 0
    for sentence, part in enumerate(_SENTENCE_END.split(_plain(text))):
        for piece in _CLAUSE_MARK.split(part):
            for word in words(piece):
                cut = _RUNS.sub(r"\1\1", word)
                tokens.append(Token(cut, sentence, clause, stretched=cut != word))
            clause += 1
    return tuple(tokens)


def collapse_doubles(word: str) -> str:
    """Cut every run of a letter to one ('diie' -> 'die'), for stretched words."""
    return re.sub(r"(\w)\1+", r"\1", word)
