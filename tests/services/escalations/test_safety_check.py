"""The crisis path that stops to listen: after a high or critical flag the questions pause, the
person is asked "Are you safe right now?", the answer reaches the coordinators and the card,
and only then are they offered to go back to the questions (optionally after the C-SSRS)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from peerbot.dialogs.inputs import Cancel, Press, Text
from peerbot.dialogs.policy import PolicyError, build_policy
from peerbot.services.cases import case_view, relay, threads
from peerbot.services.cases.relay import Written
from peerbot.services.conversations import journey
from peerbot.services.conversations.actions import ResumeChoice, SafetyAnswer
from peerbot.services.conversations.callback_data import decode
from peerbot.services.conversations.shown import EditPressed, Menu, Reply
from peerbot.services.escalations import safety, safety_check
from peerbot.services.escalations.safety import Said
from peerbot.storage.codes import new_pseudonym
from peerbot.storage.enums import (
    CaseDirection,
    ConversationStatus,
    EscalationEventKind,
    EscalationSeverity,
    EscalationStatus,
)
from peerbot.storage.models import (
    Answer,
    AuditEvent,
    Case,
    CaseMessage,
    Conversation,
    Escalation,
    EscalationEvent,
    OutboxMessage,
    Person,
)
from tests.support import supporter_steps
from tests.support.supporter_steps import CIPHER, GROUP, PROGRAM, Chat, rows

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CRISIS = "i have my pills saved up and im going to take them all tonight"
NOT_ALIVE = "I don't want to be alive anymore"  # a high flag
STRUGGLING = "after every session I feel empty and exhausted"  # a medium flag


async def mid_intake(session_factory, telegram_id: int = 501) -> Chat:
    """Consent given, the intake's first question answered: asked who the support is for."""
    chat = Chat(session_factory, telegram_id)
    await chat.start(NOW)
    for step in ("about_program", "about_contact", "about_privacy"):
        await chat.send(NOW, Press(step, "continue"))
    for step in ("participation", "share_with_supporter", "evaluation"):
        await chat.send(NOW, Press(step, "yes"))
    await chat.answer(NOW, "topics", [3])
    return chat


def texts_of(reply: Reply) -> list[str]:
    """The text keys a reply shows, in order; any country's crisis resources as one key."""
    keys = []
    for item in reply.items:
        view = item.view if isinstance(item, EditPressed) else item
        key = getattr(view, "key", None) or getattr(view, "prompt_key", None)
        if key:
            keys.append("crisis.resources" if key.startswith("crisis.resources") else key)
    return keys


def safety_buttons(reply: Reply) -> dict[str, SafetyAnswer]:
    [menu] = [item for item in reply.items if isinstance(item, Menu)]
    assert menu.key == "crisis.are_you_safe"
    return {button.data.answer: button.data for row in menu.buttons for button in row}


def resume_buttons(reply: Reply) -> dict[bool, ResumeChoice]:
    [menu] = [item for item in reply.items if isinstance(item, Menu)]
    assert menu.key == "crisis.resume.offer"
    return {button.data.go: button.data for row in menu.buttons for button in row}


async def the_escalation(session_factory) -> Escalation:
    [escalation] = await rows(session_factory, Escalation)
    return escalation


async def card_sent(session_factory, escalation_id: int, telegram_message_id: int = 77) -> None:
    """The sender delivered the escalation's card to the group as this message."""
    async with session_factory() as session, session.begin():
        card = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"escalation:{escalation_id}:raised"
            )
        )
        assert card is not None
        card.status, card.telegram_message_id = "sent", telegram_message_id


async def flagged_with_card(session_factory, words: str = CRISIS):
    """Mid-intake, words that raise a flag: asked whether they are safe, the escalation's card
    delivered to the group as message 77. Returns the chat, the reply and the escalation."""
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text(words))
    escalation = await the_escalation(session_factory)
    await card_sent(session_factory, escalation.id)
    return chat, asked, escalation


async def test_an_urgent_flag_mid_intake_pauses_the_questions_and_asks_if_they_are_safe(
    session_factory,
):
    chat = await mid_intake(session_factory)

    reply = await chat.send(NOW, Text(CRISIS))

    keys = texts_of(reply)
    assert keys[:3] == ["crisis.heard", "crisis.resources", "redflag.coordinator_told"]
    assert keys[-1] == "crisis.are_you_safe"
    assert not any(key.startswith("intake.") for key in keys), "no next question"
    assert set(safety_buttons(reply)) == {"yes", "no", "unsure"}
    [conversation] = await rows(session_factory, Conversation)
    assert conversation.status == ConversationStatus.ACTIVE, "kept, not cancelled"
    assert conversation.step == "who_for"
    assert conversation.reminder_due_at is None, "no nudge to finish while paused"


