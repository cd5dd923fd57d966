"""The webhook endpoint on a real database: the secret is checked, updates are stored once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from peerbot.bot import metrics
from peerbot.bot.deps import Deps
from peerbot.bot.webhook import SECRET_HEADER, webhook_app
from peerbot.storage.models import ProcessedUpdate
from tests.support.supporter_steps import CIPHER, PROGRAM, settings

SECRET = "s3cret_token-for-tests"
PATH = "/telegram/hook"


def message(update_id: int, chat_id: int = 5001, text: str = "/help") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Sam"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


class Wakes:
    """Counts the worker wake-ups the endpoint asks for."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def wakes() -> Wakes:
    return Wakes()


@pytest.fixture
async def client(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], wakes: Wakes
) -> AsyncIterator[httpx.AsyncClient]:
    deps = Deps(
        settings=settings(
            database_url=engine.url.render_as_string(hide_password=False),
            webhook_url=f"https://bot.example.org{PATH}",
            webhook_secret=SECRET,
        ),
        engine=engine,
        sessions=session_factory,
        program=PROGRAM,
        cipher=CIPHER,
    )
    app = webhook_app(deps, on_received=wakes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://replica") as http:
        yield http


def received() -> float:
    return metrics.REGISTRY.get_sample_value("peerbot_updates_received_total") or 0.0


async def rows(factory: async_sessionmaker[AsyncSession]) -> list[ProcessedUpdate]:
    async with factory() as session:
        return list((await session.scalars(select(ProcessedUpdate))).all())


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: ""}],
    ids=["missing", "wrong", "longer", "empty"],
)
async def test_a_post_without_the_secret_is_refused_and_leaves_no_row(
    client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    wakes: Wakes,
    headers: dict[str, str],
) -> None:
    answer = await client.post(PATH, json=message(1), headers=headers)

    assert answer.status_code == 401
    assert await rows(session_factory) == []
    assert wakes.count == 0


async def test_an_update_is_stored_encrypted_with_its_chat_and_acknowledged(
    client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession], wakes: Wakes
) -> None:
    received_before = received()
    update = message(7, chat_id=5002, text="/start")

    answer = await client.post(PATH, json=update, headers={SECRET_HEADER: SECRET})

    assert answer.status_code == 200
    [row] = await rows(session_factory)
    assert (row.update_id, row.chat_id, row.processed_at) == (7, 5002, None)
    assert "/start" not in (row.payload_enc or "")
    assert json.loads(CIPHER.decrypt(row.payload_enc) or "") == update
    assert wakes.count == 1
    assert received() == received_before + 1


async def test_a_repeated_update_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession], wakes: Wakes
) -> None:
    headers = {SECRET_HEADER: SECRET}
    first = await client.post(PATH, json=message(8), headers=headers)
    again = await client.post(PATH, json=message(8, text="/start"), headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    [row] = await rows(session_factory)
    assert json.loads(CIPHER.decrypt(row.payload_enc) or "")["message"]["text"] == "/help"
    assert wakes.count == 1


async def test_a_button_press_is_filed_under_its_chat(
    client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    press = {
        "update_id": 9,
        "callback_query": {
            "id": "42",
            "from": {"id": 5003, "is_bot": False, "first_name": "Sam"},
            "chat_instance": "1",
            "data": "f:about_program:continue",
            "message": message(1, chat_id=5003)["message"],
        },
    }
    answer = await client.post(PATH, json=press, headers={SECRET_HEADER: SECRET})

    assert answer.status_code == 200
    assert [row.chat_id for row in await rows(session_factory)] == [5003]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"no": "update_id"}', b"\xff\xfe"])
async def test_a_body_that_is_no_update_is_refused(
    client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession], body: bytes
) -> None:
    answer = await client.post(PATH, content=body, headers={SECRET_HEADER: SECRET})

    assert answer.status_code == 400
    assert await rows(session_factory) == []


async def test_only_the_webhook_path_takes_posts_and_health_is_mounted(
    client: httpx.AsyncClient,
) -> None:
    other = await client.post("/elsewhere", json=message(1), headers={SECRET_HEADER: SECRET})
    health = await client.get("/healthz")

    assert other.status_code == 404
    assert health.status_code == 200
