"""The program view over the fake Bot API: /stats for coordinators only, /audit of a real case."""

from __future__ import annotations

import re
import sqlite3

from tests.support.journeys import Person, catalog

GROUP = -1001234567890


def t(key: str, **values: object) -> str:
    return catalog().get(key, "en", **values)


def newest(api, chat_id: int) -> int:
    messages = api.messages(chat_id)
    return messages[-1].message_id if messages else 0


async def test_stats_answer_coordinators_only_and_audit_lists_a_cases_trail(
    api, start_bot, bot_workdir
):
    start_bot(coordinator_chat_id=str(GROUP))
    coordinator = api.private_user(first_name="Dana")
    outsider = api.private_user(first_name="Olli")
    group = api.group(chat_id=GROUP, members=[coordinator])
    group.add_member(outsider, "restricted")  # may write in the group, is not a coordinator
    participant = Person(api, api.private_user(first_name="Sam"))

    await participant.consent()
    await participant.intake()
    card = await api.wait_for_message(GROUP, contains="New request", timeout=20)
    found = re.search(r"R-[2-9A-Z]{6}", card.text)
    assert found is not None
    code = found.group()
    await participant.command("/mydata")
    await participant.expect("mydata.file_caption")

    # a coordinator in the group: the figures, in the group
    before = newest(api, GROUP)  # the weekly digest may have posted the summary already
    await coordinator.send_command("/stats", chat=group)
    stats = await api.wait_for_message(GROUP, contains=t("stats.title"), after=before, timeout=20)
    assert stats.entities, "sent as HTML: the headings are bold"
    assert f"{t('stats.requests_waiting')}: 1 · 1" in stats.text
    assert f"{t('stats.requests_new')}: 0 · 0" in stats.text
    assert f"{t('stats.active_matches')}: 0" in stats.text
    assert "Sam" not in stats.text and str(participant.user.id) not in stats.text

    # someone in the group who is not a coordinator: refused, kindly, in the group
    before = newest(api, GROUP)
    await outsider.send_command("/stats", chat=group)
    await api.wait_for_message(GROUP, contains=t("card.not_allowed"), after=before, timeout=20)

    # a participant asking privately: refused in their chat
    await participant.command("/stats")
    await participant.expect_new("card.not_allowed")

    # a coordinator asking privately: answered privately
    before_group = newest(api, GROUP)
    await coordinator.send_command("/stats")
    private = await api.wait_for_message(
        coordinator.chat_id, contains=t("stats.title"), timeout=20
    )
    assert f"{t('stats.requests_waiting')}: 1 · 1" in private.text

    # /audit of the real request: the participant's own look at their data
    await coordinator.send_command("/audit", code, chat=group)
    heading = t("audit.heading", case=code, count=1)
    trail = await api.wait_for_message(GROUP, contains=heading, after=before_group, timeout=20)
    assert trail.text.splitlines()[1].endswith("· person.exported")
    assert "Sam" not in trail.text and "Dana" not in trail.text
    asked_privately = [
        m
        for m in api.messages(GROUP)
        if m.message_id > before_group and m.text.startswith(t("stats.title"))
    ]
    assert asked_privately == [], "a private /stats is not answered in the group"

    await coordinator.send_command("/audit", chat=group)
    await api.wait_for_message(
        GROUP, contains=t("audit.usage"), after=trail.message_id, timeout=20
    )

    with sqlite3.connect(bot_workdir / "peerbot.sqlite3") as db:
        actions = [row[0] for row in db.execute("select action from audit_events order by id")]
    assert actions.count("stats.viewed") == 2
    assert actions.count("coordinator_action.refused") == 2
    assert actions.count("case.audited") == 1