async def test_a_medium_flag_gives_the_resources_and_the_questions_go_on(session_factory):
    chat = await mid_intake(session_factory)

    reply = await chat.send(NOW, Text(STRUGGLING))

    keys = texts_of(reply)
    assert "crisis.resources" in keys
    assert "crisis.are_you_safe" not in keys
    assert keys[-1] == "intake.who_for", "the question is asked again"
    escalation = await the_escalation(session_factory)
    assert escalation.severity == EscalationSeverity.MEDIUM


async def test_an_urgent_flag_outside_any_flow_also_asks_if_they_are_safe(session_factory):
    chat = Chat(session_factory, 502)

    reply = await chat.send(NOW, Text(CRISIS))

    assert texts_of(reply)[-1] == "crisis.are_you_safe"
    assert "not_understood" not in texts_of(reply)


async def test_no_makes_the_escalation_critical_tells_the_group_under_the_card_and_edits_it(
    session_factory,
):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text("I don't want to be alive anymore"))
    escalation = await the_escalation(session_factory)
    assert escalation.severity == EscalationSeverity.HIGH
    await card_sent(session_factory, escalation.id)
    later = NOW + timedelta(minutes=2)

    reply = await chat.call(later, journey.safety_answer, safety_buttons(asked)["no"])

    assert texts_of(reply) == [
        "crisis.are_you_safe.answered",
        "crisis.answered.no",
        "crisis.resources",
        "crisis.coordinators_will_write",
        "crisis.resume.offer",
    ]
    escalation = await the_escalation(session_factory)
    assert escalation.severity == EscalationSeverity.CRITICAL
    reraise = PROGRAM.policy.escalations.reraise_after(EscalationSeverity.CRITICAL)
    assert escalation.next_reminder_at == later + reraise, "chased at the critical pace"
    events = await rows(session_factory, EscalationEvent)
    assert [e.kind for e in events if e.kind != EscalationEventKind.RAISED] == [
        EscalationEventKind.NOT_SAFE
    ]
    assert all(e.note_enc is None for e in events), "no free text"
    audits = await rows(session_factory, AuditEvent)
    answered = [a for a in audits if a.action == "escalation.safety_answered"]
    assert [a.details["answer"] for a in answered] == ["no"]
    group = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    [case] = await rows(session_factory, Case)
    in_thread = f"case:{case.id}:note:escalation:{escalation.id}:safety:no"
    told = [r for r in group if r.dedupe_key == in_thread]
    assert len(told) == 1, "in the person's case thread"
    heading = PROGRAM.texts.get(
        "card.case_heading", "en", case=escalation_case(group), severity="CRITICAL"
    )
    assert told[0].payload["text"].startswith(heading)
    assert told[0].payload["reply_parameters"]["message_id"] == 77, "an answer to the card"
    [edit] = [r for r in group if r.method == "editMessageText"]
    assert edit.payload["message_id"] == 77
    assert "CRITICAL" in edit.payload["text"]
    assert PROGRAM.texts.get("card.safety.no", "en") in edit.payload["text"]


def escalation_case(group_rows: list[OutboxMessage]) -> str:
    """The case's pseudonym as the first card shows it."""
    card = next(r for r in group_rows if (r.dedupe_key or "").endswith(":raised"))
    line = next(x for x in card.payload["text"].splitlines() if x.startswith("Case: "))
    return line.removeprefix("Case: ").split(" ")[0]


async def test_not_sure_is_treated_as_a_no(session_factory):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text("I don't want to be alive anymore"))

    reply = await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["unsure"])

    assert "crisis.resources" in texts_of(reply)
    escalation = await the_escalation(session_factory)
    assert escalation.severity == EscalationSeverity.CRITICAL
    kinds = [e.kind for e in await rows(session_factory, EscalationEvent)]
    assert EscalationEventKind.SAFETY_UNSURE in kinds


async def test_yes_keeps_the_severity_and_still_tells_the_coordinators(session_factory):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text("I don't want to be alive anymore"))

    reply = await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["yes"])

    assert "crisis.resources" not in texts_of(reply)
    assert "crisis.coordinators_will_write" in texts_of(reply)
    escalation = await the_escalation(session_factory)
    assert escalation.severity == EscalationSeverity.HIGH
    assert escalation.status == EscalationStatus.OPEN, "a coordinator still gets in touch"
    group = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    assert any(
        PROGRAM.texts.get("card.safety.yes", "en") in r.payload.get("text", "") for r in group
    )


