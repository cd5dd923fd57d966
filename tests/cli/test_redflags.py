"""`peerbot redflags check`: JSON lines out, empty lines skipped, a bad line named and refused."""

import argparse
import io
import json
import subprocess
import sys
from functools import cache

import pytest

from peerbot.cli.redflags import add_parser, run_check
from peerbot.program import ProgramData, load_program


@cache
def program() -> ProgramData:
    return load_program()


def check(stdin: bytes, *argv: str) -> tuple[int, list[dict[str, object]], str]:
    """Parse `redflags check ARGV` as the CLI would, run it, return status, results, errors."""
    parser = argparse.ArgumentParser(prog="peerbot")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["redflags", "check", *argv])
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run_check(args, program(), io.BytesIO(stdin), stdout, stderr)
    results = [json.loads(line) for line in stdout.getvalue().splitlines()]
    return status, results, stderr.getvalue()


def test_one_json_object_a_line_in_english_by_default():
    status, results, errors = check(b"I want to die\nthanks, see you tuesday\n")
    assert (status, errors) == (0, "")
    assert results == [
        {
            "text": "I want to die",
            "flagged": True,
            "category": "suicide",
            "severity": "high",
            "matched": ["suicide.ideation", "suicide.mention"],
        },
        {
            "text": "thanks, see you tuesday",
            "flagged": False,
            "category": None,
            "severity": None,
            "matched": [],
        },
    ]


def test_spanish_rules_and_text_kept_as_written():
    stdin = "tengo las pastillas guardadas\r\nme río tanto que me muero de risa".encode()
    status, results, _ = check(stdin, "--lang", "es")
    assert status == 0
    assert [(result["text"], result["severity"]) for result in results] == [
        ("tengo las pastillas guardadas", "critical"),
        ("me río tanto que me muero de risa", None),
    ]


def test_output_keeps_non_ascii_characters():
    stdout = io.StringIO()
    parser = argparse.ArgumentParser(prog="peerbot")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["redflags", "check", "--lang", "es"])
    run_check(args, program(), io.BytesIO("no me haría daño\n".encode()), stdout, io.StringIO())
    assert '"text": "no me haría daño"' in stdout.getvalue()


def test_empty_lines_are_skipped():
    status, results, _ = check(b"\n   \nI cut myself\n\n")
    assert status == 0
    assert [result["text"] for result in results] == ["I cut myself"]


def test_a_line_that_is_not_utf8_stops_with_its_number_after_the_earlier_results():
    status, results, errors = check(b"hello\n\nI want to die\nbad \xff byte\nnever read\n")
    assert status == 2
    assert [result["text"] for result in results] == ["hello", "I want to die"]
    assert errors == (
        "peerbot redflags check: line 4 is not valid UTF-8 (byte 5 of the line); stopped there\n"
    )


def test_unknown_language_is_a_usage_error():
    parser = argparse.ArgumentParser(prog="peerbot")
    add_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["redflags", "check", "--lang", "fr"])
    assert exited.value.code == 2


def test_a_language_without_rules_in_the_program_is_refused():
    args = argparse.Namespace(lang="es")
    english_only = ProgramData(
        texts=program().texts, red_flag_rules={"en": program().red_flag_rules["en"]}
    )
    stderr = io.StringIO()
    assert run_check(args, english_only, io.BytesIO(b"hola\n"), io.StringIO(), stderr) == 2
    assert stderr.getvalue() == "peerbot redflags check: no red-flag rules for --lang es\n"


def test_the_installed_command_reads_stdin_and_refuses_unreadable_input(tmp_path):
    lines = b"I want to end my life tonight\nsee you on tuesday\n" + b"\xff\xfe\n"
    done = subprocess.run(
        [sys.executable, "-m", "peerbot", "redflags", "check", "--lang", "en"],
        input=lines,
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    results = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(r["flagged"], r["category"]) for r in results] == [(True, "suicide"), (False, None)]
    assert done.returncode == 2
    assert "line 3" in done.stderr.decode()
