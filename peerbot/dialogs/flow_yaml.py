"""Read a flow file: YAML text to a checked Flow, each problem named by file, flow, step and
field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

import yaml
from pydantic import ValidationError

from peerbot.dialogs.flow_checks import check_flow
from peerbot.dialogs.flow_schema import STEP_KINDS, Flow, FlowError, located

_BOOL = "tag:yaml.org,2002:bool"

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: faster


class _FlowLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """YAML 1.2 booleans: only true/false, so `yes:` and `equals: yes` stay words."""

    yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_FlowLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


_REWORDINGS = (
    ("Input should be", "must be"),
    ("String should match pattern", "must match the pattern"),
    ("String should have", "must have"),
    ("Tuple should have", "must have"),
)


def parse_flow(source: str, text: str) -> Flow:
    """Parse and check the YAML text of the flow file named source."""
    try:
        document = yaml.load(text, Loader=_FlowLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(error, "problem", None) or "cannot be read"
        raise FlowError(f"{source}:{where} not valid YAML ({problem})") from None
    return build_flow(source, document)


def build_flow(source: str, document: object) -> Flow:
    """Validate a parsed flow document; the flow id must be the file name's stem."""
    stem = PurePath(source).stem
    if not isinstance(document, Mapping):
        raise FlowError(f"{source}: expected a mapping with flow, start and steps")
    name = document.get("flow")
    flow_name = name if isinstance(name, str) else stem
    if "source" in document:
        raise FlowError(located(source, flow_name, None, "source", "is not a known field"))
    try:
        flow = Flow.model_validate({**document, "source": source})
    except ValidationError as error:
        steps = document.get("steps")
        problems = [_describe(source, flow_name, steps, detail) for detail in error.errors()]
        raise FlowError("\n".join(dict.fromkeys(problems))) from None
    if flow.flow != stem:
        problem = f"must match the file name {stem!r}"
        raise FlowError(located(source, flow.flow, None, "flow", problem))
    check_flow(flow)
    return flow


def _describe(source: str, flow: str, steps: object, error: Any) -> str:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    step = None
    if len(loc) > 1 and loc[0] == "steps" and isinstance(loc[1], int):
        step = _step_name(steps, loc[1])
        loc = loc[2:]
        if loc and loc[0] in STEP_KINDS:
            loc = loc[1:]
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return located(source, flow, step, "kind", f"must be one of {', '.join(STEP_KINDS)}")
    return located(source, flow, step, _field_path(loc) or None, _problem(error))


def _step_name(steps: object, index: int) -> str:
    if isinstance(steps, Sequence) and index < len(steps):
        raw = steps[index]
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            return str(raw["id"])
    return f"#{index + 1}"


def _field_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _problem(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return "must be a mapping of fields"
    if kind in ("tuple_type", "list_type"):
        return "must be a list"
    message = str(error["msg"]).removeprefix("Value error, ")
    for pydantic_words, ours in _REWORDINGS:
        message = message.replace(pydantic_words, ours)
    value = error.get("input")
    if isinstance(value, str | int | float) and kind != "value_error":
        message += f" (got {value!r})"
    return message