async def test_a_second_press_on_an_answered_question_gets_a_kind_notice(session_factory):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text(CRISIS))
    buttons = safety_buttons(asked)
    await chat.call(NOW, journey.safety_answer, buttons["yes"])

    reply = await chat.call(NOW, journey.safety_answer, buttons["no"])

    assert "crisis.already_answered" in texts_of(reply)
    kinds = [e.kind for e in await rows(session_factory, EscalationEvent)]
    assert kinds.count(EscalationEventKind.SAFE) == 1
    assert EscalationEventKind.NOT_SAFE not in kinds
    assert (await the_escalation(session_factory)).severity == EscalationSeverity.CRITICAL


async def test_a_safety_button_from_another_chat_changes_nothing(session_factory):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text("I don't want to be alive anymore"))
    someone_else = Chat(session_factory, 999)

    reply = await someone_else.call(NOW, journey.safety_answer, safety_buttons(asked)["no"])

    assert "crisis.unknown_answer" in texts_of(reply)
    assert (await the_escalation(session_factory)).severity == EscalationSeverity.HIGH


async def test_while_paused_the_questions_wait_until_they_choose_to_go_back(session_factory):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text(CRISIS))

    before = await chat.send(NOW, Text("hello?"))
    assert texts_of(before) == ["case.passed_on", "crisis.are_you_safe"], "relayed, asked again"
    pressed_too_soon = await chat.send(NOW, Press("who_for", 0))
    assert texts_of(pressed_too_soon) == ["crisis.paused", "crisis.are_you_safe"]
    too_soon = await chat.call(NOW, journey.resume)
    assert texts_of(too_soon) == ["crisis.are_you_safe"], "/continue waits for the answer"

    answered = await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["yes"])
    assert texts_of(answered)[-1] == "crisis.resume.offer"
    pressed_old_button = await chat.send(NOW, Press("who_for", 0))
    assert texts_of(pressed_old_button) == ["crisis.resume.offer"]
    not_now = await chat.call(NOW, journey.resume_choice, resume_buttons(answered)[False])
    assert texts_of(not_now) == ["crisis.resume.not_now"]

    back = await chat.call(NOW, journey.resume_choice, resume_buttons(answered)[True])

    assert texts_of(back) == ["resume.continue", "intake.who_for"], "the same question again"
    going_on = await chat.answer(NOW, "who_for", 0)
    assert texts_of(going_on)[-1] == "intake.support_kind"


async def test_continue_goes_back_to_the_question_they_were_on(session_factory):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text(CRISIS))
    await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["no"])

    back = await chat.call(NOW, journey.resume)

    assert texts_of(back) == ["resume.continue", "intake.who_for"]


async def test_cancel_still_cancels_a_paused_flow(session_factory):
    chat = await mid_intake(session_factory)
    await chat.send(NOW, Text(CRISIS))

    await chat.send(NOW, Cancel())

    [conversation] = await rows(session_factory, Conversation)
    assert conversation.status == ConversationStatus.CANCELLED
    assert len(await rows(session_factory, Escalation)) == 1, "the flag stays"


async def test_words_while_paused_reach_the_case_thread_asking_again_until_answered(
    session_factory,
):
    chat, asked, escalation = await flagged_with_card(session_factory)

    written = await chat.send(NOW, Text("my sister is with me now"))

    assert texts_of(written) == ["case.passed_on", "crisis.are_you_safe"]
    [message] = await rows(session_factory, CaseMessage)
    assert message.direction == CaseDirection.TO_COORDINATORS
    assert CIPHER.decrypt(message.body_enc) == "my sister is with me now"
    group = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    [relayed] = [r for r in group if "my sister is with me now" in r.payload.get("text", "")]
    assert relayed.payload["reply_parameters"]["message_id"] == 77, "in the card's thread"

    await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["yes"])
    later = await chat.send(NOW, Text("thank you"))

    assert texts_of(later) == [], "relayed; nothing asked again, no offer on every message"
    assert len(await rows(session_factory, CaseMessage)) == 2
    [conversation] = await rows(session_factory, Conversation)
    assert conversation.step == "who_for", "still paused where they stopped"


