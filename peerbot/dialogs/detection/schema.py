"""The shape of a red-flag rules file (``redflags/<locale>.yaml``), checked field by field."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from peerbot.dialogs.detection.model import Weights
from peerbot.dialogs.detection.patterns import PatternError, check_pattern
from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES, Severity


class RuleFileError(ValueError):
    """A rules file cannot be used; the message names the file and the field."""


def _pattern(text: str) -> str:
    try:
        return check_pattern(text)
    except PatternError as error:
        raise ValueError(str(error)) from None


PatternText = Annotated[str, Field(strict=True, min_length=1), AfterValidator(_pattern)]
WordText = Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[^\s*|@]+$")]
RuleId = Annotated[
    str, Field(strict=True), StringConstraints(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Fuzzy(_Model):
    """Misspelling tolerance: one edit on words of at least `min_length` letters."""

    min_length: int = Field(5, ge=3, le=12, strict=True)
    same_first_letter: StrictBool = True
    not_misspellings: tuple[WordText, ...] = ()


class Qualifier(_Model):
    """Cue words a few words before (or after) a match, same clause, that change its meaning.

    `ignore` drops the match (negation, talk about a film); `cap_medium` lowers it to medium
    (a past experience). Cues inside a match's gap count too; cues inside an `except`
    phrase (``can't stop``) do not; a `breaks` word between cue and match stops the cue.
    Direction `anywhere`: a cue anywhere in the message counts (a history that is over,
    a training role play), unless one of its `breaks` words is anywhere in the message.
    `categories`, when given, limits the qualifier to the rules of those categories.
    """

    effect: Literal["ignore", "cap_medium"]
    scope: int = Field(1, strict=True, ge=1, le=12)
    direction: Literal["before", "after", "anywhere"] = "before"
    cues: tuple[PatternText, ...] = Field(min_length=1)
    breaks: tuple[WordText, ...] = ()
    except_: tuple[PatternText, ...] = Field((), alias="except")
    categories: tuple[str, ...] = ()

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, categories: tuple[str, ...]) -> tuple[str, ...]:
        return known_categories(categories)


class Rule(_Model):
    """Raise `category` at `severity` when a pattern matches (and one of `requires_any`)."""

    id: RuleId
    category: str
    severity: Severity
    patterns: tuple[PatternText, ...] = Field(min_length=1)
    requires_any: tuple[PatternText, ...] = ()
    enabled: StrictBool = True

    @field_validator("category")
    @classmethod
    def _known_category(cls, category: str) -> str:
        if category not in RED_FLAG_CATEGORIES:
            raise ValueError(f"must be one of {', '.join(RED_FLAG_CATEGORIES)}")
        return category


class ModelData(_Model):
    """A statistical model's weights (``<locale>.model.yaml``, written by detection/train.py).

    `weights` is one text block, a line per feature: ``feature,weight,idf,category``
    (category: the index in `categories` of the one it leans to); one block reads far
    faster than thousands of YAML entries, and start-up counts.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)  # Weights is read, not copied

    bias: float
    threshold: float = Field(ge=0.0, le=1.0)
    # A model flag is high from this score on (at most a few harmless messages reach it).
    sure: float = Field(1.0, ge=0.0, le=1.0)
    categories: tuple[str, ...] = Field(min_length=1)
    weights: Weights

    @field_validator("weights", mode="before")
    @classmethod
    def _read_block(cls, block: object, info: ValidationInfo) -> object:
        if not isinstance(block, str):
            raise ValueError("must be a text block of feature,weight,idf,category lines")
        return Weights.parse(block, len(info.data.get("categories", RED_FLAG_CATEGORIES)))

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, categories: tuple[str, ...]) -> tuple[str, ...]:
        return known_categories(categories)


class RuleFile(_Model):
    """One locale's rules, or a program's additions and replacements for that locale."""

    locale: Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[a-z]{2,3}$")]
    max_gap: int = Field(3, strict=True, ge=1, le=6)
    fuzzy: Fuzzy = Field(default_factory=lambda: Fuzzy.model_validate({}))
    clause_breaks: tuple[WordText, ...] = ()
    slang: dict[str, Annotated[str, Field(strict=True, min_length=1)]] = {}
    lexicons: dict[Name, tuple[PatternText, ...]] = {}
    qualifiers: dict[Name, Qualifier] = {}
    exclusions: dict[Name, tuple[PatternText, ...]] = {}
    # Words saying it is happening now ("already up", "tonight", "20 minutes ago"), by the
    # least severity they give a model flag; `critical` ones also raise a rule's high flag.
    urgency: dict[Literal["high", "critical"], tuple[PatternText, ...]] = {}
    rules: tuple[Rule, ...] = ()
    # A model asked when no rule matched; a program file may give `model: null` to stop it.
    model: ModelData | None = None

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return rules


_BOOL = "tag:yaml.org,2002:bool"


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: faster


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """YAML 1.2 booleans only (true/false), so the word `no` stays a word."""

    yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_rule_file(source: str, text: str) -> RuleFile:
    """Parse and validate the YAML text of the rules file named source."""
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        raise RuleFileError(f"{source}:{where} not valid YAML") from None
    if not isinstance(document, dict):
        raise RuleFileError(f"{source}: expected a mapping with locale and rules")
    try:
        return RuleFile.model_validate(document)
    except ValidationError as error:
        details = error.errors()
        problems = [
            f"{source}: {_where(detail)}: {_problem(detail)}"
            for detail in details
            if not _follows_from_an_item(detail, details)
        ]
        raise RuleFileError("\n".join(dict.fromkeys(problems))) from None


def _where(error: Any) -> str:
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path.replace("except_", "except") or "(file)"


def _follows_from_an_item(error: Any, errors: list[Any]) -> bool:
    """A list is 'too short' after a bad item was dropped: report the item only."""
    loc = tuple(error["loc"])
    return error["type"] == "too_short" and any(
        tuple(other["loc"])[: len(loc)] == loc and len(other["loc"]) > len(loc) for other in errors
    )


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "too_short":
        return "must list at least one entry"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping"
    if kind in ("tuple_type", "list_type"):
        return "must be a list"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "string_pattern_mismatch" and error["loc"][-2:-1] != ("locale",):
        return f"must be one word without spaces, *, | or @ (got {error.get('input')!r})"
    message = str(error["msg"]).removeprefix("Value error, ").replace("Input should be", "must be")
    message = message.replace("String should match pattern", "must match the pattern")
    value = error.get("input")
    if isinstance(value, str | int | float) and kind != "value_error":
        message += f" (got {value!r})"
    return message


def known_categories(categories: tuple[str, ...]) -> tuple[str, ...]:
    """The categories, if every one is a red-flag category."""
    if any(name not in RED_FLAG_CATEGORIES for name in categories):
        raise ValueError(f"must be among {', '.join(RED_FLAG_CATEGORIES)}")
    return categories
