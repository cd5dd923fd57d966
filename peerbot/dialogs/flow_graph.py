"""Flows drawn as graphs (Mermaid or Graphviz DOT): steps, buttons, branches, red flags, start
and end, for people who adapt the program."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from peerbot.dialogs.conditions import Condition
from peerbot.dialogs.flow_schema import (
    AnyStep,
    ConsentStep,
    Flow,
    MessageStep,
    MultiChoiceStep,
    NumberStep,
    ScaleStep,
    SummaryStep,
    TextStep,
)

GraphFormat = Literal["mermaid", "dot"]
FORMATS: tuple[GraphFormat, ...] = ("mermaid", "dot")
Shape = Literal["terminal", "step", "flag"]
PAUSING_SEVERITIES = ("critical", "high")


@dataclass(frozen=True)
class Node:
    """A box in the drawing; its id is made of [a-z0-9_] only, so every format can use it."""

    id: str
    lines: tuple[str, ...]
    shape: Shape = "step"


@dataclass(frozen=True)
class Edge:
    """An arrow; dashed ones lead to a red flag rather than to the next step."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class FlowGraph:
    """One flow's nodes and edges, ready to render."""

    flow: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def flow_graph(flow: Flow, number: int = 1) -> FlowGraph:
    """Return the nodes and edges of a flow, as the engine walks it; number keeps ids apart."""
    ids = _Ids(flow, number)
    nodes = [Node(ids.start, ("start",), "terminal")]
    edges = [Edge(ids.start, ids.step(flow.first_step))]
    for step in flow.steps:
        nodes.append(Node(ids.step(step.id), _step_lines(step)))
        edges.extend(_step_edges(flow, step, ids))
        for index, rule in enumerate(getattr(step, "red_flags", ())):
            lines = [f"red flag: {rule.category}, {rule.severity}"]
            lines.append(f"when {describe(rule.when, step.id)}")
            if flow.on_red_flag == "pause" and rule.severity in PAUSING_SEVERITIES:
                lines.append("pauses the questions until /start")
            nodes.append(Node(ids.flag(step.id, index), tuple(lines), "flag"))
            edges.append(Edge(ids.step(step.id), ids.flag(step.id, index), dashed=True))
    nodes.append(Node(ids.end, ("end",), "terminal"))
    return FlowGraph(flow.flow, tuple(nodes), tuple(edges))


def draw(flows: Iterable[Flow], graph_format: GraphFormat) -> str:
    """Render flows as one Mermaid flowchart or DOT digraph (a subgraph each when several)."""
    graphs = [flow_graph(flow, number) for number, flow in enumerate(flows, start=1)]
    return render_mermaid(graphs) if graph_format == "mermaid" else render_dot(graphs)


def describe(condition: Condition, subject: str | None = None) -> str:
    """Say a condition in a few words, e.g. `topics contains other and age ≥ 18`."""
    for name, joiner in (("all", " and "), ("any", " or ")):
        parts = condition._operand(name)
        if isinstance(parts, tuple):
            return joiner.join(_grouped(part, subject) for part in parts)
    if condition.not_ is not None:
        return f"not ({describe(condition.not_, subject)})"
    answer = condition.answer or subject or "answer"
    tests = condition.tests()
    return " and ".join(_test(answer, test, condition._operand(test)) for test in tests)


def _grouped(condition: Condition, subject: str | None) -> str:
    text = describe(condition, subject)
    combined = bool(condition.all_ or condition.any_) or len(condition.tests()) > 1
    return f"({text})" if combined else text


def _test(answer: str, test: str, operand: object) -> str:
    if test == "equals":
        return f"{answer} = {operand}"
    if test == "in":
        values = operand if isinstance(operand, tuple) else (operand,)
        return f"{answer} in ({', '.join(map(str, values))})"
    if test == "contains":
        return f"{answer} contains {operand}"
    if test == "answered":
        return f"{answer} answered" if operand else f"{answer} not answered"
    return f"{answer} {'≥' if test == 'at_least' else '≤'} {operand}"


class _Ids:
    """Node ids: `f2_s3_topics` is the third step of the second flow, `f2_r3_0` its first red
    flag. Made of [a-z0-9_] and starting with `f`, an id is never a Mermaid keyword (`end`)
    nor read as a circle or cross arrow (ids starting with `o` or `x`), and the numbers keep
    any two apart whatever the flows and steps are called."""

    def __init__(self, flow: Flow, number: int) -> None:
        self.prefix = f"f{number}"
        self.start, self.end = f"{self.prefix}_start", f"{self.prefix}_end"
        self.index = {step.id: index for index, step in enumerate(flow.steps, start=1)}

    def step(self, step_id: str | None) -> str:
        if step_id is None:
            return self.end
        return f"{self.prefix}_s{self.index[step_id]}_{step_id}"

    def flag(self, step_id: str, rule: int) -> str:
        return f"{self.prefix}_r{self.index[step_id]}_{rule}"


def _step_lines(step: AnyStep) -> tuple[str, ...]:
    lines = [f"{step.id} ({step.kind}{', optional' if getattr(step, 'optional', False) else ''})"]
    lines.append(f"text: {step.prompt}")
    if step.ask_if is not None:
        lines.append(f"asked only if {describe(step.ask_if)}")
    lines.extend(_answer_lines(step))
    return tuple(lines)


