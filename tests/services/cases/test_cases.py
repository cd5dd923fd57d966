"""Case threads: opened by an escalation or by writing, relayed both ways (held until the person
confirms), shown and closed by coordinators, and erased with the person's data."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from peerbot.config import load_settings
from peerbot.dialogs.inputs import Cancel, Text
from peerbot.dialogs.policy import CasePolicy, ProgramPolicy, RetentionPolicy
from peerbot.program import load_program
from peerbot.scheduler import retention_pass
from peerbot.services.cases import case_view, cases, relay, threads
from peerbot.services.cases.relay import Written
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import journey
from peerbot.services.conversations.actions import CaseSend
from peerbot.services.conversations.shown import Menu, Notice
from peerbot.services.conversations.shown import Text as Shown
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import escalations
from peerbot.services.participants import consent
from peerbot.services.privacy import data_rights
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CaseDirection,
    CaseMessageKind,
    CaseStatus,
    ConsentKind,
    Role,
)
from peerbot.storage.models import (
    AuditEvent,
    Case,
    CaseMessage,
    OutboxMessage,
    Person,
    RoleAssignment,
    SupportRequest,
)
from tests.support.contexts import caller_deps, service_context

GROUP = -1001111
COORDINATOR_ID = 901
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
PROGRAM = load_program()
CIPHER = FieldCipher(FieldCipher.generate_key())
WORDS = "Can someone tell me when the next group meeting is?"


def context(
    session, *, now: datetime = NOW, program=PROGRAM, topics: bool = False
) -> ServiceContext:
    """topics: the group a forum where the bot may manage topics."""
    settings = load_settings(coordinator_chat_id=GROUP, coordinator_ids={COORDINATOR_ID})
    settings.use_case_topics(topics)
    return service_context(session, program, CIPHER, settings, now)


def t(key: str, **values: object) -> str:
    return PROGRAM.texts.get(key, "en", **values)


async def make_person(
    session,
    role: Role | None = Role.PARTICIPANT,
    *,
    telegram_id: int = 556,
    name: str = "Samantha",
) -> Person:
    person = Person(
        telegram_user_id=telegram_id,
        pseudonym=new_pseudonym(),
        display_name_enc=CIPHER.encrypt(name),
    )
    session.add(person)
    await session.flush()
    if role is not None:
        session.add(RoleAssignment(person_id=person.id, role=role, granted_at=NOW))
        await session.flush()
    return person


async def make_coordinator(session) -> Person:
    """Known by the group's membership, not by a role of its own."""
    return await make_person(session, None, telegram_id=COORDINATOR_ID, name="Dana Smith")


def who_of(person: Person) -> Who:
    return Who(person.telegram_user_id or 0, person.telegram_user_id or 0, "en", person)


async def rows(session, model, *where):
    return list(await session.scalars(select(model).where(*where).order_by(model.id)))


async def group_rows(session) -> list[OutboxMessage]:
    return await rows(session, OutboxMessage, OutboxMessage.chat_id == GROUP)


async def sent(session, key: str, telegram_message_id: int) -> None:
    """The sender delivered the row with this key and Telegram gave it this id."""
    row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    assert row is not None, key
    row.status, row.telegram_message_id = "sent", telegram_message_id
    await session.flush()


async def confirmed_case(session, person: Person) -> Case:
    """The person wrote outside a flow and pressed Send it."""
    held = await relay.from_person(context(session), who_of(person), Written.words(WORDS))
    menu = held.items[-1]
    assert isinstance(menu, Menu)
    send = menu.buttons[0][0].data
    assert isinstance(send, CaseSend) and send.send
    await relay.answer(context(session), who_of(person), send)
    case = await session.get(Case, send.case_id)
    assert case is not None
    return case


async def case_on_card_700(session) -> tuple[Person, Person, Case]:
    """A participant's confirmed case whose card Telegram delivered as message 700, and a
    coordinator to answer it."""
    person = await make_person(session)
    coordinator = await make_coordinator(session)
    case = await confirmed_case(session, person)
    await sent(session, threads.card_key(case), 700)
    return person, coordinator, case


