"""Merge a locale's rules files (built-in, then the program's) and compile them once.

A program file adds to or replaces the built-in rules: rules by id (``enabled: false``
removes one), lexicons, exclusions, urgency lists and qualifiers by name, slang word by
word; word lists (`clause_breaks`, `fuzzy.not_misspellings`) are extended; numbers given
replace.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from peerbot.dialogs.detection.fuzzy import FuzzyIndex, build_fuzzy_index
from peerbot.dialogs.detection.model import Model
from peerbot.dialogs.detection.normalise import normalise, words
from peerbot.dialogs.detection.patterns import (
    Choice,
    Gap,
    PatternError,
    Piece,
    Word,
    merge_words,
    parse_pattern,
    release_parse_caches,
)
from peerbot.dialogs.detection.schema import Qualifier, Rule, RuleFile, RuleFileError
from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES, Severity

T = TypeVar("T")
Phrase = tuple[Word | Gap, ...]
MAX_EXPANSIONS = 5000


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its patterns turned into phrase ids of the rule set's phrase table."""

    id: str
    category: str
    severity: Severity
    phrases: tuple[int, ...]
    requires: tuple[int, ...]

    @property
    def priority(self) -> int:
        return RED_FLAG_CATEGORIES.index(self.category)


@dataclass(frozen=True)
class CompiledQualifier:
    """Cue phrases that drop or lower a match a few words after them; `breaks` stop them."""

    name: str
    effect: Literal["ignore", "cap_medium"]
    scope: int
    after: bool
    cues: tuple[int, ...]
    excepts: tuple[int, ...]
    breaks: frozenset[str]
    anywhere: bool = False
    categories: frozenset[str] = frozenset()
    cue_set: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Why: most messages hold none of a qualifier's cues; one set test says so at once.
        object.__setattr__(self, "cue_set", frozenset(self.cues))