async def test_words_that_raise_a_flag_while_paused_are_not_relayed_and_they_hear_we_know(
    session_factory,
):
    chat = await mid_intake(session_factory)
    await chat.send(NOW, Text(CRISIS))

    medium = await chat.send(NOW, Text(STRUGGLING))

    keys = texts_of(medium)
    assert keys == ["crisis.resources", "redflag.coordinator_told", "crisis.are_you_safe"]
    assert await rows(session_factory, CaseMessage) == [], "the card stands for them"
    assert len(await rows(session_factory, Escalation)) == 2

    urgent = await chat.send(NOW, Text("I don't want to be alive anymore"))

    assert "redflag.coordinator_told" in texts_of(urgent)
    assert texts_of(urgent)[-1] == "crisis.are_you_safe"
    assert await rows(session_factory, CaseMessage) == []


async def make_coordinator(session_factory) -> Person:
    async with session_factory() as session, session.begin():
        coordinator = Person(telegram_user_id=9001, pseudonym=new_pseudonym())
        session.add(coordinator)
    return coordinator


async def test_the_answer_is_in_the_thread_from_the_first_commit_and_a_reply_to_it_reaches_them(
    session_factory,
):
    chat, asked, escalation = await flagged_with_card(session_factory, NOT_ALIVE)
    coordinator = await make_coordinator(session_factory)

    async with session_factory() as session, session.begin():  # the safety net's transaction
        said = Said(None, None, safety=safety_buttons(asked)["no"])
        screened = await safety.raise_first(
            supporter_steps.context(session, NOW), await chat.who(session), said
        )
    assert screened.safety_answered == escalation.id

    group = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    [told] = [r for r in group if (r.dedupe_key or "").endswith(":safety:no")]
    [edit] = [r for r in group if r.method == "editMessageText"]
    critical = PROGRAM.texts.get("severity.critical", "en")
    assert critical in told.payload["text"].splitlines()[0], "the case header: critical"
    assert critical in edit.payload["text"], "the card says the same"
    assert told.payload["reply_parameters"]["message_id"] == 77
    async with session_factory() as session, session.begin():
        row = await session.get(OutboxMessage, told.id)
        assert row is not None
        row.status, row.telegram_message_id = "sent", 78

    async with session_factory() as session, session.begin():
        ctx = supporter_steps.context(session, NOW)
        answer = Written.words("We are here with you. Can we call?", 79)
        assert await relay.from_coordinator(ctx, coordinator, answer, threads.At(78)) is None

    to_person = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == 501)
    [reached] = [r for r in to_person if "Can we call?" in r.payload.get("text", "")]
    assert reached.payload["text"].startswith(PROGRAM.texts.get("case.from_coordinators", "en"))


async def test_a_no_after_the_escalation_was_resolved_is_headed_critical_like_its_new_card(
    session_factory,
):
    chat, asked, escalation = await flagged_with_card(session_factory, NOT_ALIVE)
    async with session_factory() as session, session.begin():
        resolved = await session.get(Escalation, escalation.id)
        assert resolved is not None
        resolved.status = EscalationStatus.RESOLVED

    await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["no"])

    raised_again = [e for e in await rows(session_factory, Escalation) if e.id != escalation.id]
    assert [e.severity for e in raised_again] == [EscalationSeverity.CRITICAL]
    group = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    [told] = [r for r in group if (r.dedupe_key or "").endswith(":safety:no")]
    critical = PROGRAM.texts.get("severity.critical", "en")
    assert critical in told.payload["text"].splitlines()[0], "the case is critical again"


async def test_closing_the_case_tells_them_and_offers_to_go_back_to_the_paused_questions(
    session_factory,
):
    chat, asked, escalation = await flagged_with_card(session_factory)
    await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["no"])
    coordinator = await make_coordinator(session_factory)
    mark = max(r.id for r in await rows(session_factory, OutboxMessage))

    async with session_factory() as session, session.begin():
        ctx = supporter_steps.context(session, NOW)
        closed = await case_view.close(ctx, coordinator, threads.At(77), ["contacted"])
    assert closed.items[0].key == "case.closed"  # type: ignore[union-attr]

    told = await rows(
        session_factory, OutboxMessage, OutboxMessage.chat_id == 501, OutboxMessage.id > mark
    )
    told.sort(key=lambda r: r.id)
    assert [r.payload["text"] for r in told] == [
        PROGRAM.texts.get("case.closed_told", "en"),
        PROGRAM.texts.get("crisis.resume.offer", "en"),
    ]
    [[go], [later]] = told[1].payload["reply_markup"]["inline_keyboard"]
    assert go["text"] == PROGRAM.texts.get("crisis.resume.go", "en")
    pressed = decode(go["callback_data"])
    assert isinstance(pressed, ResumeChoice) and pressed.go

    back = await chat.call(NOW, journey.resume_choice, pressed)

    assert texts_of(back) == ["resume.continue", "intake.who_for"]


