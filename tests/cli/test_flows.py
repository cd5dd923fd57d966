"""`peerbot flows graph` and `peerbot flows schema`: the flows the bot loads, drawn; the schema
printed for editors."""

import json
import os
import subprocess
import sys

import pytest

from peerbot.cli.main import main

MOOD = """\
# yaml-language-server: $schema=../flow.schema.json
flow: mood
steps:
  - {id: energy, kind: scale, prompt: help, min: 0, max: 4}
"""


@pytest.fixture(autouse=True)
def _settings(monkeypatch, tmp_path):
    """Settings from a clean environment (no .env, no program folder) in an empty folder."""
    for name in list(os.environ):
        if name.startswith("PEERBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_graph_of_one_flow_in_mermaid_by_default(capsys):
    assert main(["flows", "graph", "consent"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n")
    assert "participation (consent)<br/>text: consent.participation" in out
    assert '-->|"declined"| f1_end' in out
    assert "subgraph" not in out and "intake" not in out


def test_graph_of_every_flow_as_dot(capsys):
    assert main(["flows", "graph", "--format", "dot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "flows" {\n')
    assert out.count("subgraph") == 14
    assert 'label="red flag: suicide, critical' in out


def test_unknown_flow_is_refused_naming_the_flows(capsys):
    assert main(["flows", "graph", "moods"]) == 2
    assert capsys.readouterr().err == (
        "peerbot flows graph: no flow 'moods' (flows: become_supporter, checkin, connected, "
        "consent, contact_note, contact_way, cssrs, feedback, feedback_any, followup, intake, "
        "review, satisfaction, supporter)\n"
    )


def test_schema_is_json_naming_the_step_kinds(capsys):
    assert main(["flows", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "peerbot flow file"
    assert schema["required"] == ["flow", "steps"]
    kinds = {definition["properties"]["kind"]["const"] for name, definition in
             schema["$defs"].items() if name.endswith("Step")}  # fmt: skip
    assert kinds == {"message", "single_choice", "multi_choice", "text", "number", "scale",
                     "consent", "summary"}  # fmt: skip


def test_the_program_folders_flows_are_drawn_as_the_bot_loads_them(tmp_path):
    """The operator's way: the console script, the folder named in PEERBOT_PROGRAM_DIR, a flow
    file starting with the schema comment for editors."""
    (tmp_path / "program" / "flows").mkdir(parents=True)
    (tmp_path / "program" / "flows" / "mood.yaml").write_text(MOOD)
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("PEERBOT_")
    }
    environment["PEERBOT_PROGRAM_DIR"] = str(tmp_path / "program")
    drawn = subprocess.run(
        [sys.executable, "-m", "peerbot", "flows", "graph", "mood"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert (drawn.returncode, drawn.stderr) == (0, "")
    assert 'f1_s1_energy["energy (scale)<br/>text: help<br/>buttons 0 to 4"]' in drawn.stdout
