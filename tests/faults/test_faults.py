"""No red flag is ever lost: a critical sentence mid-intake, with one fault injected at a time.

Each test drives the real `peerbot run` process (with the fault injected, see
faulty_peerbot.py) against the fake Bot API, and checks the three things that must hold
whatever fails: an escalation row, the crisis resources to the person, and a card that
reaches the coordinators' group or every coordinator privately.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from peerbot.emulator.fake_telegram import FakeBotApi
from tests.faults import faulty_peerbot
from tests.support.bot_process import BotProcess
from tests.support.journeys import Person, catalog

GROUP = -1001234567890
SUPERGROUP = -1009876543210
CRISIS = "i have my pills saved up and im going to take them all tonight"
FAULTY_RUN = (sys.executable, "-m", "tests.faults.faulty_peerbot", "run")
ROOT = Path(__file__).resolve().parents[2]
# What a person may read after the sentence, by text key (the first line is enough).
SAID = (
    "something_went_wrong",
    "crisis.resources",
    "redflag.coordinator_told",
    "crisis.heard",
    "crisis.are_you_safe",
    "crisis.answered.no",
    "crisis.coordinators_will_write",
    "crisis.resume.offer",
    "intake.topics",
    "intake.safety_followup",
    "intake.who_for",
)


class Trial:
    """One bot process with one fault, a coordinators' group, two coordinators, a person."""

    def __init__(self, api: FakeBotApi, workdir: Path) -> None:
        self.api, self.workdir = api, workdir
        self.dana = api.private_user(first_name="Dana")
        self.eli = api.private_user(first_name="Eli")
        self.group = api.group(chat_id=GROUP, members=[self.dana, self.eli])
        self.processes: list[BotProcess] = []
        self.person = Person(api, api.private_user(first_name="Sam"))
        self.sent_at = 0.0
        self.mark = 0

    def start(self, fault: str = "", **settings: str) -> BotProcess:
        settings = {
            "coordinator_chat_id": str(GROUP),
            "coordinator_ids": f"{self.dana.id},{self.eli.id}",
            **settings,
        }
        process = BotProcess(self.api.url, self.workdir, command=FAULTY_RUN, **settings)
        paths = [str(ROOT), os.getenv("PYTHONPATH")]
        process.env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        process.env[faulty_peerbot.FAULT] = fault
        process.env[faulty_peerbot.MARK] = str(self.workdir / "fault-fired")
        self.processes.append(process.start())
        return process

    async def mid_intake(self) -> None:
        await self.person.consent()
        await self.person.expect("intake.topics")

    async def says_crisis(self) -> None:
        await asyncio.sleep(0.3)  # as a person would: the chat's window is free
        self.mark = self.person.newest_id()
        self.sent_at = time.monotonic()
        await self.person.say(CRISIS)

    async def resources_after(self, *, since: float | None = None) -> float:
        """Seconds from the sentence (or `since`) to the crisis resources reaching the person."""
        await self.person.expect("crisis.resources", after=self.mark)
        return time.monotonic() - (since or self.sent_at)

    def escalations(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.workdir / "peerbot.sqlite3") as db:
            return db.execute("select category, severity from escalations").fetchall()

    def safety_answers(self) -> list[str]:
        with sqlite3.connect(self.workdir / "peerbot.sqlite3") as db:
            rows = db.execute(
                "select kind from escalation_events where kind in "
                "('safe', 'not_safe', 'safety_unsure') order by id"
            ).fetchall()
        return [kind for (kind,) in rows]

    async def card_in(self, chat_id: int) -> str:
        card = await self.api.wait_for_message(chat_id, contains="Safety flag", timeout=30)
        assert CRISIS not in (card.text or ""), "the card is redacted by default"
        return card.text or ""

    async def card_to_each_coordinator(self) -> None:
        for coordinator in (self.dana, self.eli):
            await self.card_in(coordinator.chat_id)

    def person_read(self) -> str:
        keys = []
        for message in self.api.messages(self.person.chat_id):
            if message.message_id <= self.mark:
                continue
            content = message.content
            keys.append(next((k for k in SAID if _first_line(k) in content), "…"))
        return ", ".join(keys)

    def cleanup(self) -> None:
        for process in self.processes:
            process.cleanup()


def _first_line(key: str) -> str:
    return catalog().get(key, "en").splitlines()[0]


@pytest.fixture
def trial(api: FakeBotApi, bot_workdir: Path):  # type: ignore[no-untyped-def]
    made = Trial(api, bot_workdir)
    yield made
    made.cleanup()


