"""Load program data (texts, later flows and rules): built-in, then PEERBOT_PROGRAM_DIR."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from peerbot.dialogs.texts import TextCatalog, TextCatalogError, build_catalog


class ProgramDataError(Exception):
    """A program data file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ProgramData:
    """Everything a program may customise, validated once at start-up."""

    texts: TextCatalog


def load_program(program_dir: Path | None = None) -> ProgramData:
    """Read the built-in data, then the program folder's overrides on top."""
    documents: dict[str, dict[str, object]] = {}
    builtin = resources.files("peerbot.dialogs") / "texts"
    for entry in sorted(builtin.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            documents[f"peerbot/dialogs/texts/{entry.name}"] = _parse(
                entry.name, entry.read_text("utf-8")
            )
    if program_dir is not None:
        for path in sorted((program_dir / "texts").glob("*.yaml")):
            documents[str(path)] = _parse(str(path), path.read_text("utf-8"))
    try:
        return ProgramData(texts=build_catalog(documents))
    except TextCatalogError as error:
        raise ProgramDataError(str(error)) from None


def _parse(source: str, text: str) -> dict[str, object]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ProgramDataError(f"{source}:{where} is not valid YAML") from None
    if not isinstance(document, dict):
        raise ProgramDataError(f"{source}: expected a mapping with 'locale' and 'texts'")
    return document
