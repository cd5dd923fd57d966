"""`peerbot check-config --online`: what Telegram says about the bot, its group and the
coordinators, one line each, and an exit status that is not 0 when a card could not reach a
person (checked against the fake Bot API, in-process and as the operator's command)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from peerbot.cli.check import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_UNREACHABLE,
    Report,
    add_online_findings,
    offline_report,
)
from peerbot.config import Settings, load_settings
from peerbot.emulator.fake_telegram import FakeBotApi
from peerbot.storage.crypto import FieldCipher
from tests.support import cli

TOKEN = "424242:TEST-token_abc"
GROUP = -1001234567890
KEY = FieldCipher.generate_key()


def settings_for(api_url: str, tmp_path: Path, **values: object) -> Settings:
    return load_settings(
        bot_token=TOKEN,
        telegram_api_url=api_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'peerbot.sqlite3'}",
        encryption_key=KEY,
        **values,
    )


async def online(settings: Settings) -> Report:
    report = offline_report(settings)
    await add_online_findings(settings, report)
    return report


def by_check(report: Report) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    for finding in report.findings:
        lines.setdefault(finding.check, []).append(f"{finding.mark} {finding.line}")
    return lines


async def test_a_group_the_bot_posts_in_and_coordinators_who_started_it_pass(api, tmp_path):
    dana = api.private_user(first_name="Dana")
    await dana.send_command("/start")
    api.group(chat_id=GROUP, title="Coordinators", members=[dana])

    report = await online(settings_for(api.url, tmp_path, coordinator_chat_id=GROUP,
                                       coordinator_ids=frozenset({dana.id})))  # fmt: skip

    assert report.status == EXIT_OK, report.as_text()
    lines = by_check(report)
    assert lines["bot"] == ["ok bot @peerbot_test_bot (id 424242)"]
    assert lines["privacy"][0].startswith("ok privacy mode on")
    assert lines["group"] == [f"ok group {GROUP} found: a supergroup, 'Coordinators'"]
    assert lines["membership"] == ["ok the bot is a member of the group and can post there"]
    assert lines["cases"][0].startswith("ok cases: replies to the case card")
    assert lines["coordinator"] == [
        f"ok coordinator {dana.id}: can be written to privately; in the group: member"
    ]
    assert lines["webhook"] == ["ok webhook not set (long polling), 1 update pending"]
    assert len(report.as_text().splitlines()) == len(report.findings), "one line each"


async def test_a_coordinator_who_never_started_the_bot_is_named_and_fails_without_a_group(
    api, tmp_path
):
    ana = api.private_user(first_name="Ana")
    await ana.send_command("/start")
    ben = api.private_user(first_name="Ben", started=False)
    ids = frozenset({ana.id, ben.id})

    without_group = await online(
        settings_for(api.url, tmp_path, no_coordinator_group=True, coordinator_ids=ids)
    )

    assert without_group.status == EXIT_UNREACHABLE
    assert by_check(without_group)["coordinator"] == [
        f"ok coordinator {ana.id}: can be written to privately",
        f"FAIL coordinator {ben.id}: cannot be written to privately, has not started the "
        "bot: they send /start to @peerbot_test_bot once",
    ]
    assert api.messages(ana) == [], "the probe (typing) leaves no message"

    api.group(chat_id=GROUP, members=[ana, ben])
    with_group = await online(
        settings_for(api.url, tmp_path, coordinator_chat_id=GROUP, coordinator_ids=ids)
    )
    assert with_group.status == EXIT_OK, "the group still gets every card"
    assert by_check(with_group)["coordinator"][1].startswith(f"warning coordinator {ben.id}")

    await ben.send_command("/start")
    assert (await online(settings_for(api.url, tmp_path, no_coordinator_group=True,
                                      coordinator_ids=ids))).status == EXIT_OK  # fmt: skip


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("not_found", f"FAIL group {GROUP} not reachable: Chat not found"),
        ("kicked", f"FAIL group {GROUP} not reachable: Forbidden: bot was kicked from the group"),
        ("restricted", "FAIL the bot is restricted in the group and cannot post there"),
    ],
)
async def test_a_group_the_bot_cannot_post_in_fails(api, tmp_path, how, expected):
    admin = api.private_user(first_name="Ada")
    if how != "not_found":
        group = api.group(chat_id=GROUP, admins=[admin])
        if how == "kicked":
            api.remove_bot(group, by=admin)
        else:
            group.bot_status = "restricted"  # getChatMember answers; a send would not

    report = await online(settings_for(api.url, tmp_path, coordinator_chat_id=GROUP))

    assert report.status == EXIT_UNREACHABLE
    failed = [f"{f.mark} {f.line}" for f in report.findings if f.mark == "FAIL"]
    assert len(failed) == 1 and failed[0].startswith(expected), failed


async def test_privacy_off_a_forum_and_a_webhook_with_an_error_are_reported(tmp_path):
    async with FakeBotApi(can_read_all_group_messages=True) as api:
        group = api.group(chat_id=GROUP, title="Desk", bot_status="administrator")
        group.names["is_forum"] = True  # a supergroup with topics, as getChat shows it
        await api.answer("setWebhook", {"url": "https://bot.example.org/telegram"})

        report = await online(settings_for(api.url, tmp_path, coordinator_chat_id=GROUP))

    lines = by_check(report)
    assert report.status == EXIT_OK, "none of these stops a card"
    assert lines["privacy"][0].startswith("warning privacy mode off")
    assert lines["group"] == [f"ok group {GROUP} found: a forum, 'Desk'"]
    assert lines["membership"] == [
        "ok the bot is an administrator of the group and can post there"
    ]
    assert lines["cases"][0].startswith("ok cases: forum topics")
    assert lines["webhook"][0].startswith(
        "warning webhook set to https://bot.example.org/telegram, 0 updates pending"
    )
    facts = json.loads(report.as_json())
    webhook = next(c for c in facts["checks"] if c["check"] == "webhook")
    assert webhook["facts"]["url"] == "https://bot.example.org/telegram"


TOPICS_WHY = "(one topic per case, written in without replying)"


@pytest.mark.parametrize(
    ("group_id", "forum", "bot_status", "bot_rights", "line", "allows"),
    [
        (GROUP, False, "member", {},
         "cases: replies to the case card; for forum topics, turn on topics in the group's "
         'settings and make the bot an administrator with "Manage topics" ' + TOPICS_WHY,
         "card_replies"),
        (-4001234567, False, "administrator", {},
         "cases: replies to the case card; for forum topics, turn on topics in the group's "
         "settings (a basic group then gets a new id) " + TOPICS_WHY,
         "card_replies"),
        (GROUP, True, "member", {},
         "cases: replies to the case card; for forum topics, make the bot an administrator "
         'with "Manage topics" ' + TOPICS_WHY,
         "card_replies"),
        (GROUP, True, "administrator", {"can_manage_topics": False},
         "cases: replies to the case card; for forum topics, give the bot the administrator "
         'right "Manage topics" ' + TOPICS_WHY,
         "card_replies"),
        (GROUP, True, "administrator", {},
         "cases: forum topics (the group has topics and the bot may manage them: one topic "
         "per case, written in without replying)",
         "forum_topics"),
    ],
    ids=["plain-group", "basic-group-admin", "forum-bot-member", "forum-without-right",
         "forum-with-right"],
)  # fmt: skip
async def test_the_case_mode_the_group_allows_and_what_would_allow_topics(
    api, tmp_path, group_id, forum, bot_status, bot_rights, line, allows
):
    api.group(chat_id=group_id, title="Desk", bot_status=bot_status, forum=forum,
              bot_rights=bot_rights)  # fmt: skip

    report = await online(settings_for(api.url, tmp_path, coordinator_chat_id=group_id))

    assert report.status == EXIT_OK, "every group allows replies to the card"
    assert by_check(report)["cases"] == [f"ok {line}"]
    cases = next(c for c in json.loads(report.as_json())["checks"] if c["check"] == "cases")
    assert cases["facts"] == {
        "allows": allows,
        "uses": allows,
        "forum": forum,
        "can_manage_topics": bot_status == "administrator" and not bot_rights,
    }


async def test_no_case_line_when_the_bot_cannot_post_in_the_group(api, tmp_path):
    group = api.group(chat_id=GROUP, forum=True, bot_status="administrator")
    group.bot_status = "restricted"

    report = await online(settings_for(api.url, tmp_path, coordinator_chat_id=GROUP))

    assert report.status == EXIT_UNREACHABLE
    assert "cases" not in by_check(report), "the membership line already says what to fix"


async def test_a_refused_token_and_an_unreachable_telegram_are_one_line_each(api, tmp_path):
    api.fail_next(1, status=401, methods="getMe", description="Unauthorized")
    api.group(chat_id=GROUP)
    refused = await online(settings_for(api.url, tmp_path, coordinator_chat_id=GROUP))
    assert refused.status == EXIT_CONFIG
    assert refused.findings[-1].line.startswith("Telegram refused PEERBOT_BOT_TOKEN")

    unreachable = await online(
        settings_for("http://127.0.0.1:9", tmp_path, coordinator_chat_id=GROUP)
    )
    assert unreachable.status == EXIT_UNREACHABLE
    assert [f.check for f in unreachable.findings][-1] == "telegram"
    assert unreachable.findings[-1].line.startswith(
        "Telegram unreachable at http://127.0.0.1:9 (NetworkError)"
    )


async def test_the_operator_command_prints_json_and_exits_non_zero(api, tmp_path):
    ben = api.private_user(first_name="Ben", started=False)
    settings = {
        "PEERBOT_BOT_TOKEN": TOKEN,
        "PEERBOT_TELEGRAM_API_URL": api.url,
        "PEERBOT_ENCRYPTION_KEY": KEY,
        "PEERBOT_NO_COORDINATOR_GROUP": "true",
        "PEERBOT_COORDINATOR_IDS": str(ben.id),
    }

    text = await asyncio.to_thread(
        cli.run_peerbot, "check-config", "--online", workdir=tmp_path, settings=settings
    )
    as_json = await asyncio.to_thread(
        cli.run_peerbot, "check-config", "--online", "--json", workdir=tmp_path,
        settings=settings,
    )  # fmt: skip

    assert text.returncode == EXIT_UNREACHABLE, text.stderr
    assert f"FAIL    coordinator {ben.id}: cannot be written to privately" in text.stdout
    assert as_json.returncode == EXIT_UNREACHABLE
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["exit_status"] == EXIT_UNREACHABLE
    checks = {c["check"]: c for c in report["checks"]}
    assert checks["cards"]["facts"] == {"mode": "no_group", "coordinators": 1}
    assert checks["coordinator"]["facts"]["can_write"] is False
    assert checks["bot"]["facts"]["username"] == "peerbot_test_bot"
    assert len(text.stdout.splitlines()) == len(report["checks"]), "the same facts"


def test_set_up_mode_fails_offline_in_text_and_json(tmp_path):
    settings = {"PEERBOT_BOT_TOKEN": TOKEN, "PEERBOT_ENCRYPTION_KEY": KEY}

    as_json = cli.run_peerbot("check-config", "--json", workdir=tmp_path, settings=settings)

    assert as_json.returncode == EXIT_CONFIG
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    cards = next(c for c in report["checks"] if c["check"] == "cards")
    assert cards["facts"] == {"mode": "setup"} and cards["status"] == "FAIL"
