"""`peerbot simulate --demo --script`: a whole journey played from a script, as staff rehearse."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from tests.support.cli import run_peerbot

SCRIPT = Path(__file__).with_name("session.txt")


def simulate(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    settings = {"PEERBOT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    return run_peerbot("simulate", *args, workdir=database.parent, settings=settings, timeout=300)


def test_a_scripted_journey_from_intake_to_a_check_in_alert(tmp_path):
    database = tmp_path / "simulation.sqlite3"

    done = simulate("--demo", "--script", str(SCRIPT), database=database)

    assert done.returncode == 0, done.stderr
    transcript = done.stdout
    assert "Proposed supporters for request R-" in transcript
    assert "both know Grief or loss" in transcript
    assert "Approved by Dana" in transcript
    assert "You are now supporting Alex" in transcript
    assert "Sam has been through something like you" in transcript
    assert "the clock now reads" in transcript
    alert = transcript.split("bot → Dana:", 1)[1]
    assert alert.lstrip().startswith("⚠️ Safety flag – high")
    assert "who5_very_low" in alert and "burnout_high" in alert
    assert "Traceback" not in done.stderr
    with sqlite3.connect(database) as db:
        statuses = [row[0] for row in db.execute("select status from matches")]
        answered = db.execute(
            "select score, answers from checkins where status = 'answered'"
        ).fetchall()
        escalations = db.execute("select category, severity from escalations").fetchall()
    assert "accepted" in statuses
    assert [score for score, _ in answered] == [16.0]  # WHO-5 raw 4 × 4
    assert ("burnout", "high") in escalations


def test_wrong_commands_are_explained_and_a_new_supporter_starts_from_an_invite(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text(
        "/as wizard Merlin\n/advance soon\n/as supporter Pat\n[Yes, I agree]\n"
        "/as participant Alex\n/who\n/quit\n",
        encoding="utf-8",
    )

    done = simulate("--script", str(script), database=tmp_path / "db.sqlite3")

    assert done.returncode == 0, done.stderr
    assert "Use /as participant NAME" in done.stdout
    assert "Use /advance with a duration" in done.stdout
    assert " * Alex (participant)" in done.stdout
    assert "Welcome, and thank you for offering your time" in done.stdout
    assert "Which of these have you lived through yourself" in done.stdout


def test_a_missing_script_file_is_named(tmp_path):
    done = simulate("--script", str(tmp_path / "nope.txt"), database=tmp_path / "db.sqlite3")
    assert done.returncode == 2
    assert "nope.txt: no such file" in done.stderr
