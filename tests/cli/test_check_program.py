"""`peerbot check-config` on a program folder: a mistake named at its file, line and column
(exit 2); texts a locale lacks listed as a warning."""

import os

import pytest

from peerbot.cli.main import main


@pytest.fixture
def program(monkeypatch, tmp_path):
    """A program folder in PEERBOT_PROGRAM_DIR, with a coordinators' group set."""
    for name in list(os.environ):
        if name.startswith("PEERBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "program"
    (folder / "flows").mkdir(parents=True)
    (folder / "texts").mkdir()
    monkeypatch.setenv("PEERBOT_PROGRAM_DIR", str(folder))
    monkeypatch.setenv("PEERBOT_COORDINATOR_CHAT_ID", "-1001")
    return folder


def test_a_mistake_in_a_flow_file_is_named_at_its_line_and_column(program, capsys):
    flow = program / "flows" / "mood.yaml"
    flow.write_text(
        "flow: mood\nsteps:\n  - id: energy\n    kind: scale\n    prompt: help\n"
        "    min: 0\n    max: 4\n    colour: blue\n"
    )
    assert main(["check-config"]) == 2
    assert capsys.readouterr().out == (
        f"FAIL    {flow}:8:5: flow mood, step energy, field colour: is not a known field\n"
    )


def test_texts_a_locale_lacks_are_listed_and_do_not_fail(program, capsys):
    (program / "flows" / "mood.yaml").write_text(
        "flow: mood\nsteps:\n  - {id: energy, kind: scale, prompt: mood.energy, min: 0, max: 4}\n"
    )
    (program / "texts" / "en.yaml").write_text("locale: en\ntexts:\n  mood.energy: Energy?\n")
    assert main(["check-config"]) == 0
    assert "warning texts missing in es: mood.energy\n" in capsys.readouterr().out
