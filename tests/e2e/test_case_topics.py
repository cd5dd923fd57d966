"""Case threads over real HTTP in a forum supergroup: each case is a topic named by its
pseudonym and severity; coordinators write in it (no reply needed) and photos pass both ways;
/case and /close in the topic; the person's next message reopens it; a blocked person; a
non-coordinator writing in a topic; a basic group migrated to a forum."""

from __future__ import annotations

from tests.support import case_threads as story
from tests.support.case_threads import GROUP, rows, t


def case_topic(group, pseudonym: str):
    """The topic the bot opened for this case, if any."""
    return next((topic for topic in group.topics.values() if pseudonym in topic.name), None)


def pseudonym_of(workdir, person_id: int = 1) -> str:
    return rows(workdir, f"select pseudonym from people where id = {person_id}")[0][0]


async def test_a_crisis_is_talked_through_in_its_own_topic_then_closed_and_reopened(
    api, start_bot, bot_workdir
):
    coordinator = api.private_user(first_name="Dana")
    bystander = api.private_user(first_name="Kim")
    group = story.coordinators_group(api, coordinator, forum=True)
    group.add_member(bystander, status="restricted")  # in the group, but not a coordinator
    start_bot(coordinator_chat_id=str(GROUP))

    # crisis mid-intake: the "are you safe" answer is posted in the case's own topic, named
    # by the pseudonym and the severity the answer raised (never a name)
    person, mark, card = await story.crisis_mid_intake(api)
    pseudonym = pseudonym_of(bot_workdir)
    critical = t("severity.critical")
    await api.wait_until(
        lambda: (topic := case_topic(group, pseudonym)) is not None and critical in topic.name,
        timeout=20,
    )
    topic = case_topic(group, pseudonym)
    assert topic.name == t("case.topic_name", case=pseudonym, severity=critical)
    in_topic = topic.thread_id
    await api.wait_for_message(GROUP, contains=t("card.safety.no"), thread_id=in_topic, timeout=20)
    assert card.thread_id != in_topic, "the escalation card stays where cards are claimed"
    first = api.messages(GROUP, thread_id=in_topic)[0]
    assert first.text.startswith(f"💬 {pseudonym}"), "the case's own card opens its topic"
    await person.expect("crisis.coordinators_will_write", after=mark)
    await person.expect("crisis.resume.offer", after=mark)  # all the answer's reply is out

    # a coordinator writes in the topic, no reply needed: it reaches the person within 2 s
    writing = coordinator.send_text("We are here with you.", chat=group, thread_id=in_topic)
    await story.reaches_the_person(api, person, writing, "We are here with you")

    # the person's answer reaches the topic
    await person.say("My sister is here with me.")
    await api.wait_for_message(GROUP, contains="My sister is here", thread_id=in_topic, timeout=20)

    # a photo from a coordinator reaches the person, headed as from the coordinators
    mark = person.newest_id()
    await coordinator.send_media(
        "photo", "The clinic's opening hours", chat=group, thread_id=in_topic
    )
    photo = await api.wait_for_message(
        person.chat_id, contains="opening hours", timeout=20, after=mark
    )
    assert "photo" in photo.attachment
    assert photo.caption.startswith(t("case.from_coordinators"))

    # someone the group does not count as a coordinator is ignored, and that is audited
    intruding = bystander.send_text("I can answer this one", chat=group, thread_id=in_topic)
    await story.ignored_and_audited(api, bot_workdir, person, intruding)

    # /case in the topic shows that case, in the topic
    await coordinator.send_command("/case", chat=group, thread_id=in_topic)
    facts = await api.wait_for_message(
        GROUP, contains=f"Case {pseudonym}: open", thread_id=in_topic, timeout=20
    )
    assert "participation: granted" in facts.text

    # /close closes the case and its topic; the person is told
    mark = person.newest_id()
    await coordinator.send_command("/close", "contacted", chat=group, thread_id=in_topic)
    await api.wait_for_message(GROUP, contains=f"Case {pseudonym} closed", timeout=20)
    await api.wait_until(lambda: topic.closed, timeout=20)
    await person.expect("case.closed_told", after=mark)

    # the person writes again: a new case, in the same topic, reopened
    await person.say("One more question, sorry")
    await person.expect_new("case.confirm")
    await person.press("case.send")
    await api.wait_for_message(GROUP, contains="One more question", thread_id=in_topic, timeout=20)
    assert not topic.closed
    assert [name for name in (t.name for t in group.topics.values()) if pseudonym in name] == [
        topic.name
    ], "one person, one topic"
    statuses = rows(bot_workdir, "select status, thread_id from cases order by id")
    assert statuses == [("closed", in_topic), ("open", in_topic)]

    # a person who blocked the bot: the coordinator's message is reported in the topic
    api.block_user(person.user)
    await coordinator.send_text("Are you still there?", chat=group, thread_id=in_topic)
    await api.wait_for_message(GROUP, contains="Not delivered", thread_id=in_topic, timeout=20)


async def test_a_basic_group_migrated_to_a_forum_keeps_its_cases_and_opens_topics(
    api, start_bot, bot_workdir
):
    coordinator = api.private_user(first_name="Dana")
    basic = api.group(chat_id=-4001, members=[coordinator], bot_status="administrator")
    start_bot(coordinator_chat_id="-4001")
    person = await story.participant_outside_any_flow(api)

    await person.say("Hello, is anyone there?")
    await person.expect("case.confirm")
    await person.press("case.send")
    relayed = await api.wait_for_message(-4001, contains="anyone there", timeout=20)

    # the group becomes a forum supergroup: the bot follows it, and the case gets a topic
    forum = api.migrate_group(basic, GROUP, coordinator, forum=True)
    await api.wait_until(
        lambda: any(
            str(call.params.get("chat_id")) == str(GROUP) for call in api.calls("getChatMember")
        ),
        timeout=20,
    )  # the bot followed the group and looked at what it allows
    await person.say("Thanks, I wanted to ask about meetings")
    pseudonym = pseudonym_of(bot_workdir)
    await api.wait_until(lambda: case_topic(forum, pseudonym) is not None, timeout=20)
    topic = case_topic(forum, pseudonym)
    await api.wait_for_message(
        GROUP, contains="about meetings", thread_id=topic.thread_id, timeout=20
    )
    assert relayed.message_id  # the earlier part of the case stays where it was written

    # a voice note outside any flow reaches the topic too, as a copy under the case's header
    await person.user.send_media("voice", "listen please")
    voice = await api.wait_for_message(
        GROUP, contains="listen please", thread_id=topic.thread_id, timeout=20
    )
    assert "voice" in voice.attachment and pseudonym in voice.caption
