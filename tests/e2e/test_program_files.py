"""A program folder with a broken flow file: `peerbot` refuses to start and says where."""

from __future__ import annotations

import re
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from tests.support import cli
from tests.support.bot_process import TEST_TOKEN

BUILT_IN_INTAKE = resources.files("peerbot.dialogs") / "flows" / "intake.yaml"

BREAKAGES = {
    # a field of the wrong type, caught by the flow schema
    "wrong type": (
        "min_selected: 1",
        "min_selected: lots",
        "step topics, field min_selected",
    ),
    # a text key that no texts file has, caught when flows are checked against the texts
    "unknown text": (
        "prompt: intake.who_for\n",
        "prompt: intake.who_for_typo\n",
        "step who_for, field prompt",
    ),
}


def run_peerbot(command: str, program_dir: Path, workdir: Path) -> subprocess.CompletedProcess:
    settings = {
        "PEERBOT_PROGRAM_DIR": str(program_dir),
        "PEERBOT_BOT_TOKEN": TEST_TOKEN,
        "PEERBOT_TELEGRAM_API_URL": "http://127.0.0.1:9",  # never reached
    }
    return cli.run_peerbot(command, workdir=workdir, settings=settings, timeout=60)


@pytest.mark.parametrize("command", ["check-config", "run"])
@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_flow_file_stops_peerbot_naming_the_file_and_field(command, breakage, tmp_path):
    original, broken, where = BREAKAGES[breakage]
    flows = tmp_path / "program" / "flows"
    flows.mkdir(parents=True)
    text = BUILT_IN_INTAKE.read_text("utf-8")
    assert original in text
    (flows / "intake.yaml").write_text(text.replace(original, broken, 1), "utf-8")

    result = run_peerbot(command, tmp_path / "program", tmp_path)

    assert result.returncode != 0
    # check-config also gives the line and column of the mistake
    named = re.escape(str(flows / "intake.yaml")) + rf"(:\d+:\d+)?: flow intake, {where}:"
    assert re.search(named, result.stderr), result.stderr
    assert "Traceback" not in result.stderr
