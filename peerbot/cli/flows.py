"""`peerbot flows graph` and `peerbot flows schema`: the flows drawn, and the JSON Schema of a
flow file, for people who adapt the program (built-in flows and PEERBOT_PROGRAM_DIR/flows)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from peerbot.cli.groups import action_group, command
from peerbot.dialogs.flow_graph import FORMATS, draw
from peerbot.dialogs.flow_yaml import flow_file_schema

if TYPE_CHECKING:
    from peerbot.config import Settings
    from peerbot.program import ProgramData

EXIT_USAGE = 2


def add_parser(subcommands: argparse._SubParsersAction[Any]) -> None:
    """draw the flows, or print the JSON Schema of a flow file

    Tools for the conversation flows (built-in and the program folder's).
    """
    actions = action_group(subcommands, "flows", add_parser)
    graph = command(actions, "graph", _graph)
    graph.add_argument("flow", nargs="?", metavar="FLOW", help="the id of one flow")
    graph.add_argument(
        "--format", choices=FORMATS, default="mermaid", help="default: mermaid (flowchart TD)"
    )
    command(actions, "schema", _schema)


def _graph(settings: Settings, args: argparse.Namespace) -> int:
    """draw the flows as a Mermaid flowchart or a Graphviz digraph

    Print the flows as the bot loads them (the program folder's files included): each step
    with its kind, text key and buttons, the branches with their conditions, the conditions a
    step is asked under, its red-flag rules, start and end. Without FLOW, every flow, one
    subgraph each.
    """
    from peerbot.program import load_program

    return print_graph(load_program(settings.program_dir), args, sys.stdout, sys.stderr)


def print_graph(
    program: ProgramData, args: argparse.Namespace, stdout: TextIO, stderr: TextIO
) -> int:
    """Write the graph of one flow (args.flow) or of all; exit 2 naming the known flows."""
    flows = [program.flows[name] for name in sorted(program.flows)]
    if args.flow is not None:
        if args.flow not in program.flows:
            known = ", ".join(sorted(program.flows))
            stderr.write(f"peerbot flows graph: no flow {args.flow!r} (flows: {known})\n")
            return EXIT_USAGE
        flows = [program.flows[args.flow]]
    stdout.write(draw(flows, args.format))
    return 0


def _schema(_settings: Settings, _args: argparse.Namespace) -> int:
    """print the JSON Schema of a flow file, for editors

    Print the JSON Schema (draft 2020-12) of a flow file. Save it beside the flows and start
    each flow file with `# yaml-language-server: $schema=flow.schema.json` so an editor checks
    and completes it as you type.
    """
    sys.stdout.write(json.dumps(flow_file_schema(), indent=2, ensure_ascii=False) + "\n")
    return 0
