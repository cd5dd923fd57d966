"""Case threads over real HTTP in a plain group (and, where the script is the same, in a
forum): a person writes outside a flow, confirms, and the coordinators answer by replying in
the group; /case, /close, reopening, a blocked person, a non-coordinator's reply, a supporter
writing to the program, and /forget."""

from __future__ import annotations

import pytest

from tests.support.case_threads import (
    GROUP,
    coordinators_group,
    crisis_mid_intake,
    ignored_and_audited,
    participant_outside_any_flow,
    reaches_the_person,
    rows,
    t,
)
from tests.support.journeys import Person

ON_CALL = 4242


async def test_a_person_and_the_coordinators_talk_through_a_case_thread(
    api, start_bot, bot_workdir
):
    coordinator = api.private_user(first_name="Dana")
    bystander = api.private_user(first_name="Kim")
    group = coordinators_group(api, coordinator)
    start_bot(coordinator_chat_id=str(GROUP))
    group.add_member(bystander, status="restricted")  # in the group, but not a coordinator
    person = await participant_outside_any_flow(api)

    # outside a flow: who will read it, and nothing passes on before the person says so
    await person.say("Could someone tell me how the group meetings work?")
    await person.expect("case.confirm")
    assert api.messages(GROUP) == []
    await person.press("case.send")
    await person.expect("case.sent", after=person.last_pressed)
    card = await api.wait_for_message(GROUP, contains="wrote to the coordinators", timeout=20)
    relayed = await api.wait_for_message(GROUP, contains="group meetings work", timeout=20)
    (pseudonym,) = rows(bot_workdir, "select pseudonym from people where id = 1")[0]
    assert pseudonym in card.text and pseudonym in relayed.text
    assert "Sam" not in card.text + relayed.text, "the group sees the case's pseudonym only"

    # a coordinator's reply to the relayed message reaches the person within 2 s
    said, answer = await reaches_the_person(
        api,
        person,
        coordinator.send_text("Hello Sam, we meet on Thursdays.", chat=group, reply_to=relayed),
        "we meet on Thursdays",
    )
    assert "Dana" not in answer.text

    # the person's answer reaches the thread, as a reply to its newest message
    await person.say("Thank you, I will come.")
    back = await api.wait_for_message(GROUP, contains="I will come", timeout=20)
    assert back.reply_to is not None and back.reply_to.message_id == said.message_id

    # someone the group does not count as a coordinator is ignored, and that is audited
    intruding = bystander.send_text("I can answer this one", chat=group, reply_to=relayed)
    await ignored_and_audited(api, bot_workdir, person, intruding)

    # /case in the thread shows what triage needs
    await coordinator.send_command("/case", chat=group)  # not a reply, no code: how to use it
    await api.wait_for_message(GROUP, contains=t("case.usage"), timeout=20)
    facts_asked = await coordinator.send_text("/case", chat=group, reply_to=back)
    assert facts_asked is not None
    facts = await api.wait_for_message(GROUP, contains=f"Case {pseudonym}: open", timeout=20)
    assert "participation: granted" in facts.text

    # /close tells the person kindly; their next message asks again, for a new case
    await coordinator.send_text("/close contacted", chat=group, reply_to=relayed)
    await api.wait_for_message(GROUP, contains=f"Case {pseudonym} closed", timeout=20)
    await person.expect("case.closed_told")
    await person.say("One more question, sorry")
    await person.expect_new("case.confirm")
    await person.press("case.send")
    await api.wait_for_message(GROUP, contains="One more question", timeout=20)
    statuses = rows(bot_workdir, "select status, outcome from cases order by id")
    assert statuses == [("closed", "contacted"), ("open", None)]
    stored = rows(bot_workdir, "select body_enc from case_messages")
    assert stored and not any("Thursdays" in (body or "") for (body,) in stored), "encrypted"

    # /forget erases what was said in the cases
    await person.command("/forget")
    await person.press("forget.yes")
    await person.expect("forget.done", after=person.last_pressed)
    assert rows(bot_workdir, "select count(*) from case_messages") == [(0,)]


