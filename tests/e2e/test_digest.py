"""The weekly digest end to end: the real bot posts the summary and a chart to the group."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from peerbot.dialogs.checkin_schedule import WEEKDAYS
from peerbot.emulator.fake_params import UploadedFile

GROUP = -1009876543210
DIGEST_TICK_FIRST = 15  # seconds after start-up, then every minute (peerbot/scheduler/jobs.py)


async def test_the_digest_due_now_is_posted_once_with_a_phone_sized_chart(
    api, start_bot, tmp_path: Path
) -> None:
    # Due in 40 to 100 s, in the program's zone (UTC): the first digest tick (15 s after
    # start) finds last week's due time and posts nothing, as in a new program; a later
    # tick posts this one.
    due = (datetime.now(UTC) + timedelta(seconds=100)).replace(second=0, microsecond=0)
    program = tmp_path / "program"
    program.mkdir()
    (program / "program.yaml").write_text(
        f'digest:\n  weekday: {WEEKDAYS[due.weekday()]}\n  time: "{due:%H:%M}"\n',
        encoding="utf-8",
    )
    api.group(chat_id=GROUP)
    bot = start_bot(coordinator_chat_id=str(GROUP), program_dir=str(program), timezone="UTC")

    photo = await api.wait_for_message(GROUP, predicate=lambda m: m.photo is not None, timeout=180)
    assert datetime.now(UTC) >= due, "nothing was posted before its time"
    summary = api.messages(GROUP)[0]

    assert summary.message_id < photo.message_id, "the summary comes first"
    assert summary.text is not None and "Weekly digest" in summary.text
    assert photo.caption is not None and "last 12 weeks" in photo.caption
    (call,) = api.calls("sendPhoto")
    upload = call.params["photo"]
    assert isinstance(upload, UploadedFile)
    assert call.content_type.startswith("multipart/")
    image = Image.open(io.BytesIO(upload.data))
    assert (image.format, image.size) == ("PNG", (1080, 1350))

    # Restarted within the week, the bot does not post that digest again.
    assert await bot.terminate() == 0
    polls = len(api.calls("getUpdates"))
    start_bot(coordinator_chat_id=str(GROUP), program_dir=str(program), timezone="UTC")
    await api.wait_until(lambda: len(api.calls("getUpdates")) > polls, timeout=60)
    await asyncio.sleep(DIGEST_TICK_FIRST + 5)  # its first digest tick has run by now
    assert len(api.calls("sendPhoto")) == 1
    assert len(api.messages(GROUP)) == 2