def with_screener():
    crisis = PROGRAM.policy.crisis.model_copy(update={"screen": "cssrs"})
    return dataclasses.replace(
        PROGRAM, policy=PROGRAM.policy.model_copy(update={"crisis": crisis})
    )


@pytest.fixture
def screener_on(monkeypatch):
    monkeypatch.setattr(supporter_steps, "PROGRAM", with_screener())


async def test_the_screener_follows_the_answer_with_its_skip_logic_then_the_offer(
    session_factory, screener_on
):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text("I don't want to be alive anymore"))
    reply = await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["yes"])
    assert texts_of(reply)[-2:] == ["cssrs.intro", "cssrs.q1"]

    yes, no = 0, 1
    assert texts_of(await chat.send(NOW, Press("q1", yes)))[-1] == "cssrs.q2"
    assert texts_of(await chat.send(NOW, Press("q2", no)))[-1] == "cssrs.q6", "no to 2: to 6"
    assert texts_of(await chat.send(NOW, Press("q6", yes)))[-1] == "cssrs.q6_recent"
    done = await chat.send(NOW, Press("q6_recent", no))

    assert "cssrs.thanks" in texts_of(done)
    assert texts_of(done)[-1] == "crisis.resume.offer"
    escalation = await the_escalation(session_factory)
    assert escalation.severity == EscalationSeverity.HIGH, "moderate risk keeps high"
    answers = await rows(session_factory, Answer, Answer.flow == "cssrs")
    assert {a.question: a.value for a in answers} == {
        "q1": "yes",
        "q2": "no",
        "q6": "yes",
        "q6_recent": "no",
    }
    group = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    [screened] = [
        r for r in group if (r.dedupe_key or "").endswith(f"escalation:{escalation.id}:screened")
    ]
    assert PROGRAM.texts.get("card.cssrs.risk.moderate", "en") in screened.payload["text"]
    back = await chat.call(NOW, journey.resume)
    assert texts_of(back) == ["resume.continue", "intake.who_for"]


async def test_every_screener_question_can_be_skipped_and_high_risk_makes_it_critical(
    session_factory, screener_on
):
    chat = await mid_intake(session_factory)
    asked = await chat.send(NOW, Text("I don't want to be alive anymore"))
    await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["yes"])
    yes = 0

    await chat.send(NOW, Press("q1", "skip"))
    await chat.send(NOW, Press("q2", yes))
    await chat.send(NOW, Press("q3", "skip"))
    await chat.send(NOW, Press("q4", yes))
    await chat.send(NOW, Press("q5", "skip"))
    done = await chat.send(NOW, Press("q6", "skip"))

    assert "cssrs.thanks" in texts_of(done)
    escalation = await the_escalation(session_factory)
    assert escalation.severity == EscalationSeverity.CRITICAL, "yes to 4: high risk"
    event = next(
        e
        for e in await rows(session_factory, EscalationEvent)
        if e.kind == EscalationEventKind.SCREENED
    )
    # A Fernet token (version byte 0x80), not the answers: a two-letter search such as "q4"
    # can turn up by chance in random ciphertext.
    assert event.note_enc is not None and event.note_enc.startswith("gAAAAA"), "kept encrypted"


@pytest.mark.parametrize(
    ("given", "risk"),
    [
        ({}, "none"),
        ({"q1": "yes", "q2": "no", "q6": "no"}, "low"),
        ({"q2": "yes", "q3": "yes", "q4": "no", "q5": "no"}, "moderate"),
        ({"q6": "yes", "q6_recent": "no"}, "moderate"),
        ({"q2": "yes", "q5": "yes"}, "high"),
        ({"q6": "yes", "q6_recent": "yes"}, "high"),
        ({"q6": "yes"}, "high"),  # "within three months?" skipped: the urgent reading
    ],
)
def test_the_screeners_own_triage(given, risk):
    assert safety_check.screener_risk(given) == risk


async def test_no_screener_without_a_record_to_keep_answers_on(session_factory, screener_on):
    chat = Chat(session_factory, 503)  # wrote before consenting to anything
    asked = await chat.send(NOW, Text(CRISIS))

    reply = await chat.call(NOW, journey.safety_answer, safety_buttons(asked)["no"])

    assert "cssrs.q1" not in texts_of(reply)
    assert isinstance(reply.items[0], EditPressed)


def test_a_bad_screen_value_is_a_start_up_error_naming_file_and_field():
    with pytest.raises(PolicyError) as raised:
        build_policy([("program/program.yaml", {"crisis": {"screen": "phq9"}})])
    assert "program/program.yaml: crisis.screen" in str(raised.value)
    assert "'phq9'" in str(raised.value)