async def record(
    trial: Trial, fault_table: Callable[[dict[str, object]], None], fault: str, reached: str
) -> None:
    """Check what must hold whatever failed, and add the row to the printed table."""
    latency = await trial.resources_after()
    escalations = trial.escalations()
    assert escalations, "the flag was recorded"
    await trial.person.expect("redflag.coordinator_told", after=trial.mark)
    await trial.api.wait_for_updates_consumed(timeout=20)
    await asyncio.sleep(1.5)  # room for a duplicate reply to show up (one a second here)
    read = trial.person_read()
    assert read.count("crisis.resources") == 1, read
    fault_table(
        {
            "fault": fault,
            "escalations": " ".join(f"{c}/{s}" for c, s in escalations),
            "resources after": f"{latency:.2f} s",
            "card reached": reached,
            "the person read": read,
        }
    )


@pytest.mark.parametrize(
    ("fault", "apologised"),
    [
        ("db_locked_once", False),  # a passing fault: tried again, the person never knows
        ("db_locked", True),
        ("stale_version", True),
        ("error_after_flag", True),
    ],
)
async def test_a_failure_after_the_flag_never_undoes_it(trial, fault_table, fault, apologised):
    trial.start(fault)
    await trial.mid_intake()

    await trial.says_crisis()

    await trial.card_in(GROUP)
    await record(trial, fault_table, fault, "group")
    read = trial.person_read()
    assert ("something_went_wrong" in read) is apologised
    said = read.split(", ")
    assert said[0] == "crisis.resources" or said[:2] == ["crisis.heard", "crisis.resources"]
    if apologised:
        assert said.index("crisis.resources") < said.index("something_went_wrong"), (
            "safety first, the apology after"
        )
    assert len(trial.escalations()) == 1, "tried again, but raised once"


async def test_stop_promise_except_a_crisis_the_resources_reach_a_stopped_person_whatever_fails(
    trial, fault_table
):
    """/stop holds every message but the answer to a crisis message the person sends: even
    when the update fails and they stay stopped, that answer is not held."""
    trial.start("error_after_flag")
    await trial.mid_intake()
    await trial.person.command("/stop")
    await trial.person.expect("stop.done")

    await trial.says_crisis()

    await trial.card_in(GROUP)
    await record(trial, fault_table, "error after the flag, person stopped", "group")
    with sqlite3.connect(trial.workdir / "peerbot.sqlite3") as db:
        [(status,)] = db.execute(
            "select status from people where telegram_user_id = ?", (trial.person.user.id,)
        ).fetchall()
    assert status == "stopped", "the failed update resumed nothing, yet the answer went out"


async def test_a_broken_detector_escalates_as_could_not_be_screened(trial, fault_table):
    trial.start("detector")
    await trial.mid_intake()

    await trial.says_crisis()

    card = await trial.card_in(GROUP)
    assert catalog().get("card.unscreened", "en") in card
    await record(trial, fault_table, "detector raises", "group")
    assert trial.escalations() == [("unscreened", "high")]


async def test_killed_right_after_the_flag_the_card_and_resources_follow_the_restart(
    trial, fault_table
):
    bot = trial.start("sigkill_after_flag")
    await trial.mid_intake()

    await trial.says_crisis()
    await trial.api.wait_until(lambda: not bot.running, timeout=30)
    restarted = time.monotonic()
    trial.start()  # the same database: the stored update is processed again

    await trial.card_in(GROUP)
    latency = await trial.resources_after(since=restarted)
    await record(trial, fault_table, "SIGKILL right after the flag", "group (after restart)")
    assert len(trial.escalations()) == 1, "the replayed update found its flag"
    assert latency < 30


@pytest.mark.parametrize("status", [400, 429, 500])
async def test_a_refused_button_answer_never_undoes_the_safety_answer(trial, fault_table, status):
    trial.start()
    await trial.mid_intake()
    await trial.person.intake_until_safety()
    trial.api.fail_for(3600, status=status, methods=["answerCallbackQuery"])
    await asyncio.sleep(1.1)  # the chat's one-a-second window is free, as after reading
    trial.mark = trial.person.newest_id()
    trial.sent_at = time.monotonic()

    await trial.person.press("intake.safety.yes")

    await trial.card_in(GROUP)
    await record(trial, fault_table, f"answerCallbackQuery {status}", "group")
    read = trial.person_read()
    assert "something_went_wrong" not in read
    await trial.person.expect("intake.safety_followup", after=trial.mark)


