"""The weekly digest: due once per week in the program's zone, posted once, never a backlog."""

from __future__ import annotations

import asyncio
import base64
import functools
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.bot.deps import Deps
from peerbot.config import Settings, load_settings
from peerbot.dialogs.policy import DigestPolicy
from peerbot.program import ProgramData, load_program
from peerbot.scheduler.jobs import post_digest_due
from peerbot.services.program_view import digest
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.models import Digest, OutboxMessage
from tests.support.contexts import service_context
from tests.support.weekly_world import PEOPLE, seed_three_weeks

GROUP = -1002000000001
CIPHER = FieldCipher(FieldCipher.generate_key())
MADRID = ZoneInfo("Europe/Madrid")
MONDAY_9 = DigestPolicy(weekday="mon", time="09:00")
# The Monday after the seeded weeks, five minutes after the digest was due (UTC program).
DUE = datetime(2027, 1, 25, 9, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"coordinator_chat_id": GROUP, "timezone": "UTC"}
    return load_settings(**{**values, **overrides})


@functools.cache
def built_in() -> ProgramData:
    return load_program()


def program(**digest_policy: object) -> ProgramData:
    policy = DigestPolicy.model_validate(digest_policy)
    return replace(built_in(), policy=built_in().policy.model_copy(update={"digest": policy}))


async def post_due(
    sessions: Sessions, now: datetime, *, config: Settings | None = None, **policy: object
) -> bool:
    deps = Deps(
        settings=config or settings(),
        engine=sessions.kw["bind"],
        sessions=sessions,
        program=program(**policy),
        cipher=CIPHER,
    )
    return await post_digest_due(deps, now=now)


async def outbox_rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def digest_times(sessions: Sessions) -> list[datetime]:
    async with sessions() as session:
        return list(await session.scalars(select(Digest.due_at).order_by(Digest.due_at)))


async def program_began(sessions: Sessions, now: datetime, **policy: object) -> None:
    """A program's first digest tick: it posts nothing, only records the due time past."""
    assert await post_due(sessions, now, **policy) is False
    assert await outbox_rows(sessions) == []


def madrid(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=MADRID)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (madrid(1, 11, 8, 59), madrid(1, 4, 9)),  # a minute early: last week's
        (madrid(1, 11, 9), madrid(1, 11, 9)),  # on the minute
        (madrid(1, 17, 23), madrid(1, 11, 9)),  # later that week
        (madrid(3, 30, 12), madrid(3, 29, 9)),  # summer time now
        (madrid(3, 29, 8), madrid(3, 22, 9)),  # winter time then
    ],
)
def test_latest_due_is_the_programs_local_day_and_time(now: datetime, due: datetime) -> None:
    found = digest.latest_due(MONDAY_9, MADRID, now)

    assert found == due
    assert found.astimezone(MADRID).hour == 9


async def test_the_digest_is_drafted_from_the_weeks_before_its_due_time(
    session_factory: Sessions,
) -> None:
    await seed_three_weeks(session_factory, CIPHER)
    await program_began(session_factory, DUE - timedelta(days=1))
    async with session_factory() as session, session.begin():
        ctx = service_context(session, program(), CIPHER, settings(), DUE + timedelta(minutes=5))
        draft = await digest.draft_due(ctx)

    assert draft is not None and draft.due_at == DUE
    chart = draft.chart
    assert len(chart.weeks) == digest.WEEKS == 12
    # The last four seven-day spans end on Mondays at 09:00: 4, 11, 18 and 25 January.
    assert chart.weeks[-4:] == ["28 Dec", "4 Jan", "11 Jan", "18 Jan"]
    assert chart.requests[-4:] == [0, 2, 2, 0]
    assert chart.matches[-4:] == [0, 1, 1, 0]
    assert chart.claim_minutes[-4:] == [None, 20.0, None, None]
    assert sum(chart.requests) == 4
    assert draft.text.startswith("<b>Weekly digest</b>, 25 Jan 2027")
    # ana's survey answer, review and ending of the last week: one each, so shown as "<5"
    # (report.smallest_count), and her satisfaction not at all
    assert "satisfaction when support ended: – (n=&lt;5) · – (n=&lt;5)" in draft.text
    assert "reviews: continue / end: 0/&lt;5 · 0/&lt;5" in draft.text
    assert "ended by the participant: &lt;5 · &lt;5" in draft.text
    assert "came through: 0 · clinic &lt;5, poster &lt;5" in draft.text
    for person in PEOPLE.values():
        assert str(person["name"]) not in draft.text
        assert str(person["telegram"]) not in draft.text


