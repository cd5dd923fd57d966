"""/stats over the fake Bot API shows how support is going: where a participant came from (the
link they started with), their satisfaction, follow-up answers, review and how their match
ended. The follow-up rows are written into the bot's database as the follow-up flow stores
them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from peerbot.storage.crypto import FieldCipher
from peerbot.storage.db import create_engine, make_session_factory
from peerbot.storage.enums import CheckinKind, MatchStatus
from peerbot.storage.models import Person as PersonRow
from peerbot.storage.models import SupportRequest
from tests.support import rows as build
from tests.support.db_inspect import sqlite_url
from tests.support.journeys import Person, catalog

GROUP = -1001234567891
CIPHER = FieldCipher(FieldCipher.generate_key())  # the survey here has no comment to encrypt


REQUEST_CODE = re.compile(r"R-[2-9A-Z]{6}")


def coordinators_speak(workdir: Path, language: str) -> str:
    """A program folder whose coordinators read ``language``."""
    folder = workdir / "program"
    folder.mkdir()
    (folder / "program.yaml").write_text(
        f"coordinators:\n  language: {language}\n", encoding="utf-8"
    )
    return str(folder)


async def how_support_went(workdir: Path, code: str) -> None:
    """The participant of request ``code`` said all was fine, 5/5 two weeks in, chose to go
    on at the review, then ended the match and gave 4/5 in the survey; all within a day."""
    engine = create_engine(sqlite_url(workdir / "peerbot.sqlite3"))
    try:
        async with make_session_factory(engine)() as session, session.begin():
            request = await session.scalar(
                select(SupportRequest).where(SupportRequest.code == code)
            )
            assert request is not None
            participant = await session.get(PersonRow, request.person_id)
            assert participant is not None
            now = datetime.now(UTC)
            match = await build.add_match(
                session,
                request,
                None,
                status=MatchStatus.ENDED,
                approved_at=now - timedelta(hours=6),
                decided_at=now - timedelta(hours=5),
                ended_at=now - timedelta(hours=1),
                end_reason="ended_by_participant",
            )
            due = now - timedelta(hours=4)
            for kind, said in (
                (CheckinKind.PARTICIPANT_FOLLOWUP, {"how": "fine"}),
                (CheckinKind.SATISFACTION, {"score": 5.0}),
                (CheckinKind.REVIEW, {"review": "continue"}),
            ):
                await build.add_participant_checkin(session, match, participant, kind, due, **said)
            await build.add_feedback(
                session, CIPHER, request, at=now - timedelta(minutes=30), satisfaction=4
            )
    finally:
        await engine.dispose()


@pytest.mark.parametrize("language", ["en", "es"])
async def test_stats_show_satisfaction_follow_up_referral_and_endings(
    api, start_bot, bot_workdir, tmp_path: Path, language: str
) -> None:
    def t(key: str, **values: object) -> str:
        return catalog().get(key, language, **values)

    def row(label_key: str, *values: object) -> str:
        return f"{t(label_key)}: " + " · ".join(str(value) for value in values)

    start_bot(coordinator_chat_id=str(GROUP), program_dir=coordinators_speak(tmp_path, language))
    coordinator = api.private_user(first_name="Dana")
    group = api.group(chat_id=GROUP, members=[coordinator])
    participant = Person(api, api.private_user(first_name="Sam"))

    # Sam opens the bot from a clinic's link: t.me/<bot>?start=clinic
    await participant.command("/start", "clinic")
    for _ in range(3):
        await participant.press("common.continue")
    await participant.press("consent.participation.yes")
    await participant.press("consent.share_with_supporter.yes")
    await participant.press("consent.evaluation.yes")
    await participant.expect("intake.start")
    await participant.intake()
    card = await api.wait_for_message(
        GROUP, predicate=lambda m: bool(REQUEST_CODE.search(m.text or "")), timeout=20
    )
    found = REQUEST_CODE.search(card.text)
    assert found is not None
    await how_support_went(bot_workdir, found.group())

    before = api.messages(GROUP)[-1].message_id
    await coordinator.send_command("/stats", chat=group)
    stats = await api.wait_for_message(GROUP, contains=t("stats.title"), after=before, timeout=20)

    lines = stats.text.splitlines()
    assert row("stats.referrals", "clinic 1", "clinic 1") in lines
    score = t("stats.score", value=5, count=1)
    assert row("stats.satisfaction_checkin", score, score) in lines
    score = t("stats.score", value=4, count=1)
    assert row("stats.satisfaction_survey", score, score) in lines
    assert row("stats.followups", "1/0/0/0/0", "1/0/0/0/0") in lines
    assert row("stats.reviews", "1/0", "1/0") in lines
    assert t("stats.ended") in lines
    assert row("end_reason.ended_by_participant", 1, 1) in lines
    assert "Sam" not in stats.text and str(participant.user.id) not in stats.text
    assert stats.text.startswith(t("stats.title")), f"in the coordinators' language, {language}"