@dataclass(frozen=True)
class RuleSet:
    """One locale's compiled rules: build once at start-up, share everywhere (immutable)."""

    locale: str
    sources: tuple[str, ...]  # the rules files, in order (a model file is model_source)
    phrases: tuple[Phrase, ...]
    fuzzy_phrases: frozenset[int]
    rules: tuple[CompiledRule, ...]
    exclusions: tuple[int, ...]
    urgency: Mapping[int, Severity]  # phrase id -> the least severity it gives a model flag
    qualifiers: tuple[CompiledQualifier, ...]
    slang: Mapping[tuple[str, ...], tuple[str, ...]]
    fuzzy: FuzzyIndex
    model: Model | None = field(repr=False)
    model_source: str | None = field(repr=False)
    pattern_of: Mapping[int, tuple[int, ...]] = field(repr=False)
    requirement_of: Mapping[int, tuple[int, ...]] = field(repr=False)
    first_pair: Mapping[tuple[str, str], tuple[int, ...]] = field(repr=False)
    first_word: Mapping[str, tuple[int, ...]] = field(repr=False)
    first_prefix: tuple[tuple[str, tuple[int, ...]], ...] = field(repr=False)
    exclusion_set: frozenset[int] = field(init=False, repr=False, compare=False)
    # first_prefix by prefix length: one look-up per length instead of a test per prefix
    first_prefix_by_length: tuple[tuple[int, Mapping[str, tuple[int, ...]]], ...] = field(
        init=False, repr=False, compare=False
    )
    # per phrase, the words its last whole-word piece after the first allows (None: no such
    # piece): a message with none of them anywhere cannot match the phrase
    needs: tuple[frozenset[str] | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_length: dict[int, dict[str, tuple[int, ...]]] = {}
        for prefix, phrases in self.first_prefix:
            by_length.setdefault(len(prefix), {})[prefix] = phrases
        object.__setattr__(self, "exclusion_set", frozenset(self.exclusions))
        object.__setattr__(self, "first_prefix_by_length", tuple(sorted(by_length.items())))
        object.__setattr__(self, "needs", tuple(_needed_words(phrase) for phrase in self.phrases))


@dataclass(frozen=True)
class _Located(Generic[T]):
    source: str
    path: str
    value: T


@dataclass
class _Merged:
    locale: str
    sources: list[str] = field(default_factory=list)
    max_gap: int = 3
    min_length: int = 5
    same_first_letter: bool = True
    not_misspellings: list[str] = field(default_factory=list)
    clause_breaks: list[str] = field(default_factory=list)
    slang: dict[str, _Located[str]] = field(default_factory=dict)
    lexicons: dict[str, _Located[tuple[str, ...]]] = field(default_factory=dict)
    qualifiers: dict[str, _Located[Qualifier]] = field(default_factory=dict)
    exclusions: dict[str, _Located[tuple[str, ...]]] = field(default_factory=dict)
    urgency: dict[str, _Located[tuple[str, ...]]] = field(default_factory=dict)
    rules: dict[str, _Located[Rule]] = field(default_factory=dict)
    model: Model | None = None
    model_source: str | None = None

    def add(self, source: str, rule_file: RuleFile) -> None:
        given = rule_file.model_fields_set
        if given <= {"locale", "model"} and "model" in given:
            self.model_source = source  # a model file (<locale>.model.yaml) gives no rules
        else:
            self.sources.append(source)
        if "model" in given:
            data = rule_file.model
            self.model = None if data is None else Model(
                data.bias, data.threshold, data.categories, data.weights, data.sure
            )
        if "max_gap" in given:
            self.max_gap = rule_file.max_gap
        fuzzy = rule_file.fuzzy
        if "min_length" in fuzzy.model_fields_set:
            self.min_length = fuzzy.min_length
        if "same_first_letter" in fuzzy.model_fields_set:
            self.same_first_letter = fuzzy.same_first_letter
        self.not_misspellings.extend(fuzzy.not_misspellings)
        self.clause_breaks.extend(rule_file.clause_breaks)
        for key, value in rule_file.slang.items():
            self.slang[key] = _Located(source, f"slang.{key}", value)
        for name, entries in rule_file.lexicons.items():
            self.lexicons[name] = _Located(source, f"lexicons.{name}", entries)
        for name, qualifier in rule_file.qualifiers.items():
            self.qualifiers[name] = _Located(source, f"qualifiers.{name}", qualifier)
        for name, entries in rule_file.exclusions.items():
            self.exclusions[name] = _Located(source, f"exclusions.{name}", entries)
        for name, entries in rule_file.urgency.items():
            self.urgency[name] = _Located(source, f"urgency.{name}", entries)
        for index, rule in enumerate(rule_file.rules):
            self.rules.pop(rule.id, None)  # a replaced rule moves to its new place
            if rule.enabled:
                self.rules[rule.id] = _Located(source, f"rules[{index}]", rule)


def build_rule_sets(files: Iterable[tuple[str, RuleFile]]) -> dict[str, RuleSet]:
    """Merge rules files in order (later ones add or replace) and compile one set per locale."""
    merged: dict[str, _Merged] = {}
    for source, rule_file in files:
        merged.setdefault(rule_file.locale, _Merged(rule_file.locale)).add(source, rule_file)
    compiled = {locale: _Compiler(rules).compile() for locale, rules in merged.items()}
    release_parse_caches()
    return compiled


class _Compiler:
    """Turn merged rules into phrase tables and indexes, naming file and field on error."""

    def __init__(self, merged: _Merged) -> None:
        self.merged = merged
        self.table: list[Phrase] = []  # a phrase's id is its place here
        self.ids: tuple[dict[Phrase, int], dict[Phrase, int]] = ({}, {})  # [fuzzy][phrase]
        self.fuzzy_phrases: set[int] = set()
        self.known: set[str] = set()
        self.slang = self._slang()
        self.single_slang = {key[0]: value for key, value in self.slang.items() if len(key) == 1}
        self.tokens: dict[str, tuple[Piece, ...]] = {}  # each token read once
        self.lexicons = {name: self._lexicon(located) for name, located in merged.lexicons.items()}

    def compile(self) -> RuleSet:
        merged = self.merged
        rules = tuple(self._rule(located) for located in merged.rules.values())
        exclusions = tuple(
            phrase
            for located in merged.exclusions.values()
            for index, text in enumerate(located.value)
            for phrase in self._phrases(located, f"[{index}]", text, fuzzy=False)
        )
        urgency: dict[int, Severity] = {}
        for name in ("high", "critical"):  # a phrase in both lists is critical
            located = merged.urgency.get(name)
            if located is not None:
                for cue in self._phrase_list(located, "", located.value, fuzzy=False):
                    urgency[cue] = name
        qualifiers = tuple(self._qualifier(name, item) for name, item in merged.qualifiers.items())
        table, self.table = tuple(self.table), []
        self.ids = ({}, {})  # no more phrases: the indexes below are built without it
        rule_words = {
            word
            for phrase_id in self.fuzzy_phrases
            for piece in table[phrase_id]
            if isinstance(piece, Word)
            for word in piece.words
        }
        first_pair: dict[tuple[str, str], list[int]] = {}
        first_word: dict[str, list[int]] = {}
        first_prefix: dict[str, list[int]] = {}
        for phrase_id, phrase in enumerate(table):
            head = phrase[0]
            assert isinstance(head, Word)  # parse_pattern refuses a leading gap
            second = phrase[1] if len(phrase) > 1 else None
            if isinstance(second, Word) and not head.prefixes and not second.prefixes:
                for pair in itertools.product(head.words, second.words):
                    first_pair.setdefault(pair, []).append(phrase_id)
                continue
            for word in head.words:
                first_word.setdefault(word, []).append(phrase_id)
            for prefix in head.prefixes:
                first_prefix.setdefault(prefix, []).append(phrase_id)
        pattern_of: dict[int, list[int]] = {}
        requirement_of: dict[int, list[int]] = {}
        for index, rule in enumerate(rules):
            for phrase_id in rule.phrases:
                pattern_of.setdefault(phrase_id, []).append(index)
            for phrase_id in rule.requires:
                requirement_of.setdefault(phrase_id, []).append(index)
        return RuleSet(
            locale=merged.locale,
            sources=tuple(merged.sources),
            phrases=table,
            fuzzy_phrases=frozenset(self.fuzzy_phrases),
            rules=rules,
            exclusions=exclusions,
            urgency=urgency,
            qualifiers=qualifiers,
            slang=self.slang,
            fuzzy=build_fuzzy_index(
                rule_words,
                self.known,
                merged.min_length,
                merged.same_first_letter,
                self._words(merged.not_misspellings),
            ),
            model=merged.model,
            model_source=merged.model_source if merged.model is not None else None,
            pattern_of=_shared_values(pattern_of),
            requirement_of=_shared_values(requirement_of),
            first_pair=_shared_values(first_pair),
            first_word=_shared_values(first_word),
            first_prefix=tuple(_shared_values(first_prefix).items()),
        )

    def _slang(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        slang: dict[tuple[str, ...], tuple[str, ...]] = {}
        for key, located in self.merged.slang.items():
            key_words, value_words = words(normalise(key)), words(normalise(located.value))
            if not key_words or not value_words:
                raise RuleFileError(f"{located.source}: {located.path}: must be words")
            slang[key_words] = value_words
        return slang

    def _words(self, texts: Iterable[str]) -> list[str]:
        return [word for text in texts for word in words(normalise(text))]

    def _lexicon(self, located: _Located[tuple[str, ...]]) -> list[Phrase]:
        entries: list[Phrase] = []
        for index, text in enumerate(located.value):
            pieces = self._parse(located, f"[{index}]", text)
            if any(not isinstance(piece, Word) for piece in pieces):
                problem = "a lexicon entry is words only, no gaps, groups or @references"
                raise RuleFileError(f"{located.source}: {located.path}[{index}]: {problem}")
            entries.append(tuple(piece for piece in pieces if isinstance(piece, Word)))
        return entries

    def _parse(self, located: _Located[T], where: str, text: str) -> tuple[Piece, ...]:
        try:
            return parse_pattern(text, self.merged.max_gap, self.single_slang, self.tokens)
        except PatternError as error:
            raise RuleFileError(f"{located.source}: {located.path}{where}: {error}") from None

    def _phrases(self, located: _Located[T], where: str, text: str, fuzzy: bool) -> list[int]:
        """Parse a pattern, expand its @lexicons, and return the ids of the phrases it means."""
        options: list[list[Phrase]] = []
        for piece in self._parse(located, where, text):
            if isinstance(piece, Choice):
                entries: list[Phrase] = list(piece.phrases)
                for name in piece.lexicons:
                    if name not in self.lexicons:
                        problem = f"unknown lexicon @{name}"
                        raise RuleFileError(f"{located.source}: {located.path}{where}: {problem}")
                    entries.extend(self.lexicons[name])
                options.append(_lexicon_options(entries))
            else:
                options.append([(piece,)])
        count = 1
        for choice in options:
            count *= len(choice)
        if count > MAX_EXPANSIONS:
            problem = f"expands to {count} phrases (at most {MAX_EXPANSIONS}); split it"
            raise RuleFileError(f"{located.source}: {located.path}{where}: {problem}")
        ids = []
        for combination in itertools.product(*options):
            phrase: Phrase = tuple(piece for part in combination for piece in part)
            phrase_id = self.ids[fuzzy].setdefault(phrase, len(self.table))
            if phrase_id == len(self.table):
                self.table.append(phrase)
            for piece in phrase:
                if isinstance(piece, Word):
                    self.known.update(piece.words)
            if fuzzy:
                self.fuzzy_phrases.add(phrase_id)
            ids.append(phrase_id)
        return ids

    def _phrase_list(
        self, located: _Located[T], field: str, texts: Sequence[str], *, fuzzy: bool
    ) -> list[int]:
        """The phrase ids of every text in a list field (errors name field[index])."""
        return [
            phrase_id
            for index, text in enumerate(texts)
            for phrase_id in self._phrases(located, f"{field}[{index}]", text, fuzzy=fuzzy)
        ]

    def _rule(self, located: _Located[Rule]) -> CompiledRule:
        rule = located.value
        phrases = self._phrase_list(located, ".patterns", rule.patterns, fuzzy=True)
        requires = self._phrase_list(located, ".requires_any", rule.requires_any, fuzzy=True)
        return CompiledRule(
            rule.id, rule.category, rule.severity, tuple(dict.fromkeys(phrases)), tuple(requires)
        )

    def _qualifier(self, name: str, located: _Located[Qualifier]) -> CompiledQualifier:
        qualifier = located.value
        cues = self._phrase_list(located, ".cues", qualifier.cues, fuzzy=False)
        excepts = self._phrase_list(located, ".except", qualifier.except_, fuzzy=False)
        return CompiledQualifier(
            name=name,
            effect=qualifier.effect,
            scope=qualifier.scope,
            after=qualifier.direction == "after",
            cues=tuple(cues),
            excepts=tuple(excepts),
            breaks=frozenset(
                self._words(
                    qualifier.breaks
                    if qualifier.direction == "anywhere"
                    else [*qualifier.breaks, *self.merged.clause_breaks]
                )
            ),
            anywhere=qualifier.direction == "anywhere",
            categories=frozenset(qualifier.categories),
        )


def _needed_words(phrase: Phrase) -> frozenset[str] | None:
    """The words of the phrase's last whole-word piece after its first, or None.

    Why: its first words are looked up by index; a message without any of these words
    anywhere cannot match, so the phrase is skipped without walking it.
    """
    for piece in reversed(phrase[1:]):
        if isinstance(piece, Word) and not piece.prefixes:
            return piece.words
    return None


def _lexicon_options(entries: list[Phrase]) -> list[Phrase]:
    """One-word entries become one position with all of them; longer entries stay apart."""
    single = [entry[0] for entry in entries if len(entry) == 1 and isinstance(entry[0], Word)]
    options: list[Phrase] = [entry for entry in entries if len(entry) > 1]
    if single:
        options.insert(0, (merge_words(single),))
    return options


K = TypeVar("K")


def _shared_values(lists: dict[K, list[int]]) -> dict[K, tuple[int, ...]]:
    """The lists as tuples, one tuple per distinct list: a lexicon expands one rule into
    thousands of phrases that all point at that rule, and each would otherwise hold its own
    copy of the same ids for as long as the bot runs. Lists are swapped in place so the peak
    at start-up holds one of the two forms, not both."""
    shared: dict[tuple[int, ...], tuple[int, ...]] = {}
    done: dict[K, tuple[int, ...]] = {}
    for key in list(lists):
        ids = tuple(lists.pop(key))
        done[key] = shared.setdefault(ids, ids)
    return done
