"""A card the coordinators' group refuses reaches every coordinator privately, and is counted
(bot/private_copies.py; the alert and the count in services/coordination/group_delivery.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from peerbot.bot import private_copies
from peerbot.config import load_settings
from peerbot.program import load_program
from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import group_delivery
from peerbot.services.escalations import escalation_desk, escalations
from peerbot.services.program_view import stats_text
from peerbot.storage import outbox
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import Role
from peerbot.storage.models import AuditEvent, OutboxMessage, Person, RoleAssignment
from peerbot.storage.outbox import Priority
from tests.support.contexts import service_context

GROUP = -1001111
LISTED = frozenset({901})
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
PROGRAM = load_program()
CIPHER = FieldCipher(FieldCipher.generate_key())


def context(session, *, now: datetime = NOW) -> ServiceContext:
    settings = load_settings(coordinator_chat_id=GROUP, coordinator_ids=LISTED)
    return service_context(
        session=session, program=PROGRAM, cipher=CIPHER, settings=settings, now=now
    )


async def person(session, telegram_user_id: int, *, role: Role, language: str = "en") -> Person:
    someone = Person(
        telegram_user_id=telegram_user_id, pseudonym=new_pseudonym(), language=language
    )
    session.add(someone)
    await session.flush()
    session.add(RoleAssignment(person_id=someone.id, role=role, granted_at=NOW))
    await session.flush()
    return someone


async def raised_card(session_factory) -> tuple[int, OutboxMessage]:
    """A critical escalation with its group card queued; a Spanish-speaking coordinator (by
    role only) and a listed one."""
    async with session_factory() as session, session.begin():
        await person(session, 902, role=Role.COORDINATOR, language="es")
        subject = await person(session, 556, role=Role.PARTICIPANT)
        escalation = await escalations.raise_flag(
            context(session), subject, category="suicide", severity="critical", source="message"
        )
        card = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == GROUP))
    assert card is not None
    return escalation.id, card


async def private_rows(session) -> dict[int, OutboxMessage]:
    rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id > 0))
    return {row.chat_id: row for row in rows}


async def test_a_refused_card_goes_to_every_coordinator_with_its_buttons_in_their_language(
    session_factory,
):
    escalation_id, card = await raised_card(session_factory)

    async with session_factory() as session, session.begin():
        found = await private_copies.card_not_delivered(
            context(session), card, "403 Forbidden: bot was kicked from the group chat"
        )
    assert found == escalation_id

    async with session_factory() as session:
        copies = await private_rows(session)
        audited = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == group_delivery.UNDELIVERED)
            )
        ).one()
    assert sorted(copies) == [901, 902]
    for chat_id, locale in ((901, "en"), (902, "es")):
        copy = copies[chat_id]
        assert copy.payload["text"].startswith(card.payload["text"])
        assert copy.payload["text"].endswith(PROGRAM.texts.get("delivery.private_copy", locale))
        assert copy.payload["reply_markup"] == card.payload["reply_markup"]
        assert copy.priority == Priority.ESCALATION
    assert audited.details["escalation_id"] == escalation_id
    assert audited.details["copies"] == 2


async def test_a_private_copy_that_fails_in_turn_is_not_copied_again(session_factory):
    _, card = await raised_card(session_factory)
    async with session_factory() as session, session.begin():
        await private_copies.card_not_delivered(context(session), card, "400 chat not found")
    async with session_factory() as session, session.begin():
        copy = (await private_rows(session))[901]
        again = await private_copies.card_not_delivered(context(session), copy, "403 blocked")
        assert again is None
    async with session_factory() as session:
        assert len(await private_rows(session)) == 2


def test_a_too_long_card_is_cut_to_what_telegram_takes_and_markup_is_not_left_open():
    long_html = "<b>Title</b>\n" + "<i>" + ("ñ🙂" * 3000) + "</i>"
    copy = private_copies.private_copy(
        "sendMessage",
        {"text": long_html, "parse_mode": "HTML", "reply_to_message_id": 7},
        "(sent privately)",
    )
    text = copy["text"]
    assert len(text.encode("utf-16-le")) // 2 <= private_copies.TEXT_LIMIT
    assert "parse_mode" not in copy and "<b>" not in text and "reply_to_message_id" not in copy
    assert text.startswith("Title\n") and text.endswith("…\n\n(sent privately)")
    short = private_copies.private_copy(
        "sendMessage", {"text": "<b>A & B</b>", "parse_mode": "HTML"}, "x < y"
    )
    assert short == {"text": "<b>A & B</b>\n\nx &lt; y", "parse_mode": "HTML"}


async def test_open_and_stats_say_how_many_escalation_cards_could_not_reach_the_group(
    session_factory,
):
    escalation_id, card = await raised_card(session_factory)
    async with session_factory() as session, session.begin():
        await private_copies.card_not_delivered(context(session), card, "403 Forbidden")

    async with session_factory() as session, session.begin():
        reply = await escalation_desk.open_list(context(session, now=NOW + timedelta(minutes=5)))
        summary = await stats_text.summary_for(context(session, now=NOW + timedelta(hours=1)))
    [listing] = reply.items
    line = PROGRAM.texts.get("delivery.open_undelivered", "en", count=1)
    assert line in (listing.text or "")  # type: ignore[union-attr]
    assert f"{PROGRAM.texts.get('stats.cards_undelivered', 'en')}: 1 · 1" in summary
    assert escalation_id


async def test_bot_removed_alert_promises_every_card_comes_privately_in_each_ones_language(
    session_factory,
):
    """delivery.bot_removed: "Until someone adds it back, every card comes to each coordinator
    privately": the alert goes to each coordinator, and the next card follows it there."""
    escalation_id, card = await raised_card(session_factory)
    async with session_factory() as session, session.begin():
        told = await group_delivery.alert_bot_removed(
            context(session), can_rejoin=True, update_id=77
        )
        await private_copies.card_not_delivered(context(session), card, "403 Forbidden")
    assert told == 2
    async with session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id > 0)))
    by_chat: dict[int, list[str]] = {}
    for row in rows:
        by_chat.setdefault(row.chat_id, []).append(row.payload["text"])
    assert by_chat[901][0] == PROGRAM.texts.get("delivery.bot_removed", "en")
    assert by_chat[902][0] == PROGRAM.texts.get("delivery.bot_removed", "es")
    assert all(card.payload["text"] in texts[1] for texts in by_chat.values())
    assert escalation_id


async def test_a_group_message_that_is_no_card_is_copied_but_not_counted(session_factory):
    async with session_factory() as session, session.begin():
        await outbox.enqueue(
            session, chat_id=GROUP, payload={"text": "weekly"}, now=NOW, dedupe_key="digest:1"
        )
        row = await session.scalar(select(OutboxMessage))
        assert row is not None
        assert await private_copies.card_not_delivered(context(session), row, "403") is None
    async with session_factory() as session:
        assert list(await private_rows(session)) == [901]
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert actions == [group_delivery.GROUP_UNDELIVERED]
