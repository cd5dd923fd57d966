"""Load program data (texts, flows, red-flag rules, policy): built-in, then PEERBOT_PROGRAM_DIR."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from peerbot.dialogs.detection import RuleFileError, RuleSet, build_rule_sets, parse_rule_file
from peerbot.dialogs.detection.compiled_cache import cached_rule_sets
from peerbot.dialogs.flow_schema import Flow, FlowError
from peerbot.dialogs.flow_texts import check_texts
from peerbot.dialogs.flow_yaml import YamlPositions, parse_flow
from peerbot.dialogs.policy import (
    PolicyError,
    ProgramPolicy,
    build_policy,
    check_crisis_texts,
    check_resource_texts,
)
from peerbot.dialogs.texts import TextCatalog, TextCatalogError, build_catalog


class ProgramDataError(Exception):
    """A program data file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ProgramData:
    """Everything a program may customise, validated once at start-up."""

    texts: TextCatalog
    flows: Mapping[str, Flow] = field(default_factory=dict)
    red_flag_rules: Mapping[str, RuleSet] = field(default_factory=dict)
    policy: ProgramPolicy = field(default_factory=ProgramPolicy)


def load_program(program_dir: Path | None = None) -> ProgramData:
    """Read the built-in data, then the program folder's overrides on top."""
    documents = {source: _parse(source, text) for source, text in _files("texts", program_dir)}
    try:
        texts = build_catalog(documents)
    except TextCatalogError as error:
        raise ProgramDataError(str(error)) from None
    flows: dict[str, Flow] = {}
    try:
        for source, text in _files("flows", program_dir):
            flow = parse_flow(source, text)
            flows[flow.flow] = flow  # a program's flow replaces the built-in one of that id
        check_texts(flows.values(), texts)
    except FlowError as error:
        raise ProgramDataError(str(error)) from None
    red_flag_rules = _red_flag_rules(program_dir, texts)
    policy = _policy(program_dir)
    try:
        check_crisis_texts(policy.crisis, texts.has)
        check_resource_texts(policy.resources, texts.has)
    except PolicyError as error:
        raise ProgramDataError(f"{_policy_source(program_dir)}: {error}") from None
    if policy.coordinators.language not in texts.locales:
        raise ProgramDataError(
            f"{_policy_source(program_dir)}: coordinators.language: no texts in "
            f"{policy.coordinators.language!r} (there are: {', '.join(texts.locales)})"
        )
    return ProgramData(texts=texts, flows=flows, red_flag_rules=red_flag_rules, policy=policy)


POLICY_FILE = "program.yaml"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: faster


def _policy(program_dir: Path | None) -> ProgramPolicy:
    """The built-in program.yaml, with the fields the program folder's one sets on top."""
    builtin = resources.files("peerbot.dialogs") / POLICY_FILE
    files = [(f"peerbot/dialogs/{POLICY_FILE}", builtin.read_text("utf-8"))]
    if program_dir is not None and (program_dir / POLICY_FILE).is_file():
        path = program_dir / POLICY_FILE
        files.append((str(path), path.read_text("utf-8")))
    documents = [(source, _parse_mapping(source, text)) for source, text in files]
    try:
        return build_policy(documents)
    except PolicyError as error:
        raise ProgramDataError(str(error)) from None


def _policy_source(program_dir: Path | None) -> str:
    """The program.yaml that set the policy last (the folder's one when it has one)."""
    if program_dir is not None and (program_dir / POLICY_FILE).is_file():
        return str(program_dir / POLICY_FILE)
    return f"peerbot/dialogs/{POLICY_FILE}"


def _red_flag_rules(program_dir: Path | None, texts: TextCatalog) -> dict[str, RuleSet]:
    """Compile the red-flag rules per locale; every locale people can use must have some.

    Why refuse a locale without rules: its messages would never be screened, and a missed
    red flag is the worst failure the program can have.
    """
    files = list(_files("redflags", program_dir))
    try:
        rules = cached_rule_sets(
            files,
            lambda: build_rule_sets(
                (source, parse_rule_file(source, text)) for source, text in files
            ),
        )
    except RuleFileError as error:
        raise ProgramDataError(str(error)) from None
    for locale in texts.locales:
        if locale not in rules:
            raise ProgramDataError(
                f"redflags: no red-flag rules for locale {locale!r}, which has texts; "
                f"add redflags/{locale}.yaml to the program folder"
            )
    return rules


def _files(folder: str, program_dir: Path | None) -> Iterator[tuple[str, str]]:
    """Yield (source name, text) of the YAML files in a data folder, built-in ones first."""
    builtin: Traversable = resources.files("peerbot.dialogs") / folder
    if builtin.is_dir():
        for entry in sorted(builtin.iterdir(), key=lambda item: item.name):
            if entry.name.endswith(".yaml"):
                yield f"peerbot/dialogs/{folder}/{entry.name}", entry.read_text("utf-8")
    if program_dir is not None:
        for path in sorted((program_dir / folder).glob("*.yaml")):
            yield str(path), path.read_text("utf-8")


