"""A program folder for tests: a small flow and its English texts, files written into the
folder, and what loading it refuses."""

from importlib import resources
from pathlib import Path

import pytest
import yaml

from peerbot.dialogs.engine_texts import ENGINE_TEXT_KEYS
from peerbot.program import ProgramDataError, load_program

MOOD = """\
flow: mood
steps:
  - id: energy
    kind: scale
    prompt: mood.energy
    min: 0
    max: 4
    next: thanks
  - id: thanks
    kind: message
    prompt: mood.thanks
"""
MOOD_TEXTS = {"mood.energy": "How is your energy?", "mood.thanks": "Thank you"}


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``name`` (e.g. "flows/mood.yaml") in the folder."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def english(texts: dict[str, str]) -> str:
    """A program's English texts file: these, plus the engine texts the built-in ones lack, so
    a test checks its flows only."""
    builtin = resources.files("peerbot.dialogs") / "texts" / "en.yaml"
    known = yaml.safe_load(builtin.read_text("utf-8"))["texts"]
    engine = {key: "Engine text" for key in ENGINE_TEXT_KEYS if key not in known}
    return yaml.safe_dump({"locale": "en", "texts": engine | texts})


def refusal(folder: Path) -> str:
    """What loading the program in ``folder`` says as it refuses it."""
    with pytest.raises(ProgramDataError) as refused:
        load_program(folder)
    return str(refused.value)