@pytest.mark.parametrize("forum", [False, True], ids=["plain-group", "forum-topic"])
async def test_a_supporter_writes_to_the_program_and_a_blocked_one_is_reported(
    api, start_bot, bot_workdir, forum
):
    """The same in both modes: in a forum, a reply to the relayed message is in the case's
    topic, and the report comes there."""
    coordinator = api.private_user(user_id=ON_CALL, first_name="Dana")
    group = coordinators_group(api, coordinator, forum=forum)
    bot = start_bot(coordinator_chat_id=str(GROUP), coordinator_ids=str(ON_CALL))
    await api.wait_until(lambda: api.calls("getUpdates"), timeout=30)
    made = await bot.command("invite", "--expires", "2d")
    assert made.returncode == 0, made.stderr
    payload = made.stdout.strip().splitlines()[-1].split("?start=", 1)[1]
    supporter = Person(api, api.private_user(first_name="Robin"))
    await supporter.command("/start", payload)
    await supporter.expect("invite.welcome")
    await supporter.fill_supporter_profile()
    await supporter.expect("supporter.joined", after=supporter.last_pressed, when="")

    await supporter.say("I would like to talk about my first match")
    await supporter.expect_new("case.confirm")
    await supporter.press("case.send")
    relayed = await api.wait_for_message(GROUP, contains="my first match", timeout=20)
    assert f"({t('role.supporter')})" in relayed.text

    api.block_user(supporter.user)
    await coordinator.send_text("Of course, when suits you?", chat=group, reply_to=relayed)
    report = await api.wait_for_message(GROUP, contains="Not delivered", timeout=20)
    assert (relayed.topic is not None) == forum, "in a forum, the case's own topic"
    assert report.reply_to is not None and report.topic is relayed.topic
    audited = rows(bot_workdir, "select count(*) from audit_events where action like 'case.%'")
    assert audited[0][0] >= 4  # held, opened, relayed twice, not delivered


async def test_a_crisis_mid_intake_is_talked_through_in_its_case_thread_then_resumed(
    api, start_bot, bot_workdir
):
    coordinator = api.private_user(first_name="Dana")
    group = coordinators_group(api, coordinator)
    start_bot(coordinator_chat_id=str(GROUP))
    who_for = t("intake.who_for")

    # crisis mid-intake: the questions pause and the person is asked if they are safe
    person, mark, card = await crisis_mid_intake(api)

    # the answer is in the case thread, as a reply to the card, headed as the card now reads
    answer = await api.wait_for_message(
        GROUP, contains=t("card.safety.no"), after=card.message_id, timeout=20
    )
    assert answer.reply_to is not None and answer.reply_to.message_id == card.message_id
    critical = t("severity.critical")
    assert critical in answer.text.splitlines()[0]
    await api.wait_until(lambda: critical in card.text, timeout=20)
    await person.expect("crisis.coordinators_will_write", after=mark)
    await person.expect("crisis.resume.offer", after=mark)  # all the answer's reply is out

    # a coordinator replies to the answer: it reaches the person within 2 s
    mark = person.newest_id()
    said, _ = await reaches_the_person(
        api,
        person,
        coordinator.send_text("Is someone with you right now?", chat=group, reply_to=answer),
        "Is someone with you",
    )

    # the person writes back while the questions are paused: it reaches the thread
    await person.say("My sister is here with me.")
    back = await api.wait_for_message(GROUP, contains="My sister is here", timeout=20)
    assert back.reply_to is not None and back.reply_to.message_id == said.message_id
    await person.expect("case.passed_on", after=mark)
    assert sum(m.text.startswith(who_for) for m in api.messages(person.chat_id)) == 1

    # /close: the person is told, and offered to go back to where they were
    mark = person.newest_id()
    await coordinator.send_text("/close contacted", chat=group, reply_to=back)
    await api.wait_for_message(GROUP, contains=f"closed ({t('outcome.contacted')})", timeout=20)
    await person.expect("case.closed_told", after=mark)
    offer = await person.expect("crisis.resume.offer", after=mark)
    person.looks_at(offer)
    await person.press("crisis.resume.go")

    await person.expect("resume.continue", after=offer.message_id)
    await api.wait_until(
        lambda: sum(m.text.startswith(who_for) for m in api.messages(person.chat_id)) == 2,
        timeout=20,
    )
    statuses = rows(bot_workdir, "select status, outcome, reason from cases")
    assert statuses == [("closed", "contacted", "escalation")]
