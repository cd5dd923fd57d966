"""Flow graphs: every step, button, branch, red flag, start and end drawn, in Mermaid and DOT
that parse, whatever the option values hold."""

import re
import warnings

import pytest

from peerbot.dialogs.flow_graph import describe, draw, flow_graph
from peerbot.dialogs.flow_yaml import parse_flow
from peerbot.program import load_program

BRANCHING = """
flow: mood
on_red_flag: pause
steps:
  - id: energy
    kind: scale
    prompt: mood.energy
    min: 0
    max: 4
    red_flags:
      - {when: {at_most: 0}, category: acute_distress, severity: high}
      - {when: {at_most: 1}, category: burnout, severity: medium}
    next:
      - {if: {at_least: 3}, goto: thanks}
      - {if: {any: [{at_most: 1}, {answer: energy, equals: 2}]}, goto: why}
  - id: who
    kind: single_choice
    prompt: mood.who
    options:
      - {value: 'a "quoted" <b>#1</b> & more|pipe', text: mood.who.odd}
      - {value: end, text: mood.who.end}
    next:
      - {if: {equals: 'a "quoted" <b>#1</b> & more|pipe'}, goto: agree}
  - id: why
    kind: text
    prompt: mood.why
    optional: true
    sensitive: false
    ask_if: {not: {answer: who, equals: end}}
  - id: agree
    kind: consent
    prompt: mood.agree
    consent_kind: evaluation
    yes: common.yes
    no: common.no
  - id: thanks
    kind: message
    prompt: mood.thanks
    continue: common.ok
"""


def branching():
    return parse_flow("flows/mood.yaml", BRANCHING)


def edges(graph):
    """Edges as (from step, to step, label), with node ids read back to step ids."""
    names = {node.id: node.lines[0].split(" ")[0] for node in graph.nodes}
    return {(names[edge.source], names[edge.target], edge.label) for edge in graph.edges}


def test_branches_with_conditions_fall_through_to_the_next_step_otherwise():
    drawn = edges(flow_graph(branching()))
    assert ("start", "energy", "") in drawn
    assert ("energy", "thanks", "if energy ≥ 3") in drawn
    assert ("energy", "why", "if energy ≤ 1 or energy = 2") in drawn
    assert ("energy", "who", "otherwise") in drawn
    assert ("who", "agree", 'if who = a "quoted" <b>#1</b> & more|pipe') in drawn
    assert ("who", "why", "otherwise") in drawn
    assert ("thanks", "end", "") in drawn


def test_a_consent_that_ends_the_flow_when_declined_has_an_edge_to_the_end():
    drawn = edges(flow_graph(branching()))
    assert {("agree", "end", "declined"), ("agree", "thanks", "")} <= drawn


def test_steps_show_kind_text_key_buttons_and_when_they_are_asked():
    nodes = {node.lines[0]: node.lines for node in flow_graph(branching()).nodes}
    assert nodes["who (single_choice)"] == (
        "who (single_choice)",
        "text: mood.who",
        '[a "quoted" <b>#1</b> & more|pipe] mood.who.odd',
        "[end] mood.who.end",
    )
    assert nodes["why (text, optional)"][1:] == (
        "text: mood.why",
        "asked only if not (who = end)",
        "1 to 1000 characters, not encrypted",
    )
    assert nodes["agree (consent)"][2:] == (
        "consent: evaluation",
        "[granted] common.yes",
        "[declined] common.no",
    )
    assert nodes["thanks (message)"][2:] == ("[continue] common.ok",)


def test_red_flags_hang_off_their_step_and_say_when_they_pause_the_flow():
    graph = flow_graph(branching())
    flags = [node for node in graph.nodes if node.shape == "flag"]
    assert [node.lines for node in flags] == [
        ("red flag: acute_distress, high", "when energy ≤ 0", "pauses the questions until /start"),
        ("red flag: burnout, medium", "when energy ≤ 1"),
    ]
    energy = next(node.id for node in graph.nodes if node.lines[0].startswith("energy"))
    assert {(edge.source, edge.dashed) for edge in graph.edges if edge.target in
            {flag.id for flag in flags}} == {(energy, True)}  # fmt: skip


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ({"answer": "topics", "contains": "other"}, "topics contains other"),
        ({"answer": "age", "at_least": 18, "at_most": 25}, "age ≥ 18 and age ≤ 25"),
        ({"answer": "who", "in": ["self", "family"]}, "who in (self, family)"),
        ({"answer": "note", "answered": False}, "note not answered"),
        (
            {"all": [{"answer": "a", "equals": 1}, {"any": [{"answer": "b", "equals": 2},
                                                          {"answer": "c", "equals": 3}]}]},
            "a = 1 and (b = 2 or c = 3)",
        ),  # fmt: skip
    ],
)
def test_conditions_in_a_few_words(condition, words):
    from peerbot.dialogs.conditions import Condition

    assert describe(Condition.model_validate(condition)) == words