async def test_an_escalation_opens_a_case_anchored_to_its_card_and_a_second_flag_reuses_it(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        first = await escalations.raise_flag(
            context(session), person, category="suicide", severity="critical", source="message"
        )
        await sent(session, f"escalation:{first.id}:raised", 700)
        second = await escalations.raise_flag(
            context(session), person, category="self_harm", severity="high", source="message"
        )
        await sent(session, f"escalation:{second.id}:raised", 720)
        (case,) = await rows(session, Case)
        cards = await group_rows(session)
        assert await threads.case_of(context(session), threads.At(700)) is case
        assert await threads.case_of(context(session), threads.At(720)) is case
    assert (case.status, case.reason, case.escalation_id) == (
        CaseStatus.OPEN,
        "escalation",
        first.id,
    )
    assert case.card_key == f"escalation:{second.id}:raised" == cards[1].dedupe_key
    assert all(t("case.reply_hint") in card.payload["text"] for card in cards)


async def test_words_outside_a_flow_are_held_encrypted_until_the_person_says_send(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        reply = await journey.flow_input(context(session), who_of(person), Text(WORDS))
        assert isinstance(reply.items[-1], Menu) and reply.items[-1].key == "case.confirm"
        (case,) = await rows(session, Case)
        (held,) = await rows(session, CaseMessage)
        assert case.status == CaseStatus.PENDING and held.relayed_at is None
        assert held.body_enc is not None and WORDS not in held.body_enc
        assert await group_rows(session) == []  # nothing reaches anyone before the person says so
    confirm = t("case.confirm")
    assert "not by a peer supporter" in confirm and "emergency" in confirm and "/help" in confirm


async def test_send_it_opens_the_case_and_relays_under_the_pseudonym_never_the_name(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        case = await confirmed_case(session, person)
        card, relayed = await group_rows(session)
        actions = [e.action for e in await rows(session, AuditEvent)]
        details = [e.details for e in await rows(session, AuditEvent)]
    assert case.status == CaseStatus.OPEN and case.card_key == card.dedupe_key
    assert person.pseudonym in card.payload["text"] and "Samantha" not in card.payload["text"]
    assert relayed.payload["text"].startswith(f"💬 {person.pseudonym}")
    assert WORDS in relayed.payload["text"] and "Samantha" not in relayed.payload["text"]
    assert {"case.held", "case.opened", "case.relayed"} <= set(actions)
    assert all(WORDS not in str(d) for d in details), "the audit trail never holds the words"


async def test_dont_send_keeps_nothing_and_cancel_drops_held_words_too(session_factory):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        held = await relay.from_person(context(session), who_of(person), Written.words(WORDS))
        dont = held.items[-1].buttons[0][1].data  # type: ignore[union-attr]
        reply = await relay.answer(context(session), who_of(person), dont)
        assert Notice("case.not_sent") in reply.items
        assert await rows(session, Case) == [] and await rows(session, CaseMessage) == []

        await relay.from_person(context(session), who_of(person), Written.words(WORDS))
        cancelled = await journey.flow_input(context(session), who_of(person), Cancel())
        assert Notice("case.not_sent") in cancelled.items
        assert await rows(session, CaseMessage) == []


async def test_with_a_case_open_words_go_straight_to_the_thread_acknowledged_now_and_then(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        case = await confirmed_case(session, person)
        await sent(session, threads.card_key(case), 700)
        soon = await relay.from_person(
            context(session, now=NOW + timedelta(minutes=1)), who_of(person), Written.words("one")
        )
        later = await relay.from_person(
            context(session, now=NOW + timedelta(minutes=40)), who_of(person), Written.words("two")
        )
        relayed = (await group_rows(session))[-2:]
    assert soon.items == []  # "passed on" was said with "Sent" a minute ago
    assert later.items == [Notice("case.passed_on")]
    assert [r.payload["reply_parameters"]["message_id"] for r in relayed] == [700, 700]


async def test_a_coordinators_reply_reaches_the_person_from_the_coordinators_unnamed(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person, coordinator, case = await case_on_card_700(session)
        answer = Written(CaseMessageKind.TEXT, "We are here. Can we call you?", None, 801)
        assert (
            await relay.from_coordinator(context(session), coordinator, answer, threads.At(700))
            is None
        )
        (to_person,) = await rows(session, OutboxMessage, OutboxMessage.chat_id == 556)
        stored = await rows(session, CaseMessage, CaseMessage.direction == CaseDirection.TO_PERSON)
    assert to_person.payload["text"].startswith(t("case.from_coordinators"))
    assert "Dana" not in to_person.payload["text"]
    assert stored[0].author_id == coordinator.id and stored[0].group_message_id == 801
    assert "Can we call" not in (stored[0].body_enc or "")


async def test_the_program_may_add_the_coordinators_first_name(session_factory):
    named = dataclasses.replace(
        PROGRAM, policy=ProgramPolicy(cases=CasePolicy(coordinator_first_name=True))
    )
    async with session_factory() as session, session.begin():
        person, coordinator, case = await case_on_card_700(session)
        answer = Written.words("Hello", 802)
        ctx = context(session, program=named)
        await relay.from_coordinator(ctx, coordinator, answer, threads.At(700))
        (to_person,) = await rows(session, OutboxMessage, OutboxMessage.chat_id == 556)
    assert to_person.payload["text"].startswith(t("case.from_coordinator_named", name="Dana"))


async def test_a_reply_to_a_relayed_message_finds_its_case_and_unrelated_replies_do_not(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        coordinator = await make_coordinator(session)
        case = await confirmed_case(session, person)
        relayed = (await group_rows(session))[-1]
        await sent(session, relayed.dedupe_key or "", 710)
        assert await threads.case_of(context(session), threads.At(710)) is case
        nothing = await relay.from_coordinator(
            context(session), coordinator, Written.words("hi"), threads.At(999)
        )
    assert nothing is None


async def test_photos_documents_and_voice_notes_are_copied_with_a_header_over_the_caption(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person, coordinator, case = await case_on_card_700(session)
        photo = Written(CaseMessageKind.PHOTO, "my letter", "AgAC-photo", 12)
        await relay.from_person(context(session), who_of(person), photo)
        voice = Written(CaseMessageKind.VOICE, None, "AwAC-voice", 13)
        await relay.from_person(context(session), who_of(person), voice)
        document = Written(CaseMessageKind.DOCUMENT, None, "BQAC-doc", 803)
        await relay.from_coordinator(context(session), coordinator, document, threads.At(700))
        photo_row, voice_row = (await group_rows(session))[-2:]
        (to_person,) = await rows(session, OutboxMessage, OutboxMessage.chat_id == 556)
        stored = await rows(session, CaseMessage, CaseMessage.kind == CaseMessageKind.PHOTO)
    copied = [
        (r.method, r.payload["from_chat_id"], r.payload["message_id"])
        for r in (photo_row, voice_row, to_person)
    ]
    assert copied == [
        ("copyMessage", 556, 12),
        ("copyMessage", 556, 13),
        ("copyMessage", GROUP, 803),
    ]
    caption = photo_row.payload["caption"]
    assert "my letter" in caption and person.pseudonym in caption
    assert to_person.payload["caption"] == t("case.from_coordinators")
    assert CIPHER.decrypt(stored[0].file_id_enc) == "AgAC-photo"
    assert "my letter" not in (stored[0].body_enc or "")


async def test_a_message_the_person_never_got_is_reported_in_the_thread(session_factory):
    async with session_factory() as session, session.begin():
        person, coordinator, case = await case_on_card_700(session)
        await relay.from_coordinator(
            context(session), coordinator, Written.words("hi", 804), threads.At(700)
        )
        (to_person,) = await rows(session, OutboxMessage, OutboxMessage.chat_id == 556)
        ctx = context(session)
        assert await relay.not_delivered(ctx, to_person.dedupe_key or "", blocked=True)
        note = (await group_rows(session))[-1]
        (message,) = await rows(session, CaseMessage, CaseMessage.author_id == coordinator.id)
    assert note.payload["text"] == t("case.not_delivered", case=person.pseudonym)
    assert note.payload["reply_parameters"]["message_id"] == 804  # the coordinator's message
    assert message.failed_at is not None


async def test_case_shows_what_triage_needs_and_the_summary_only_when_sharing_was_allowed(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        coordinator = await make_coordinator(session)
        ctx = context(session)
        for kind in (ConsentKind.PARTICIPATION, ConsentKind.SHARE_WITH_SUPPORTER):
            granted = kind == ConsentKind.PARTICIPATION
            await consent.record(
                ctx, person_id=person.id, kind=kind, granted=granted, text_shown="x"
            )
        session.add(
            SupportRequest(
                person_id=person.id,
                code="R-7",
                topics=["grief"],
                summary_enc=CIPHER.encrypt("my sister"),
            )
        )
        await escalations.raise_flag(
            ctx, person, category="suicide", severity="high", source="message"
        )
        hidden = await case_view.show(ctx, coordinator, threads.At(None), [person.pseudonym])
        await consent.record(
            ctx,
            person_id=person.id,
            kind=ConsentKind.SHARE_WITH_SUPPORTER,
            granted=True,
            text_shown="x",
        )
        shown = await case_view.show(ctx, coordinator, threads.At(None), ["R-7"])
        viewed = await rows(session, AuditEvent, AuditEvent.action == "case.viewed")
    hidden_text, shown_text = hidden.items[0].text, shown.items[0].text  # type: ignore[union-attr]
    assert "R-7" in hidden_text and "share_with_supporter: declined" in hidden_text
    assert "share_telegram_name: not_asked" in hidden_text, "the name answer is listed too"
    assert t("severity.high") in hidden_text and t("role.participant") in hidden_text
    assert "my sister" not in hidden_text and t("case.view.summary_not_shared") in hidden_text
    assert "my sister" in shown_text
    assert [e.actor_id for e in viewed] == [coordinator.id, coordinator.id]


async def test_close_tells_the_person_and_their_next_words_ask_again_for_a_new_case(
    session_factory,
):
    async with session_factory() as session, session.begin():
        person, coordinator, case = await case_on_card_700(session)
        usage = await case_view.close(context(session), coordinator, threads.At(700), ["x"])
        assert usage.items[0].key == "case.close_usage"  # type: ignore[union-attr]
        closed = await case_view.close(
            context(session), coordinator, threads.At(700), ["contacted"]
        )
        told = await rows(session, OutboxMessage, OutboxMessage.chat_id == 556)
        late = await relay.from_coordinator(
            context(session), coordinator, Written.words("one more", 805), threads.At(700)
        )
        again = await relay.from_person(context(session), who_of(person), Written.words("hi"))
        all_cases = await rows(session, Case)
    assert (case.status, case.outcome, case.closed_by_id) == (
        CaseStatus.CLOSED,
        "contacted",
        coordinator.id,
    )
    assert closed.items[0].key == "case.closed"  # type: ignore[union-attr]
    assert [row.payload["text"] for row in told] == [t("case.closed_told")]
    assert late is not None and late.items[0].key == "case.not_open"  # type: ignore[union-attr]
    assert isinstance(again.items[-1], Menu)
    assert [c.status for c in all_cases] == [CaseStatus.CLOSED, CaseStatus.PENDING]


async def test_forget_erases_the_case_messages_and_mydata_shows_them(session_factory):
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        await confirmed_case(session, person)
        _, data = await data_rights.export(context(session), person)
        assert [m["body"] for m in data["case_messages"]] == [WORDS]
        assert len(data["cases"]) == 1
        await data_rights.forget(context(session), person)
        assert await rows(session, CaseMessage) == []


async def test_retention_erases_message_bodies_after_the_case_closed(session_factory):
    async with session_factory() as session, session.begin():
        person, coordinator, case = await case_on_card_700(session)
        await case_view.close(context(session), coordinator, threads.At(700), [])
        case_id = case.id
    policy = RetentionPolicy(free_text_days=30)
    deps = caller_deps(session_factory, CIPHER)
    await retention_pass.run(deps, policy, now=NOW + timedelta(days=29))
    async with session_factory() as session:
        (message,) = await rows(session, CaseMessage)
        assert message.body_enc is not None  # not yet: the case closed 29 days ago
    await retention_pass.run(deps, policy, now=NOW + timedelta(days=31))
    async with session_factory() as session:
        (message,) = await rows(session, CaseMessage)
        assert message.body_enc is None and message.case_id == case_id


async def test_a_later_card_anchors_the_same_case_and_the_first_still_answers(session_factory):
    """A request for contact, then "not yet connected": one case, and a reply to either card
    reaches the person."""
    first, later = "match:1:card.contact_by_coordinators", "checkin:9:not_connected"
    async with session_factory() as session, session.begin():
        person = await make_person(session)
        ctx = context(session)
        await coordinators.post(ctx, Shown(text="arrange"), priority=20, dedupe_key=first)
        case = await cases.open_for(ctx, person, cases.FIRST_CONTACT, card_key=first)
        await sent(session, first, 700)
        await coordinators.post(ctx, Shown(text="not yet"), priority=20, dedupe_key=later)
        again = await cases.open_for(ctx, person, cases.NOT_CONNECTED, card_key=later)
        await sent(session, later, 720)
        assert again is case and case.reason == cases.FIRST_CONTACT
        assert await threads.case_of(ctx, threads.At(700)) is case
        assert await threads.case_of(ctx, threads.At(720)) is case
