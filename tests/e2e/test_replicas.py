"""Three webhook replicas on PostgreSQL behind a round-robin balancer, one of them SIGKILLed.

Participants talk to the bot as on a phone while their updates are spread over the replicas
the way a load balancer spreads Telegram's posts: every update is processed exactly once,
each chat is answered in the order it wrote, and nothing is lost when a replica dies.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from peerbot.emulator.fake_telegram import FakeBotApi
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.models import ProcessedUpdate
from tests.support.journeys import Person
from tests.support.replicas import Replicas

PARTICIPANTS = 30
REPLICAS = 3
GROUP = -1001230009


class Balancer:
    """Round-robin over the replicas still alive, as a reverse proxy spreads the posts.

    Like Telegram, it posts a chat's next update only after the previous one was answered 200,
    and posts again (to the next replica) when a connection fails.
    """

    def __init__(self, replicas: Replicas) -> None:
        self.replicas = replicas
        self.live = list(range(len(replicas.urls)))
        self.posted: list[int] = []
        self._turn = 0

    async def post(self, update: dict[str, Any]) -> None:
        while True:
            index = self.live[self._turn % len(self.live)]
            self._turn += 1
            try:
                status = await self.replicas.post(index, update)
            except httpx.TransportError:
                self.remove(index)
                continue
            assert status == 200, f"replica {index} answered {status}"
            self.posted.append(update["update_id"])
            return

    def remove(self, index: int) -> None:
        if index in self.live:
            self.live.remove(index)


class PostingUser:
    """A fake user whose updates go to the balancer instead of the fake's getUpdates queue."""

    def __init__(self, api: FakeBotApi, user: Any, balancer: Balancer) -> None:
        self._api = api
        self._user = user
        self._balancer = balancer

    @property
    def chat_id(self) -> int:
        return int(self._user.chat_id)

    async def send_command(self, command: str, args: str = "") -> None:
        await self._user.send_command(command, args)
        await self._forward()

    async def send_text(self, text: str) -> None:
        await self._user.send_text(text)
        await self._forward()

    async def press(self, label: str, message: Any = None) -> None:
        await self._user.press(label, message=message)
        await self._forward()

    async def _forward(self) -> None:
        # The action above queued exactly one update and nothing ran in between.
        [update] = self._api.pending_updates()
        self._api.updates.clear()
        await self._balancer.post(update)


async def converse(person: Person) -> None:
    """/start and /help at once, three pages of the introduction, /help again."""
    await person.command("/start")
    await person.command("/help")
    for _ in range(3):
        await person.press("common.continue")
    await person.command("/help")
    await person.expect("crisis.resources", after=person.last_pressed)


def first_lines(api: FakeBotApi, chat_id: int) -> list[str]:
    return [message.content.splitlines()[0] for message in api.messages(chat_id)]


async def inbox_rows(database_url: str) -> list[ProcessedUpdate]:
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            query = select(ProcessedUpdate).order_by(ProcessedUpdate.update_id)
            return list((await session.scalars(query)).all())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_three_replicas_process_every_update_once_in_chat_order_despite_a_sigkill(
    api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    api.group(chat_id=GROUP)
    async with Replicas(
        api.url, database_url, REPLICAS, tmp_path, coordinator_chat_id=str(GROUP)
    ) as replicas:
        balancer = Balancer(replicas)
        senders = await api.wait_until(replicas.sender_indexes, timeout=20)
        assert len(senders) == 1, "one replica holds the sender lock"
        assert len(api.calls("setWebhook")) == 1, "one replica registers the webhook"
        assert await replicas.post(1, {"update_id": 1, "message": {}}, secret="wrong") == 401

        people = [
            Person(api, PostingUser(api, api.private_user(), balancer), timeout=90)
            for _ in range(PARTICIPANTS)
        ]
        talks = [asyncio.create_task(converse(person)) for person in people]
        await api.wait_until(lambda: len(balancer.posted) >= PARTICIPANTS * 2, timeout=60)
        victim = next(i for i in range(REPLICAS) if i not in senders)
        replicas.kill(victim)
        balancer.remove(victim)
        await asyncio.gather(*talks)
        await asyncio.sleep(1.5)  # time enough for a duplicate to show up

        survivors = [i for i in range(REPLICAS) if i != victim]
        statuses = [await replicas.terminate(i) for i in survivors]
        assert statuses == [0] * len(survivors), replicas.log(survivors[0])[-3000:]

    rows = await inbox_rows(database_url)
    assert [row.update_id for row in rows] == sorted(set(balancer.posted)), "stored once each"
    assert all(row.processed_at is not None and row.outcome == "ok" for row in rows)
    assert not [row for row in rows if row.claimed_by and row.processed_at is None]
    assert 1 not in {row.update_id for row in rows}, "the post with a wrong secret left nothing"
    for chat_id in {row.chat_id for row in rows}:
        in_update_order = [row.processed_at for row in rows if row.chat_id == chat_id]
        assert in_update_order == sorted(in_update_order), f"chat {chat_id} out of order"

    help_line, crisis_line = (
        people[0].t(key).splitlines()[0] for key in ("help", "crisis.resources")
    )
    transcripts = {person.chat_id: first_lines(api, person.chat_id) for person in people}
    expected = transcripts[people[0].chat_id]
    # /start's welcome, then the /help sent right after it, the pages, and /help again
    first_help = expected.index(help_line)
    assert first_help > 0 and expected[first_help + 1] == crisis_line, expected
    assert expected.count(help_line) == 2 and expected[-2:] == [help_line, crisis_line], expected
    assert [chat for chat, lines in transcripts.items() if lines != expected] == []
