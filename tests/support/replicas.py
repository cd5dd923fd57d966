"""Several `peerbot run --webhook` replicas on one database, and posting updates to them.

Usage::

    async with Replicas(api.url, database_url, count=3, workdir=tmp_path) as replicas:
        status = await replicas.post(0, update_json)   # as Telegram posts, with the secret

The database is migrated once before the replicas start (so they do not race to migrate).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from peerbot.bot.webhook import SECRET_HEADER
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.migrate import upgrade_to_head
from tests.support.bot_process import PEERBOT_RUN, BotProcess

WEBHOOK_URL = "https://bot.example.org/telegram/webhook"
DEFAULT_SECRET = "replica-test-secret_0123"


class Replicas:
    """count bot processes in webhook mode, each on its own local port and folder."""

    def __init__(
        self,
        api_url: str,
        database_url: str,
        count: int,
        workdir: Path,
        *,
        secret: str = DEFAULT_SECRET,
        command: Sequence[str] = PEERBOT_RUN,
        **settings: str,
    ) -> None:
        self.database_url = database_url
        self.secret = secret
        self.ports = [_free_port() for _ in range(count)]
        shared = {
            "database_url": database_url,
            "encryption_key": FieldCipher.generate_key(),
            "webhook_url": WEBHOOK_URL,
            "webhook_secret": secret,
            "listen_host": "127.0.0.1",
            **settings,
        }
        self.processes: list[BotProcess] = []
        for index, port in enumerate(self.ports):
            folder = workdir / f"replica-{index}"
            folder.mkdir(parents=True, exist_ok=True)
            self.processes.append(
                BotProcess(
                    api_url,
                    folder,
                    run_args=["--webhook"],
                    command=command,
                    listen_port=str(port),
                    replica_id=f"replica-{index}",
                    **shared,
                )
            )
        self._client = httpx.AsyncClient(timeout=30)

    @property
    def urls(self) -> list[str]:
        """Each replica's root, e.g. http://127.0.0.1:40123."""
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @property
    def webhook_path(self) -> str:
        return httpx.URL(WEBHOOK_URL).path

    async def start(self, timeout: float = 60.0) -> Replicas:  # noqa: ASYNC109
        """Migrate, start every replica, and wait until each answers /healthz."""
        await asyncio.to_thread(upgrade_to_head, self.database_url)
        for process in self.processes:
            process.start()
        await asyncio.gather(*(self.wait_healthy(i, timeout) for i in range(len(self.ports))))
        return self

    async def wait_healthy(self, index: int, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if not self.processes[index].running:
                raise AssertionError(f"replica {index} exited:\n{self.log(index)}")
            try:
                answer = await self._client.get(f"{self.urls[index]}/healthz")
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"replica {index} not healthy:\n{self.log(index)}")
            await asyncio.sleep(0.1)

    async def post(self, index: int, update: dict[str, Any], *, secret: str | None = None) -> int:
        """POST an update to replica index as Telegram does; returns the HTTP status.

        secret=None sends the replicas' secret; "" sends no secret header at all.
        """
        token = self.secret if secret is None else secret
        headers = {SECRET_HEADER: token} if token else {}
        answer = await self._client.post(
            f"{self.urls[index]}{self.webhook_path}", json=update, headers=headers
        )
        return answer.status_code

    def kill(self, index: int) -> None:
        """SIGKILL replica index."""
        self.processes[index].kill()

    async def terminate(self, index: int, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM replica index and wait for it to exit; returns its exit status."""
        return await self.processes[index].terminate(timeout)

    def log(self, index: int) -> str:
        return self.processes[index].log()

    def sender_indexes(self) -> list[int]:
        """Running replicas whose log says they took the sender lock at some point."""
        return [
            i
            for i, process in enumerate(self.processes)
            if process.running and "now runs the sender" in process.log()
        ]

    async def close(self) -> None:
        """Kill whatever still runs and close the HTTP client."""
        for process in self.processes:
            process.cleanup()
        await self._client.aclose()

    async def __aenter__(self) -> Replicas:
        try:
            return await self.start()
        except BaseException:
            await self.close()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
