"""Two `peerbot checkins run-due` processes on one database send each of 1,000 prompts once."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import CheckinStatus
from peerbot.storage.models import Checkin, Conversation, OutboxMessage
from tests.support.figures import report
from tests.support.rows import add_supporters_due

DUE = datetime(2027, 3, 8, 23, 0, tzinfo=UTC)  # Monday 18:00 in New York
SUPPORTERS = 1000
FIRST_USER_ID = 700_000


async def seed_due_checkins(session_factory) -> None:
    async with session_factory() as session, session.begin():
        telegram_ids = range(FIRST_USER_ID, FIRST_USER_ID + SUPPORTERS)
        await add_supporters_due(session, telegram_ids, DUE, time_zone="America/New_York")


async def run_due(database_url: str, key: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERBOT_")}
    env |= {"PEERBOT_DATABASE_URL": database_url, "PEERBOT_ENCRYPTION_KEY": key}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "peerbot",
        "checkins",
        "run-due",
        "--at",
        DUE.isoformat(),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=600)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_two_processes_send_each_of_a_thousand_check_ins_exactly_once(
    database_url, engine, session_factory, request
):
    await seed_due_checkins(session_factory)
    key = FieldCipher.generate_key()

    outputs = await asyncio.gather(run_due(database_url, key), run_due(database_url, key))

    sent = [int(re.search(r"check-ins sent (\d+)", out).group(1)) for out in outputs]
    assert sum(sent) == SUPPORTERS
    async with session_factory() as session:
        grouped = await session.execute(
            select(Checkin.status, func.count()).group_by(Checkin.status)
        )
        statuses = {status: count for status, count in grouped.all()}
        conversations = await session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.flow == "checkin")
        )
        prompts = (
            await session.execute(
                select(OutboxMessage.chat_id, func.count())
                .where(OutboxMessage.dedupe_key.like("checkin:%:sent:%"))
                .group_by(OutboxMessage.chat_id)
            )
        ).all()
    assert statuses[CheckinStatus.SENT] == SUPPORTERS
    assert statuses[CheckinStatus.SCHEDULED] == SUPPORTERS  # each one's next week
    assert conversations == SUPPORTERS
    assert len(prompts) == SUPPORTERS
    assert {count for _, count in prompts} == {1}, "the greeting with the first question, once"
    dialect = database_url.split("+", 1)[0]
    report(request.config, f"check-ins, two processes on {dialect}: {sent[0]} + {sent[1]} sent")


@pytest.fixture(autouse=True)
def _no_key_file(tmp_path, monkeypatch):
    """The processes run in a scratch folder (SQLite would otherwise write a key file here)."""
    monkeypatch.chdir(tmp_path)
