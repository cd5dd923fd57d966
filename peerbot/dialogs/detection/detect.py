"""Find red flags in a free-text message: the most severe finding and the rules that fired."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from peerbot.dialogs.detection.model import Model
from peerbot.dialogs.detection.normalise import collapse_doubles, tokenise
from peerbot.dialogs.detection.patterns import Gap, Word
from peerbot.dialogs.detection.ruleset import CompiledQualifier, Phrase, RuleSet
from peerbot.dialogs.red_flags import Severity

SEVERITIES: tuple[Severity, ...] = ("medium", "high", "critical")
_MEDIUM, _HIGH, _CRITICAL = 0, 1, 2
# A rule's high flag in these categories is critical when the message says it is happening
# now; distress and burnout are about how someone feels, not about what is about to happen.
_RAISED_BY_URGENCY = frozenset(
    {"suicide", "self_harm", "harm_to_others", "abuse", "medical", "postpartum"}
)


@dataclass(frozen=True)
class Detection:
    """What detection found: the most severe flag, and the ids of every rule that fired."""

    flagged: bool
    category: str | None
    severity: Severity | None
    matched: tuple[str, ...]


NOTHING = Detection(flagged=False, category=None, severity=None, matched=())


@dataclass(frozen=True)
class _Span:
    """Where a phrase matched: words start..end-1; `gaps` are the positions its gaps took."""

    start: int
    end: int
    gaps: frozenset[int]


@dataclass(frozen=True)
class _Message:
    """The words of a message after slang, each with the spellings it may stand for."""

    words: tuple[str, ...]
    alternates: tuple[str, ...]
    exact: tuple[frozenset[str], ...]
    near: tuple[frozenset[str], ...]
    sentences: tuple[int, ...]
    clauses: tuple[int, ...]
    sentence_ends: tuple[int, ...]  # per word: where its sentence ends (one past its last word)


def detect(text: str, rules: RuleSet) -> Detection:
    """Return the most severe red flag in text (critical > high > medium, then category)."""
    message = _read(text, rules)
    spans = _find(message, rules)
    excluded = (
        []
        if rules.exclusion_set.isdisjoint(spans)
        else [span for phrase in rules.exclusions for span in spans.get(phrase, ())]
    )
    present = frozenset(message.words)
    cues = [
        (qualifier, _cue_spans(qualifier, spans))
        for qualifier in rules.qualifiers
        if not (qualifier.anywhere and not qualifier.breaks.isdisjoint(present))
    ]
    patterns: dict[int, list[_Span]] = {}
    requirements: dict[int, list[_Span]] = {}
    for phrase, found in spans.items():
        for index in rules.pattern_of.get(phrase, ()):
            patterns.setdefault(index, []).extend(found)
        for index in rules.requirement_of.get(phrase, ()):
            requirements.setdefault(index, []).extend(found)
    matched = [span for found in (*patterns.values(), *requirements.values()) for span in found]
    urgent = max(
        (SEVERITIES.index(rules.urgency[phrase]) for phrase in spans if phrase in rules.urgency),
        default=_MEDIUM,
    )

    dropped: list[_Span] = []  # rule matches a negation, exclusion or qualifier dropped

    def level(found: Iterable[_Span], ceiling: int, category: str) -> int | None:
        mine = [
            (qualifier, cue_spans)
            for qualifier, cue_spans in cues
            if not qualifier.categories or category in qualifier.categories
        ]
        levels = []
        for span in found:
            kept = _level(span, ceiling, excluded, mine, message, matched)
            if kept is None:
                dropped.append(span)
            else:
                levels.append(kept)
        return max(levels, default=None)

    findings = []
    for index, found in patterns.items():
        rule = rules.rules[index]
        kept = level(found, SEVERITIES.index(rule.severity), rule.category)
        if kept is not None and rule.requires:
            required = level(requirements.get(index, ()), len(SEVERITIES) - 1, rule.category)
            kept = None if required is None else min(kept, required)
        if kept is not None:
            if urgent == _CRITICAL and kept == _HIGH == SEVERITIES.index(rule.severity):
                kept = _CRITICAL if rule.category in _RAISED_BY_URGENCY else kept
            findings.append((kept, rule))
    if not findings:
        if rules.model is None or dropped or excluded or any(
            qualifier.anywhere and qualifier.effect == "ignore" and cue_spans
            for qualifier, cue_spans in cues
        ):
            return NOTHING  # a rule matched and was dropped, or a figure of speech: it stands
        return _ask_model(text, rules.model, urgent)
    findings.sort(key=lambda finding: (-finding[0], finding[1].priority, finding[1].id))
    top_level, top = findings[0]
    return Detection(
        flagged=True,
        category=top.category,
        severity=SEVERITIES[top_level],
        matched=tuple(rule.id for _, rule in findings),
    )


def _ask_model(text: str, model: Model, urgent: int) -> Detection:
    """A flag if the model's score passes its threshold (no rule matched): medium, high past
    the model's `sure` threshold, and at least the level of the urgency words in the message.

    Why: a model catch graded medium is not followed up at once, and a rope that is already
    up, pills swallowed minutes ago or a fit that will not stop are the messages the rules
    did not foresee and the model catches.
    """
    probability, category = model.score(text)
    if probability < model.threshold or category is None:
        return NOTHING
    level = max(_HIGH if probability >= model.sure else _MEDIUM, urgent)
    return Detection(
        flagged=True,
        category=category,
        severity=SEVERITIES[level],
        matched=(f"model.{category}",),
    )


def _read(text: str, rules: RuleSet) -> _Message:
    """Tokenise, replace slang (longest first), and look up misspellings once per word.

    A stretched word ("diiiie") also stands for itself with doubles cut ("die").
    """
    tokens = tokenise(text)
    longest = max((len(key) for key in rules.slang), default=0)
    words: list[str] = []
    alternates: list[str] = []
    sentences: list[int] = []
    clauses: list[int] = []
    index = 0
    while index < len(tokens):
        for size in range(min(longest, len(tokens) - index), 0, -1):
            key = tuple(token.word for token in tokens[index : index + size])
            if key in rules.slang:
                replacement = rules.slang[key]
                break
        else:
            size, replacement = 1, (tokens[index].word,)
        words.extend(replacement)
        alternates.extend(
            collapse_doubles(word) if tokens[index].stretched and size == 1 else word
            for word in replacement
        )
        sentences.extend([tokens[index].sentence] * len(replacement))
        clauses.extend([tokens[index].clause] * len(replacement))
        index += size
    exact = tuple(frozenset((word, other)) for word, other in zip(words, alternates, strict=True))
    near = tuple(keys | rules.fuzzy.near(word) for word, keys in zip(words, exact, strict=True))
    return _Message(
        tuple(words),
        tuple(alternates),
        exact,
        near,
        tuple(sentences),
        tuple(clauses),
        _sentence_ends(sentences),
    )


def _sentence_ends(sentences: Sequence[int]) -> tuple[int, ...]:
    """Per word, one past the last word of its sentence (sentences are numbered in order):
    a phrase that starts at a word may not reach past it."""
    ends = [len(sentences)] * len(sentences)
    for position in range(len(sentences) - 2, -1, -1):
        if sentences[position] == sentences[position + 1]:
            ends[position] = ends[position + 1]
        else:
            ends[position] = position + 1
    return tuple(ends)


def _find(message: _Message, rules: RuleSet) -> dict[int, list[_Span]]:
    """Match every phrase of the rule set, starting only where its first words fit.

    Phrases are indexed by their first two words (or first word, or prefix), so a message
    is compared with the few phrases that could start at each word, not with all of them.
    """
    found: dict[int, list[_Span]] = {}
    near, exact, words = message.near, message.exact, message.words
    first_word, first_pair = rules.first_word, rules.first_pair
    fuzzy_phrases, table, needs = rules.fuzzy_phrases, rules.phrases, rules.needs
    present = frozenset().union(*near)  # every spelling in the message (exact ones included)
    last = len(words) - 1
    for start, (word, other) in enumerate(zip(words, message.alternates, strict=True)):
        candidates: set[int] = set()
        following_keys = near[start + 1] if start < last else ()
        for key in near[start]:
            candidates.update(first_word.get(key, ()))
            for following in following_keys:
                candidates.update(first_pair.get((key, following), ()))
        for size, by_prefix in rules.first_prefix_by_length:
            candidates.update(by_prefix.get(word[:size], ()))
            candidates.update(by_prefix.get(other[:size], ()))
        end = message.sentence_ends[start]
        for phrase in candidates:
            needed = needs[phrase]
            if needed is not None and needed.isdisjoint(present):
                continue
            keys = near if phrase in fuzzy_phrases else exact
            span = _walk(message, keys, table[phrase], 0, start, start, (), end)
            if span is not None:
                found.setdefault(phrase, []).append(span)
    return found


def _walk(
    message: _Message,
    keys: tuple[frozenset[str], ...],
    phrase: Phrase,
    index: int,
    start: int,
    position: int,
    gaps: tuple[int, ...],
    end: int,
) -> _Span | None:
    """Match phrase from its piece `index` at position: words in order, gaps taking as few
    words as they can, every word before `end` (the end of start's sentence)."""
    while index < len(phrase):
        piece = phrase[index]
        if isinstance(piece, Gap):
            following = phrase[index + 1]
            assert isinstance(following, Word)  # parse_pattern refuses two gaps in a row
            for at in range(position, min(position + piece.most + 1, end)):
                if _fits(following, message, keys, at):
                    taken = gaps + tuple(range(position, at))
                    span = _walk(message, keys, phrase, index + 2, start, at + 1, taken, end)
                    if span is not None:
                        return span
            return None
        if position >= end or not _fits(piece, message, keys, position):
            return None
        index, position = index + 1, position + 1
    return _Span(start, position, frozenset(gaps))


def _fits(piece: Word, message: _Message, keys: tuple[frozenset[str], ...], position: int) -> bool:
    """True if the word at position is one piece allows."""
    if not piece.words.isdisjoint(keys[position]):
        return True
    if piece.prefixes:
        word, other = message.words[position], message.alternates[position]
        return word.startswith(piece.prefixes) or other.startswith(piece.prefixes)
    return False


def _inside(span: _Span, other: _Span) -> bool:
    return other.start <= span.start and span.end <= other.end


def _cue_spans(qualifier: CompiledQualifier, spans: dict[int, list[_Span]]) -> list[_Span]:
    """The qualifier's cues, less those inside one of its `except` phrases."""
    if qualifier.cue_set.isdisjoint(spans):
        return []
    excepts = [span for phrase in qualifier.excepts for span in spans.get(phrase, ())]
    return [
        cue
        for phrase in qualifier.cues
        for cue in spans.get(phrase, ())
        if not any(_inside(cue, other) for other in excepts)
    ]


def _level(
    span: _Span,
    ceiling: int,
    excluded: Sequence[_Span],
    cues: Sequence[tuple[CompiledQualifier, list[_Span]]],
    message: _Message,
    matched: Sequence[_Span],
) -> int | None:
    """The severity a match keeps after exclusions and qualifiers, or None if it is dropped.

    A cue reaches a match through any longer match around it: in "not having any thoughts
    of suicide" the negation reaches "suicide" through "thoughts ... suicide".
    """
    if any(other.start < span.end and span.start < other.end for other in excluded):
        return None
    anchors = {other.start for other in matched if _inside(span, other)} | {span.start}
    level = ceiling
    for qualifier, cue_spans in cues:
        if any(
            _qualifies(qualifier, cue, span, anchor, message)
            for cue in cue_spans
            for anchor in anchors
        ):
            if qualifier.effect == "ignore":
                return None
            level = min(level, _MEDIUM)
    return level


def _qualifies(
    qualifier: CompiledQualifier, cue: _Span, span: _Span, anchor: int, message: _Message
) -> bool:
    """A cue counts in the match's gap, or within scope of its anchor (the match's start or
    the start of a match around it), before (after) it in the same clause, no break between.
    """
    if span.start <= cue.start and cue.end <= span.end:
        return all(position in span.gaps for position in range(cue.start, cue.end))
    if qualifier.anywhere:
        return True  # its breaks were checked once for the whole message
    if qualifier.after:
        near, far, between = span.end - 1, cue.start, range(span.end, cue.start)
    else:
        near, far, between = anchor, cue.end - 1, range(cue.end, span.start)
    distance = abs(near - far)
    if not 1 <= distance <= qualifier.scope or (far > near) != qualifier.after:
        return False
    if not message.clauses[far] == message.clauses[near] == message.clauses[span.start]:
        return False
    return qualifier.breaks.isdisjoint(message.words[index] for index in between)
