"""python-telegram-bot's network layer replaced by the emulated Bot API, in the same process.

The bot's calls are encoded exactly as for Telegram (JSON-encoded values, file parts) and
answered with Telegram's JSON, so everything above the network is the real thing.
"""

from __future__ import annotations

import json
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from .fake_api import EmulatedBotApi
from .fake_params import UploadedFile, convert_params


class EmulatorRequest(BaseRequest):
    """Answers each Bot API call from an EmulatedBotApi instead of over HTTP."""

    def __init__(self, api: EmulatedBotApi, *, bot_id: int) -> None:
        self._api = api
        self._bot_id = bot_id

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        self._api.bot_id = self._bot_id

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Call the method named at the end of url; return Telegram's status and JSON body."""
        api_method = url.rstrip("/").rsplit("/", 1)[-1]
        params: dict[str, Any] = {}
        if request_data is not None:
            params = convert_params(dict(request_data.json_parameters))
            for name, (filename, content, *rest) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                params[name] = UploadedFile(name, filename, rest[0] if rest else None, data)
        status, body = await self._api.answer(api_method, params)
        return status, json.dumps(body).encode()
