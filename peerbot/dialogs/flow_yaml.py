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


SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"

# What each field of a flow file does, shown by editors that read the JSON Schema.
_FIELD_HELP = {
    "flow": "The flow's id: the file name without .yaml.",
    "start": "The id of the first step (default: the first one listed).",
    "remind_after_hours": "Remind a person who has not answered after this many hours.",
    "expire_after_days": "Close the flow when nobody answered for this many days.",
    "on_red_flag": "After a critical or high red flag: go on with the questions (continue) "
    "or pause them until the person sends /start (pause).",
    "steps": "The steps, in the order they are asked.",
    "id": "The step's id: lowercase letters, digits and _. Answers are stored under it.",
    "kind": "What the step asks for.",
    "prompt": "The key of the text shown (in texts/*.yaml).",
    "ask_if": "Ask this step only when the condition holds; otherwise pass it.",
    "next": "Where to go after this step: a step id, or branches tried in order "
    "(the last may have no `if`). Default: the next step listed.",
    "hint": "The key of the text shown when an answer is not accepted.",
    "optional": "Offer a Skip button.",
    "red_flags": "Raise a red flag (an escalation to coordinators) when an answer meets `when`.",
    "options": "The buttons: each a stored value and the key of its text.",
    "columns": "Buttons per row (1 to 4).",
    "min_selected": "The fewest options a person must choose.",
    "max_selected": "The most options a person may choose (default: all).",
    "min_length": "The shortest answer accepted, in characters.",
    "max_length": "The longest answer accepted, in characters (at most 4000).",
    "sensitive": "Store the answer encrypted (default true).",
    "min": "The smallest number accepted.",
    "max": "The largest number accepted.",
    "low_label": "The key of the text naming the lowest value of the scale.",
    "high_label": "The key of the text naming the highest value of the scale.",
    "consent_kind": "Which consent this records.",
    "yes": "The key of the text on the button that grants consent.",
    "no": "The key of the text on the button that declines.",
    "on_decline": "After a decline: end the flow or continue with the next step.",
    "show": "The steps whose answers the summary lists (default: all).",
    "continue": "The key of the text on the button that goes on; without it, no wait.",
    "value": "The value stored when this option is chosen (a stable id).",
    "text": "The key of the option's text.",
    "if": "Take this branch when the condition holds.",
    "goto": "The id of the step to go to.",
    "when": "The condition on this step's answer that raises the flag.",
    "category": "The red flag's category (e.g. suicide, self_harm, abuse).",
    "severity": "How urgent: critical, high or medium.",
    "answer": "The step whose answer is tested (default: the step the condition is on).",
    "equals": "True when the answer is this value.",
    "in": "True when the answer is one of these values.",
    "contains": "True when a multiple choice includes this value, or a text contains it.",
    "answered": "True when the step was answered (true) or not (false).",
    "at_least": "True when the number is at least this.",
    "at_most": "True when the number is at most this.",
    "all": "True when every condition listed holds.",
    "any": "True when one of the conditions listed holds.",
    "not": "True when the condition does not hold.",
}


def flow_file_schema() -> dict[str, Any]:
    """Return the JSON Schema of a flow file, with help on each field, for editors."""
    schema = Flow.model_json_schema(by_alias=True)
    schema["properties"].pop("source", None)  # set by the loader; refused in a file
    schema = {"$schema": SCHEMA_URL, **schema, "title": "peerbot flow file"}
    for model in (schema, *schema["$defs"].values()):
        for name, field in model.get("properties", {}).items():
            if name in _FIELD_HELP:
                field.setdefault("description", _FIELD_HELP[name])
            if name == "next":  # a step id alone is short for [{goto: id}]
                branches = {key: field.pop(key) for key in ("items", "type")}
                step_id = {"type": "string", "pattern": r"^[a-z0-9_]+$"}
                field["anyOf"] = [step_id, branches, {"type": "null"}]
    return schema


class YamlPositions:
    """Where each field of a YAML text is written, to name a mistake's line and column."""

    def __init__(self, text: str) -> None:
        """Read the text's node tree; `syntax_error` says (line, column, problem) if not YAML."""
        self.root: yaml.Node | None = None
        self.syntax_error: tuple[int, int, str] | None = None
        try:
            self.root = yaml.compose(text, Loader=_FlowLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            self.syntax_error = (line, column, error.problem or "cannot be read")
        except yaml.YAMLError:
            self.syntax_error = (1, 1, "cannot be read")

    def of(self, path: str) -> tuple[int, int]:
        """Return the 1-based (line, column) of the field a path such as `steps[2].options[0]`
        names, or of the nearest field around it that the text has.

        Keys may contain dots (`texts.intake.topics.other` is the key `intake.topics.other`
        under `texts`): the longest key that fits is taken. `steps[#id]` is the step with
        that id.
        """
        node = self.root
        if node is None:
            return self.syntax_error[:2] if self.syntax_error else (1, 1)
        mark = node.start_mark
        rest = path
        while rest:
            found = _child(node, rest)
            if found is None:
                break
            node, mark, rest = found
            rest = rest.removeprefix(".")
        return (mark.line + 1, mark.column + 1)


def _child(node: yaml.Node, path: str) -> tuple[yaml.Node, Any, str] | None:
    """The node path's first part names inside node, its mark, and the path after it."""
    if isinstance(node, yaml.SequenceNode) and (match := re.match(r"\[(#?)([^\]]+)\]", path)):
        by_id, name = match.groups()
        for index, item in enumerate(node.value):
            if (not by_id and name == str(index)) or (by_id and _id_of(item) == name):
                return item, item.start_mark, path[match.end() :]
        return None
    if isinstance(node, yaml.MappingNode):
        fits = [
            (key, value)
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode)
            and path.startswith(key.value)
            and path[len(key.value) : len(key.value) + 1] in ("", ".", "[")
        ]
        if fits:
            key, value = max(fits, key=lambda pair: len(pair[0].value))
            return value, key.start_mark, path[len(key.value) :]
    return None


def _id_of(item: yaml.Node) -> str | None:
    if isinstance(item, yaml.MappingNode):
        for key, value in item.value:
            if key.value == "id" and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None