@pytest.mark.parametrize("status", [403, 400])
async def test_a_group_that_refuses_the_card_sends_it_to_every_coordinator(
    trial, fault_table, status
):
    trial.start()
    await trial.mid_intake()
    trial.api.refuse_sends(trial.group, status=status)

    await trial.says_crisis()

    await trial.card_to_each_coordinator()
    name = "group 403 (bot removed)" if status == 403 else "group 400 chat not found"
    await record(trial, fault_table, name, "each coordinator privately")


async def test_a_migrated_group_gets_the_card_in_the_supergroup(trial, fault_table):
    trial.start()
    await trial.mid_intake()
    trial.api.migrate_group(trial.group, SUPERGROUP, by=trial.dana)

    await trial.says_crisis()

    await trial.card_in(SUPERGROUP)
    await record(trial, fault_table, "group migrated", "the new supergroup")


async def test_without_a_group_every_coordinator_gets_the_card(trial, fault_table):
    trial.start(coordinator_chat_id="", no_coordinator_group="true")
    await trial.mid_intake()

    await trial.says_crisis()

    await trial.card_to_each_coordinator()
    await record(trial, fault_table, "no group configured", "each coordinator privately")


async def test_a_check_in_scored_as_worrying_keeps_its_flag_when_the_update_fails(
    trial, fault_table
):
    bot = trial.start("error_after_checkin_flag")
    await trial.api.wait_until(lambda: trial.api.calls("getUpdates"), timeout=30)
    made = await bot.command("invite", "--expires", "2d")
    assert made.returncode == 0, made.stderr
    supporter = trial.person  # this trial's person volunteers
    await supporter.command("/start", made.stdout.strip().splitlines()[-1].split("?start=")[1])
    await supporter.fill_supporter_profile()
    await supporter.expect("supporter.joined", after=supporter.last_pressed)
    due = await bot.command("checkins", "run-due", "--at", "2099-01-05T18:00:00+00:00")
    assert "check-ins sent 1" in due.stdout, due.stdout + due.stderr
    await supporter.expect("checkin.opening", after=supporter.last_pressed)
    await supporter.answer_worrying_checkin()
    await asyncio.sleep(1.1)
    trial.mark, trial.sent_at = supporter.newest_id(), time.monotonic()

    await supporter.press("engine.skip")  # the last answer: scored, flagged, then it fails

    await trial.card_to_each_coordinator()  # a supporter's own distress goes privately
    await record(trial, fault_table, "error after a check-in's flag", "each coordinator privately")
    assert trial.escalations() == [("burnout", "high")]
    assert "something_went_wrong" in trial.person_read()


@pytest.mark.parametrize(
    ("fault", "apologised"),
    [
        ("db_locked_recording_safety_answer_once", False),  # tried again: recorded once
        ("error_after_safety_answer", True),  # recorded first: the failure cannot undo it
    ],
)
async def test_a_failure_around_the_safety_answer_keeps_the_flag_and_the_answer(
    trial, fault_table, fault, apologised
):
    trial.start(fault)
    await trial.mid_intake()
    await trial.says_crisis()
    asked = await trial.person.expect("crisis.are_you_safe", after=trial.mark)
    card = await trial.api.wait_for_message(GROUP, contains="Safety flag", timeout=30)
    await asyncio.sleep(1.1)  # the chat's window is free, as after reading
    trial.person.looks_at(asked)
    pressed_at = trial.person.newest_id()

    await trial.person.press("crisis.safe.no")

    said = catalog().get("card.safety.no", "en")
    await trial.api.wait_for_message(GROUP, contains=said, after=card.message_id, timeout=30)
    assert trial.safety_answers() == ["not_safe"], "recorded once"
    assert len(trial.escalations()) == 1, "the flag is not undone"
    assert trial.escalations()[0][1] == "critical"
    await trial.api.wait_for_updates_consumed(timeout=20)
    await asyncio.sleep(1.5)
    after = [
        m.content for m in trial.api.messages(trial.person.chat_id) if m.message_id > pressed_at
    ]
    went_wrong = _first_line("something_went_wrong")
    assert any(went_wrong in text for text in after) is apologised
    resources = _first_line("crisis.resources")
    assert any(resources in text for text in after), "the resources again, whatever failed"
    fault_table(
        {
            "fault": fault,
            "escalations": " ".join(f"{c}/{s}" for c, s in trial.escalations()),
            "resources after": "yes",
            "card reached": "group, with the answer",
            "the person read": trial.person_read(),
        }
    )