# Mermaid: the statements this renderer writes, checked one by one against the grammar.
_ID = r"(?!end\b)[a-z][a-z0-9_]*"
_LABEL = r'"(?:[^"<>#&]|#(?:35|quot|lt|gt|amp);|<br/>)*"'
_MERMAID_STATEMENTS = {
    "node": re.compile(rf"({_ID})(?:\(\[{_LABEL}\]\)|\[{_LABEL}\]|\{{\{{{_LABEL}\}}\}})"),
    "edge": re.compile(rf"({_ID}) (?:-->|-\.->)(?:\|{_LABEL}\|)? ({_ID})"),
    "subgraph": re.compile(rf"subgraph {_ID}\[{_LABEL}\]"),
    "direction": re.compile(r"direction TB"),
    "end": re.compile(r"end"),
    "classDef": re.compile(r"classDef [a-z]+ [a-z]+:#[0-9a-f]{3}(,[a-z]+:#[0-9a-f]{3})*"),
    "class": re.compile(rf"class {_ID}(,{_ID})* [a-z]+"),
}


def check_mermaid(text):
    """Fail unless every line is a statement of the grammar, ids are declared before use,
    no id starts with o or x (Mermaid reads `--> oB` as a circle arrow), and subgraphs close."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    declared, depth = set(), 0
    for line in lines[1:]:
        statement = line.strip()
        kind = next(
            (name for name, rule in _MERMAID_STATEMENTS.items() if rule.fullmatch(statement)),
            None,
        )
        assert kind is not None, f"not Mermaid this renderer should write: {line!r}"
        if kind == "node":
            node = _MERMAID_STATEMENTS["node"].fullmatch(statement).group(1)
            assert node not in declared and not node.startswith(("o", "x"))
            declared.add(node)
        if kind == "edge":
            assert set(_MERMAID_STATEMENTS["edge"].fullmatch(statement).groups()) <= declared
        depth += {"subgraph": 1, "end": -1}.get(kind, 0)
        assert depth >= 0
    assert depth == 0
    return declared


def check_dot(text):
    """Parse with pydot, Graphviz's grammar in Python, and return the node names."""
    pydot = pytest.importorskip("pydot")
    with warnings.catch_warnings():  # pydot's grammar uses pyparsing's old camelCase names
        warnings.simplefilter("ignore", DeprecationWarning)
        graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1
    graph = graphs[0]
    nodes = list(graph.get_nodes())
    for cluster in graph.get_subgraphs():
        nodes.extend(cluster.get_nodes())
    return graph, {node.get_name() for node in nodes if node.get_name() not in ("node", "edge")}


def test_mermaid_of_a_flow_with_odd_values_follows_the_grammar():
    text = draw([branching()], "mermaid")
    nodes = check_mermaid(text)
    assert len(nodes) == len(flow_graph(branching()).nodes)
    assert "#quot;quoted#quot; #lt;b#gt;#35;1#lt;/b#gt; #amp; more|pipe" in text


def test_dot_of_a_flow_with_odd_values_parses_with_its_labels_intact():
    graph, nodes = check_dot(draw([branching()], "dot"))
    assert nodes == {node.id for node in flow_graph(branching()).nodes}
    drawn = {node.id: node.lines for node in flow_graph(branching()).nodes}
    who = next(node for node in graph.get_nodes() if node.get_name().endswith("_who"))
    assert dot_text(who.get_label()).split("\n") == list(drawn[who.get_name()])


def dot_text(quoted):
    """Read a DOT double-quoted string back: \\n is a line break, \\" a quote."""
    assert quoted.startswith('"') and quoted.endswith('"')
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), quoted[1:-1])


@pytest.mark.parametrize("graph_format", ["mermaid", "dot"])
def test_every_builtin_flow_in_one_graph_with_a_subgraph_each(graph_format):
    flows = load_program().flows
    text = draw(flows.values(), graph_format)
    if graph_format == "mermaid":
        nodes = check_mermaid(text)
        assert text.count("\n  subgraph flow_") == len(flows)
    else:
        graph, nodes = check_dot(text)
        assert len(graph.get_subgraphs()) == len(flows)
    expected = sum(len(flow_graph(flow).nodes) for flow in flows.values())
    assert len(nodes) == expected
    assert "red flag: suicide, critical" in text  # the contact note's concerns