def _parse(source: str, text: str) -> dict[str, object]:
    document = _load_yaml(source, text)
    if not isinstance(document, dict):
        raise ProgramDataError(f"{source}: expected a mapping with 'locale' and 'texts'")
    return document


def _parse_mapping(source: str, text: str) -> dict[str, object]:
    """The YAML mapping in text; an empty file is an empty mapping."""
    document = _load_yaml(source, text)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ProgramDataError(f"{source}: expected a mapping of fields")
    return document


def _load_yaml(source: str, text: str) -> object:
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ProgramDataError(f"{source}:{where} is not valid YAML") from None


@dataclass(frozen=True)
class ProgramProblems:
    """What `check-config` says about the program data: mistakes, each at its file, line and
    column; and, when there is none, the program and the texts each locale lacks."""

    errors: tuple[str, ...] = ()
    missing_texts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    program: ProgramData | None = None


def program_problems(program_dir: Path | None) -> ProgramProblems:
    """Load the program data as the bot does, and say where each problem is written."""
    try:
        program = load_program(program_dir)
    except ProgramDataError as error:
        return ProgramProblems(errors=tuple(_positioned(str(error), _SourceFiles())))
    return ProgramProblems(missing_texts=missing_texts(program), program=program)


def missing_texts(program: ProgramData) -> dict[str, tuple[str, ...]]:
    """Return, by locale, the keys of the texts it lacks (people using it read the default
    locale's text instead); locales that lack none are left out.

    The default locale's catalogue holds every key the code, the flows and program.yaml use
    (loading refuses program data where it does not), so it is the list to compare with.
    """
    catalog = program.texts
    reference = set(catalog.texts[catalog.default_locale])
    missing = {
        locale: tuple(sorted(reference - set(catalog.texts[locale]))) for locale in catalog.locales
    }
    return {locale: keys for locale, keys in missing.items() if keys}


_BUILTIN = "peerbot/dialogs/"
_FLOW_WHERE = re.compile(r"flow [^,:]+(?:, step (?P<step>[^,:]+))?(?:, field (?P<field>[^:]+))?: ")
_FIELD_NAMED = re.compile(r"field '(?P<field>[^']+)'")
_YAML_SYNTAX = re.compile(r"line \d+(?::| is)? not valid YAML")


class _SourceFiles:
    """The YAML files problems are found in, read once each, to name a problem's line."""

    def __init__(self) -> None:
        self._positions: dict[str, YamlPositions | None] = {}

    def positions(self, source: str) -> YamlPositions | None:
        if source not in self._positions:
            self._positions[source] = self._read(source)
        return self._positions[source]

    @staticmethod
    def _read(source: str) -> YamlPositions | None:
        try:
            if source.startswith(_BUILTIN):
                text = (
                    resources.files("peerbot.dialogs")
                    .joinpath(source.removeprefix(_BUILTIN))
                    .read_text("utf-8")
                )
            elif source.endswith(".yaml") and Path(source).is_file():
                text = Path(source).read_text("utf-8")
            else:
                return None
        except (OSError, UnicodeDecodeError):
            return None
        return YamlPositions(text)

    def at(self, source: str, field_path: str, problem: str) -> str:
        """Return `source:line:column: problem`."""
        positions = self.positions(source)
        line, column = positions.of(field_path) if positions is not None else (1, 1)
        return f"{source}:{line}:{column}: {problem}"


def _positioned(message: str, files: _SourceFiles) -> Iterator[str]:
    """Put the line and column into each line of a ProgramDataError's message.

    Messages name a file, then a place in it: `flow f, step s, field x` in flow files, a
    field path such as `texts.intake.topics` or `rules[0].severity` elsewhere. A line that
    names no file of its own is about the file named on the line before.
    """
    source = ""
    for line in message.splitlines():
        head, separator, rest = line.partition(": ")
        if separator and files.positions(head) is not None:
            source = head
        elif source:
            rest = line
        else:
            yield line
            continue
        positions = files.positions(source)
        syntax_error = positions.syntax_error if positions is not None else None
        if syntax_error is not None or _YAML_SYNTAX.match(rest):
            row, column, problem = syntax_error or (1, 1, "cannot be read")
            yield f"{source}:{row}:{column}: not valid YAML ({problem})"
            continue
        yield files.at(source, _field_path(rest), rest)


def _field_path(problem: str) -> str:
    """The path of the field a problem's words name, as YamlPositions.of reads it."""
    if (flow := _FLOW_WHERE.match(problem)) is not None:
        step, field_name = flow.group("step"), flow.group("field")
        parts = []
        if step is not None:
            by_number = step.startswith("#") and step[1:].isdigit()
            parts.append(f"steps[{int(step[1:]) - 1}]" if by_number else f"steps[#{step}]")
        if field_name is not None:
            parts.append(field_name)
        return ".".join(parts)
    if (named := _FIELD_NAMED.match(problem)) is not None:
        return named.group("field")
    return re.split(r"[\s:]", problem, maxsplit=1)[0]
