"""`peerbot redflags eval`: figures overall, per language and category; every miss and false
alarm listed; a split chosen; a bad file named and refused."""

import argparse
import io
from functools import cache
from pathlib import Path

import pytest

from peerbot.cli.redflags import add_parser, run_eval
from peerbot.dialogs.detection import NOTHING, Detection
from peerbot.dialogs.detection.evaluate import LabelledFileError, evaluate, read_examples
from peerbot.program import ProgramData, load_program

HEADER = "split\tlang\tcategory\tseverity\ttext\n"
TINY = HEADER + (
    "tuned\ten\tsuicide\thigh\tI want to die\n"
    "tuned\tes\tsuicide\thigh\tme quiero morir\n"
    "heldout\ten\tburnout\tmedium\tthe sky is blue today\n"
    "tuned\ten\tnone\t-\tthanks, see you tuesday\n"
    "heldout\tes\tnone\t-\tquiero matarme\n"
)


@cache
def program() -> ProgramData:
    return load_program()


def run(tmp_path: Path, content: str, *argv: str) -> tuple[int, str, str]:
    path = tmp_path / "tiny.tsv"
    path.write_text(content, "utf-8")
    parser = argparse.ArgumentParser(prog="peerbot")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["redflags", "eval", str(path), *argv])
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run_eval(args, program(), stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def line(output: str, start: str) -> list[str]:
    return next(row.split() for row in output.splitlines() if row.startswith(start))


def test_figures_overall_per_language_and_category_then_every_miss_and_false_alarm(tmp_path):
    status, output, errors = run(tmp_path, TINY)
    assert (status, errors) == (0, "")
    # 2 of 3 positives caught; 1 false alarm of 3 flags.
    assert line(output, "overall") == ["overall", "0.667", "2/3", "0.667", "1/2"]
    assert line(output, "lang en") == ["lang", "en", "0.500", "1/2", "1.000", "0/1"]
    assert line(output, "lang es") == ["lang", "es", "1.000", "1/1", "0.500", "1/1"]
    assert line(output, "burnout")[:3] == ["burnout", "0.000", "0/1"]
    assert "misses (1):" in output
    assert "tiny.tsv:4 [en burnout medium] the sky is blue today" in output
    assert "false alarms (1):" in output
    assert "tiny.tsv:6 [es] quiero matarme -> suicide" in output


def test_a_split_alone(tmp_path):
    status, output, _ = run(tmp_path, TINY, "--split", "tuned")
    assert status == 0
    assert "(split tuned, 3 messages)" in output
    assert line(output, "overall") == ["overall", "1.000", "2/2", "1.000", "0/1"]
    assert "misses (0):" in output


def test_a_folder_means_its_tsv_files(tmp_path):
    (tmp_path / "a.tsv").write_text(TINY, "utf-8")
    (tmp_path / "notes.txt").write_text("not read", "utf-8")
    parser = argparse.ArgumentParser(prog="peerbot")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["redflags", "eval", str(tmp_path)])
    stdout = io.StringIO()
    assert run_eval(args, program(), stdout, io.StringIO()) == 0
    assert "5 messages" in stdout.getvalue()


def test_a_bad_row_is_named_and_refused(tmp_path):
    status, output, errors = run(tmp_path, HEADER + "tuned\ten\tsadness\thigh\tugh\n")
    assert status == 2
    assert output == ""
    assert "tiny.tsv:2: unknown category 'sadness'" in errors


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty"),
        ("lang\ttext\n", "header lacks split, category, severity"),
        (HEADER + "later\ten\tnone\t-\thi\n", ":2: split must be one of"),
        (HEADER + "tuned\ten\tsuicide\tsevere\thi\n", ":2: severity must be one of"),
        (HEADER + "tuned\ten\tnone\t-\n", ":2: 4 columns"),
    ],
)
def test_labelled_file_errors(content, problem):
    with pytest.raises(LabelledFileError, match=problem):
        read_examples("f.tsv", content)


def test_a_flag_below_the_labelled_severity_is_listed():
    examples = read_examples("f.tsv", HEADER + "tuned\ten\tsuicide\tcritical\tx\n")
    medium = Detection(flagged=True, category="suicide", severity="medium", matched=("a",))
    report = evaluate(examples, lambda text, lang: medium)
    assert report.overall.recall == 1.0
    assert [outcome.example.text for outcome in report.under_graded] == ["x"]
    assert evaluate(examples, lambda text, lang: NOTHING).misses[0].example.where == "f.tsv:2"