def _answer_lines(step: AnyStep) -> Iterator[str]:
    for option in getattr(step, "options", ()):
        yield f"[{option.value}] {option.text}"
    if isinstance(step, MultiChoiceStep):
        most = step.max_selected if step.max_selected is not None else len(step.options)
        yield f"choose {step.min_selected} to {most}"
    if isinstance(step, MessageStep) and step.continue_ is not None:
        yield f"[continue] {step.continue_}"
    if isinstance(step, ConsentStep):
        yield f"consent: {step.consent_kind}"
        yield f"[granted] {step.yes}"
        yield f"[declined] {step.no}"
    if isinstance(step, ScaleStep):
        yield f"buttons {step.min} to {step.max}"
    if isinstance(step, NumberStep):
        yield f"a number from {step.min} to {step.max}"
    if isinstance(step, TextStep):
        stored = "encrypted" if step.sensitive else "not encrypted"
        yield f"{step.min_length} to {step.max_length} characters, {stored}"
    if isinstance(step, SummaryStep):
        yield f"[confirm] [change] {', '.join(step.show) if step.show else 'all answers'}"


def _step_edges(flow: Flow, step: AnyStep, ids: _Ids) -> Iterator[Edge]:
    here = ids.step(step.id)
    subject = None if isinstance(step, MessageStep | SummaryStep) else step.id
    if isinstance(step, ConsentStep) and step.on_decline == "end":
        yield Edge(here, ids.end, "declined")
    conditional = False
    for branch in step.next:
        if branch.if_ is None:
            yield Edge(here, ids.step(branch.goto), "otherwise" if conditional else "")
            return
        conditional = True
        yield Edge(here, ids.step(branch.goto), f"if {describe(branch.if_, subject)}")
    yield Edge(here, ids.step(flow.following(step.id)), "otherwise" if conditional else "")


# Mermaid: labels in double quotes, where a quote, #, <, > and & are written as entity codes
# (#quot; and the like) so that neither the parser nor the HTML labels read them as syntax.
_MERMAID_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
_MERMAID_SHAPES = {"terminal": ('(["', '"])'), "step": ('["', '"]'), "flag": ('{{"', '"}}')}


def mermaid_text(text: str) -> str:
    """Return text safe inside a double-quoted Mermaid label."""
    text = " ".join(text.split())  # a line break would end the statement
    return "".join(_MERMAID_ENTITIES.get(character, character) for character in text)


def render_mermaid(graphs: Sequence[FlowGraph]) -> str:
    """Render as a Mermaid `flowchart TD`; several flows become one subgraph each."""
    lines = ["flowchart TD"]
    nested = len(graphs) > 1
    for graph in graphs:
        indent = "    " if nested else "  "
        if nested:
            lines.append(f'  subgraph flow_{graph.flow}["flow {mermaid_text(graph.flow)}"]')
            lines.append("    direction TB")
        for node in graph.nodes:
            opening, closing = _MERMAID_SHAPES[node.shape]
            label = "<br/>".join(mermaid_text(line) for line in node.lines)
            lines.append(f"{indent}{node.id}{opening}{label}{closing}")
        for edge in graph.edges:
            arrow = "-.->" if edge.dashed else "-->"
            label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
            lines.append(f"{indent}{edge.source} {arrow}{label} {edge.target}")
        if nested:
            lines.append("  end")
    lines.append("  classDef terminal fill:#eee,stroke:#555")
    lines.append("  classDef flag fill:#fdd,stroke:#c00,color:#600")
    for shape in ("terminal", "flag"):
        ids = [node.id for graph in graphs for node in graph.nodes if node.shape == shape]
        if ids:
            lines.append(f"  class {','.join(ids)} {shape}")
    return "\n".join(lines) + "\n"


_DOT_NODES = {
    "terminal": 'shape=ellipse, style=filled, fillcolor="#eeeeee"',
    "step": "shape=box, style=rounded",
    "flag": 'shape=hexagon, style=filled, fillcolor="#ffdddd", color="#cc0000"',
}


def dot_string(text: str) -> str:
    """Return text as a double-quoted DOT string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + " ".join(escaped.split()) + '"'


def render_dot(graphs: Sequence[FlowGraph]) -> str:
    """Render as a Graphviz digraph; several flows become one cluster each."""
    name = graphs[0].flow if len(graphs) == 1 else "flows"
    lines = [f"digraph {dot_string(name)} {{", "  rankdir=TB;", '  node [fontname="Helvetica"];']
    nested = len(graphs) > 1
    for graph in graphs:
        indent = "    " if nested else "  "
        if nested:
            lines.append(f"  subgraph {dot_string('cluster_' + graph.flow)} {{")
            lines.append(f"    label={dot_string('flow ' + graph.flow)};")
        for node in graph.nodes:
            label = '\\n'.join(dot_string(line)[1:-1] for line in node.lines)
            lines.append(f'{indent}{node.id} [label="{label}", {_DOT_NODES[node.shape]}];')
        for edge in graph.edges:
            attributes = [f"label={dot_string(edge.label)}"] if edge.label else []
            attributes += ["style=dashed", 'color="#cc0000"'] if edge.dashed else []
            shown = f" [{', '.join(attributes)}]" if attributes else ""
            lines.append(f"{indent}{edge.source} -> {edge.target}{shown};")
        if nested:
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
