"""Command groups: `peerbot NAME ACTION ...`, each group's actions required and listed."""

from __future__ import annotations

import argparse
from typing import Any


def action_group(
    subcommands: argparse._SubParsersAction[Any], name: str, **parser: Any
) -> argparse._SubParsersAction[Any]:
    """Add `peerbot NAME` (help and description in `parser`) and return its actions."""
    group = subcommands.add_parser(name, **parser)
    return group.add_subparsers(
        dest=f"{name}_command", metavar="ACTION", required=True, parser_class=type(group)
    )