async def test_posted_once_per_due_time_with_a_phone_sized_chart(
    session_factory: Sessions,
) -> None:
    await seed_three_weeks(session_factory, CIPHER)
    await program_began(session_factory, DUE - timedelta(days=1))

    assert await post_due(session_factory, DUE + timedelta(minutes=5)) is True
    assert await post_due(session_factory, DUE + timedelta(minutes=10)) is False
    assert await post_due(session_factory, DUE + timedelta(days=3)) is False

    summary, photo = await outbox_rows(session_factory)
    assert (summary.chat_id, summary.method) == (GROUP, "sendMessage")
    assert "Weekly digest" in summary.payload["text"]
    assert summary.payload["parse_mode"] == "HTML"
    assert (photo.chat_id, photo.method) == (GROUP, "sendPhoto")
    assert "last 12 weeks" in photo.payload["caption"]
    picture = base64.b64decode(photo.payload["photo"]["content_b64"])
    image = Image.open(io.BytesIO(picture))
    assert (image.format, image.size) == ("PNG", (1080, 1350))

    # A week later the next one is due, and posted once.
    assert await post_due(session_factory, DUE + timedelta(weeks=1, minutes=1)) is True
    assert await post_due(session_factory, DUE + timedelta(weeks=1, minutes=2)) is False
    assert len(await outbox_rows(session_factory)) == 4
    assert await digest_times(session_factory) == [
        DUE - timedelta(weeks=1),
        DUE,
        DUE + timedelta(weeks=1),
    ]


async def test_a_new_program_waits_for_the_next_due_time(session_factory: Sessions) -> None:
    # Started on a Wednesday: Monday's digest would sum up days the program did not run.
    await program_began(session_factory, DUE + timedelta(days=2))

    assert await post_due(session_factory, DUE + timedelta(days=6)) is False
    assert await post_due(session_factory, DUE + timedelta(weeks=1)) is True

    assert await digest_times(session_factory) == [DUE, DUE + timedelta(weeks=1)]
    assert len(await outbox_rows(session_factory)) == 2


async def test_a_bot_started_long_after_posts_the_latest_week_only(
    session_factory: Sessions,
) -> None:
    await program_began(session_factory, DUE - timedelta(minutes=1))  # last week's, recorded
    months_later = DUE + timedelta(weeks=20, days=2)

    assert await post_due(session_factory, months_later) is True
    assert await post_due(session_factory, months_later + timedelta(hours=1)) is False

    assert await digest_times(session_factory) == [
        DUE - timedelta(weeks=1),
        DUE + timedelta(weeks=20),
    ]
    assert len(await outbox_rows(session_factory)) == 2


async def test_two_replicas_at_once_post_it_once(session_factory: Sessions) -> None:
    await program_began(session_factory, DUE - timedelta(days=1))
    now = DUE + timedelta(minutes=1)

    posted = await asyncio.gather(post_due(session_factory, now), post_due(session_factory, now))

    assert sorted(posted) == [False, True]
    assert [row.method for row in await outbox_rows(session_factory)] == [
        "sendMessage",
        "sendPhoto",
    ]


async def test_nothing_is_posted_when_off_or_without_a_group(session_factory: Sessions) -> None:
    now = DUE + timedelta(minutes=1)

    assert await post_due(session_factory, now, enabled=False) is False
    assert await post_due(session_factory, now, config=settings(coordinator_chat_id=None)) is False

    assert await outbox_rows(session_factory) == []
    assert await digest_times(session_factory) == []


async def test_the_digest_follows_the_programs_day_time_and_zone(
    session_factory: Sessions,
) -> None:
    in_madrid = settings(timezone="Europe/Madrid")
    friday_17 = {"weekday": "fri", "time": "17:30"}
    due = madrid(1, 22, 17, 30)

    early = due - timedelta(minutes=1)
    assert await post_due(session_factory, early, config=in_madrid, **friday_17) is False
    assert await post_due(session_factory, due, config=in_madrid, **friday_17) is True

    assert await digest_times(session_factory) == [due - timedelta(weeks=1), due]


async def test_without_a_group_each_coordinator_gets_the_digest_privately(
    session_factory: Sessions,
) -> None:
    private = settings(coordinator_chat_id=None, no_coordinator_group=True, coordinator_ids="7,8")
    await program_began(session_factory, DUE - timedelta(days=1))
    now = DUE + timedelta(minutes=5)
    async with session_factory() as session, session.begin():
        ctx = service_context(session, program(), CIPHER, private, now)
        draft = await digest.draft_due(ctx)
        assert draft is not None
        assert await digest.post(ctx, draft, b"picture") is True
    async with session_factory() as session, session.begin():
        ctx = service_context(session, program(), CIPHER, private, now)
        assert await digest.post(ctx, draft, b"picture") is False  # once per due time

    rows = await outbox_rows(session_factory)
    assert sorted((row.chat_id, row.method) for row in rows) == [
        (7, "sendMessage"),
        (7, "sendPhoto"),
        (8, "sendMessage"),
        (8, "sendPhoto"),
    ]
