"""The emulator's modules import one another one way only, so any of them can be read alone."""

from __future__ import annotations

import ast
from pathlib import Path

import peerbot.emulator

PACKAGE = "peerbot.emulator"
FOLDER = Path(peerbot.emulator.__file__).parent


def imported_names(tree: ast.Module, package: str) -> set[str]:
    """Every module name an import may mean, wherever it stands (functions, TYPE_CHECKING)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base_parts = parts[: len(parts) - node.level + 1] if node.level else []
            base = ".".join(base_parts + ([node.module] if node.module else []))
            if node.module:
                names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(folder: Path, package: str) -> dict[str, set[str]]:
    """Module name -> the modules of the same package it imports."""
    sources = {
        package if path.stem == "__init__" else f"{package}.{path.stem}": path
        for path in folder.glob("*.py")
    }
    return {
        module: imported_names(ast.parse(path.read_text()), package) & set(sources) - {module}
        for module, path in sources.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as the path that closes it, or None when imports run one way."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph.get(module, ())):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_the_emulator_has_no_import_circle():
    graph = import_graph(FOLDER, PACKAGE)
    assert graph[f"{PACKAGE}.fake_telegram"] >= {f"{PACKAGE}.fake_control"}
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_imports_inside_functions_and_type_checking_blocks_count(tmp_path: Path):
    (tmp_path / "first.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .second import Thing\n"
    )
    (tmp_path / "second.py").write_text("def make():\n    from . import first\n")
    (tmp_path / "third.py").write_text("from pkg.first import Thing\n")
    cycle = find_cycle(import_graph(tmp_path, "pkg"))
    assert cycle == ["pkg.first", "pkg.second", "pkg.first"]
