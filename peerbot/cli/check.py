"""`peerbot check-config [--online] [--json] [--heartbeat]`: will a card reach a person?

Offline it validates the settings and program data. Online it asks Telegram, with the token,
what the bot is, where it is and whom it may write to, one line each; the exit status is not
0 when anything found would stop a card reaching a person.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram import Bot, ChatFullInfo, ChatMember, User

    from peerbot.config import Settings
    from peerbot.program import ProgramData

EXIT_OK = 0
EXIT_UNREACHABLE = 1  # also: something online that would stop a card
EXIT_CONFIG = 2  # settings: no group and no alternative, no token, token refused
SETUP_SECTION = 'README, section "Setting up the bot"'
NO_GROUP = (
    "PEERBOT_COORDINATOR_CHAT_ID is not set: cards about new requests and red flags would "
    "reach no one. Add the bot to the coordinators' group (`peerbot run` tells the group its "
    "id) and set PEERBOT_COORDINATOR_CHAT_ID, or set PEERBOT_NO_COORDINATOR_GROUP=true and "
    f"PEERBOT_COORDINATOR_IDS to send every card privately (see the {SETUP_SECTION})."
)
POSTING = ("creator", "administrator", "member")
TOPICS_WHY = "one topic per case, written in without replying"


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, whether it is fine, and its facts.

    blocking: a failure that would stop a card reaching a person (exit status not 0)."""

    check: str
    ok: bool
    line: str
    blocking: bool = False
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def mark(self) -> str:
        if self.ok:
            return "ok"
        return "FAIL" if self.blocking else "warning"


@dataclass
class Report:
    """The findings in order, and the exit status they add up to."""

    findings: list[Finding] = field(default_factory=list)
    status: int = EXIT_OK

    def add(self, finding: Finding, *, status: int = EXIT_UNREACHABLE) -> None:
        self.findings.append(finding)
        if finding.blocking and not finding.ok and self.status == EXIT_OK:
            self.status = status

    def as_json(self) -> str:
        checks = [{**asdict(f), "status": f.mark} for f in self.findings]
        return json.dumps({"ok": self.status == EXIT_OK, "exit_status": self.status,
                           "checks": checks}, ensure_ascii=False)  # fmt: skip

    def as_text(self) -> str:
        return "".join(f"{f.mark:<7} {f.line}\n" for f in self.findings)


def add_arguments(check: argparse.ArgumentParser) -> None:
    """The check-config options."""
    check.add_argument(
        "--online",
        action="store_true",
        help="also ask Telegram (with the token): the bot, the coordinators' group and the "
        "bot's rights there, privacy mode, whether each coordinator has started the bot, "
        "the webhook",
    )
    check.add_argument(
        "--json", action="store_true", help="print one JSON object with the same facts"
    )
    check.add_argument(
        "--heartbeat",
        action="store_true",
        help="only check that a running `peerbot run` (long polling) wrote its heartbeat in "
        "the last 90 seconds (for a container healthcheck)",
    )


def heartbeat_finding(path: Path) -> Finding:
    """Fresh (written in the last 90 seconds) or not, as a check-config finding."""
    from peerbot.runtime import heartbeat

    stale_after = heartbeat.STALE_AFTER_SECONDS
    age = heartbeat.age_of(path)
    if age is None:
        return Finding(
            "heartbeat",
            False,
            f"no heartbeat at {path}: `peerbot run` (long polling) is not running here, or "
            "PEERBOT_HEARTBEAT_FILE differs",
            blocking=True,
            facts={"path": str(path), "age_seconds": None},
        )
    fresh = age <= stale_after
    line = f"heartbeat at {path} written {age:.0f} s ago"
    if not fresh:
        line += f" (more than {stale_after:.0f} s: the poller or the sender has stopped)"
    return Finding(
        "heartbeat", fresh, line, blocking=True,
        facts={"path": str(path), "age_seconds": round(age, 1)},
    )  # fmt: skip


def check_config(settings: Settings, args: argparse.Namespace) -> int:
    """Run the checks asked for, print the report, return the exit status."""
    if args.heartbeat:
        from peerbot.runtime import heartbeat

        finding = heartbeat_finding(heartbeat.path_for(settings))
        report = Report()
        report.add(finding)
    else:
        report = offline_report(settings)
        if args.online:  # in set-up mode too: the rest is worth knowing while setting up
            asyncio.run(add_online_findings(settings, report))
    _print(report, as_json=args.json)
    return report.status


def _print(report: Report, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(report.as_json() + "\n")
        return
    sys.stdout.write(report.as_text())
    failed = [f for f in report.findings if f.blocking and not f.ok]
    if failed:  # the first problem, where errors are looked for, as every command gives it
        first = failed[0]
        sys.stderr.write(f"peerbot: {NO_GROUP if first.check == 'cards' else first.line}\n")


def offline_report(settings: Settings) -> Report:
    """Settings and program data, without calling Telegram."""
    from peerbot.program import program_problems
    from peerbot.runtime.build import encryption_key

    problems = program_problems(settings.program_dir)
    report = Report()
    for line in problems.errors:  # each names its file, line and column
        report.add(Finding("program", False, line, blocking=True), status=EXIT_CONFIG)
    if problems.program is None:
        return report
    program = problems.program
    encryption_key(settings)
    database = settings.database_url.split("://", 1)[0]
    locales = list(program.texts.locales)
    report.add(
        Finding(
            "settings",
            True,
            f"configuration OK: database {database}, locales {', '.join(locales)}, "
            f"bot token {'set' if settings.bot_token else 'not set'}",
            facts={"database": database, "locales": locales,
                   "bot_token": settings.bot_token is not None},  # fmt: skip
        )
    )
    _missing_texts(program, report)
    report.add(_cards(settings), status=EXIT_CONFIG)
    return report


def _missing_texts(program: ProgramData, report: Report) -> None:
    """Texts each locale lacks: one warning line per locale."""
    from peerbot.program import missing_texts

    for locale, keys in sorted(missing_texts(program).items()):
        if keys:
            report.add(
                Finding(
                    "texts",
                    False,
                    f"texts missing in {locale}: {', '.join(sorted(keys))}",
                    facts={"locale": locale, "missing": sorted(keys)},
                )
            )


def _cards(settings: Settings) -> Finding:
    if settings.coordinator_chat_id is not None:
        return Finding(
            "cards",
            True,
            f"cards to the group {settings.coordinator_chat_id}",
            facts={"mode": "group", "group": settings.coordinator_chat_id},
        )
    if settings.no_coordinator_group:
        count = len(settings.coordinator_ids)
        return Finding(
            "cards",
            True,
            f"cards privately to {count} coordinators (no group)",
            facts={"mode": "no_group", "coordinators": count},
        )
    return Finding(
        "cards",
        False,
        "set-up mode: PEERBOT_COORDINATOR_CHAT_ID is not set (nor "
        "PEERBOT_NO_COORDINATOR_GROUP): cards would reach no one",
        blocking=True,
        facts={"mode": "setup"},
    )


# -- online ---------------------------------------------------------------------------------


async def add_online_findings(settings: Settings, report: Report) -> None:
    """Ask Telegram; an unreachable Telegram is one line and exit status 1."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError
    from telegram.request import HTTPXRequest

    if settings.bot_token is None:
        report.add(
            Finding("bot", False, "PEERBOT_BOT_TOKEN is not set: nothing to check online "
                    f"(see the {SETUP_SECTION})", blocking=True),  # fmt: skip
            status=EXIT_CONFIG,
        )
        return
    api = settings.telegram_api_url
    request = HTTPXRequest(connect_timeout=5.0, read_timeout=10.0)
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=request,
    )
    try:
        async with bot:
            me = await bot.get_me()
            await _online(bot, me, settings, report)
    except InvalidToken:
        report.add(
            Finding("bot", False, "Telegram refused PEERBOT_BOT_TOKEN; check it with "
                    f"@BotFather (see the {SETUP_SECTION})", blocking=True),  # fmt: skip
            status=EXIT_CONFIG,
        )
    except NetworkError as error:  # TimedOut included
        report.add(
            Finding(
                "telegram",
                False,
                f"Telegram unreachable at {api} ({type(error).__name__}); check the network "
                "or PEERBOT_TELEGRAM_API_URL",
                blocking=True,
                facts={"api_url": api, "error": type(error).__name__},
            )
        )


async def _online(bot: Bot, me: User, settings: Settings, report: Report) -> None:
    report.add(Finding("bot", True, f"bot @{me.username} (id {me.id})",
                       facts={"username": me.username, "id": me.id}))  # fmt: skip
    privacy_on = not me.can_read_all_group_messages
    report.add(
        Finding(
            "privacy",
            privacy_on,
            "privacy mode on: in a group the bot sees only commands and replies to it"
            if privacy_on
            else "privacy mode off: the bot reads every message in its groups; with "
            "@BotFather, /setprivacy -> Enable",
            facts={"privacy_mode": privacy_on},
        )
    )
    group_ok = False
    if settings.coordinator_chat_id is not None:
        group_ok = await _group(bot, me, settings.coordinator_chat_id, report)
    for user_id in sorted(settings.coordinator_ids):
        await _coordinator(bot, me, user_id, settings, report, in_group=group_ok)
    if not settings.coordinator_ids:
        report.add(
            Finding("coordinators", True, "coordinators: none listed in "
                    "PEERBOT_COORDINATOR_IDS (the group's members act as coordinators)",
                    facts={"listed": 0})  # fmt: skip
        )
    await _webhook(bot, settings, report)


async def _group(bot: Bot, me: User, chat_id: int, report: Report) -> bool:
    """The group, its type, the bot's membership and right to post; True if cards can go."""
    from telegram.error import BadRequest, ChatMigrated, Forbidden

    try:
        chat = await bot.get_chat(chat_id)
    except ChatMigrated as error:
        new_id = error.new_chat_id
        report.add(
            Finding(
                "group",
                False,
                f"group {chat_id} became a supergroup: set PEERBOT_COORDINATOR_CHAT_ID={new_id}",
                blocking=True,
                facts={"group": chat_id, "found": False, "migrated_to": new_id},
            )
        )
        return False
    except (BadRequest, Forbidden) as error:
        report.add(
            Finding(
                "group",
                False,
                f"group {chat_id} not reachable: {error.message}; add the bot to the "
                "coordinators' group and check PEERBOT_COORDINATOR_CHAT_ID",
                blocking=True,
                facts={"group": chat_id, "found": False, "error": error.message},
            )
        )
        return False
    kind = _chat_kind(chat)
    title = chat.title or ""
    report.add(Finding("group", True, f"group {chat_id} found: a {kind}, {title!r}",
                       facts={"group": chat_id, "found": True, "type": kind}))  # fmt: skip
    member = await bot.get_chat_member(chat_id, me.id)
    status = str(member.status)
    can_post = status in POSTING or (
        status == "restricted" and bool(getattr(member, "can_send_messages", False))
    )
    admin = status in ("creator", "administrator")
    if can_post:
        line = f"the bot is {_article(status)} of the group and can post there"
        if admin and not getattr(member, "can_pin_messages", True):
            line += " (it cannot pin)"
    else:
        line = (
            f"the bot is {status} in the group and cannot post there: add it back (or give "
            "it the right to send messages)"
        )
    report.add(
        Finding("membership", can_post, line, blocking=True,
                facts={"status": status, "can_post": can_post, "administrator": admin})
    )  # fmt: skip
    if can_post:
        report.add(_cases(chat, member))
    return can_post


def _cases(chat: ChatFullInfo, member: ChatMember) -> Finding:
    """Which case mode the group allows, and what would allow forum topics.

    Forum topics need a forum and the bot an administrator that may manage topics (the bot then
    uses them); any group allows replies to the case card, so never a failure."""
    status = str(member.status)
    forum = _chat_kind(chat) == "forum"
    manages = status == "creator" or (
        status == "administrator" and bool(getattr(member, "can_manage_topics", False))
    )
    mode = "forum_topics" if forum and manages else "card_replies"
    facts = {"allows": mode, "uses": mode, "forum": forum,
             "can_manage_topics": manages}  # fmt: skip
    if forum and manages:
        allowed = "the group has topics and the bot may manage them"
        line = f"cases: forum topics ({allowed}: {TOPICS_WHY})"
        return Finding("cases", True, line, facts=facts)
    steps = []
    if not forum:
        basic = " (a basic group then gets a new id)" if chat.type == "group" else ""
        steps.append(f"turn on topics in the group's settings{basic}")
    if status not in ("creator", "administrator"):
        steps.append('make the bot an administrator with "Manage topics"')
    elif not manages:
        steps.append('give the bot the administrator right "Manage topics"')
    line = (
        f"cases: replies to the case card; for forum topics, {' and '.join(steps)} "
        f"({TOPICS_WHY})"
    )
    return Finding("cases", True, line, facts=facts)


def _chat_kind(chat: ChatFullInfo) -> str:
    if chat.type == "supergroup" and chat.is_forum:
        return "forum"
    return str(chat.type)


def _article(status: str) -> str:
    return {"creator": "the creator", "administrator": "an administrator"}.get(status, "a member")


async def _coordinator(
    bot: Bot, me: User, user_id: int, settings: Settings, report: Report, *, in_group: bool
) -> None:
    """Can the bot write to this coordinator privately? (Only after they started it.)"""
    from telegram.constants import ChatAction
    from telegram.error import BadRequest, Forbidden

    facts: dict[str, Any] = {"user_id": user_id}
    if in_group and settings.coordinator_chat_id is not None:
        try:
            member = await bot.get_chat_member(settings.coordinator_chat_id, user_id)
            facts["in_group"] = str(member.status)
        except (BadRequest, Forbidden):
            facts["in_group"] = None
    where = f"; in the group: {facts['in_group']}" if facts.get("in_group") else ""
    try:
        await bot.send_chat_action(user_id, ChatAction.TYPING)
    except (BadRequest, Forbidden) as error:
        reason = (
            "has blocked the bot"
            if "blocked" in error.message
            else f"has not started the bot: they send /start to @{me.username} once"
        )
        facts |= {"can_write": False, "error": error.message}
        report.add(
            Finding(
                "coordinator",
                False,
                f"coordinator {user_id}: cannot be written to privately, {reason}{where}",
                blocking=settings.no_coordinator_group,
                facts=facts,
            )
        )
        return
    facts["can_write"] = True
    report.add(Finding("coordinator", True,
                       f"coordinator {user_id}: can be written to privately{where}", facts=facts))


async def _webhook(bot: Bot, settings: Settings, report: Report) -> None:
    info = await bot.get_webhook_info()
    facts: dict[str, Any] = {
        "url": info.url or None,
        "pending_updates": info.pending_update_count,
        "last_error": info.last_error_message,
        "last_error_at": info.last_error_date.isoformat() if info.last_error_date else None,
    }
    if info.url:
        line = f"webhook set to {info.url}, {_pending(info.pending_update_count)}"
        ok = settings.webhook_url in (None, info.url)
        if settings.webhook_url is None:
            line += " (`peerbot run` without --webhook cannot poll while it is set)"
            ok = False
    else:
        line = f"webhook not set (long polling), {_pending(info.pending_update_count)}"
        ok = True
    if info.last_error_message:
        when = f" at {facts['last_error_at']}" if facts["last_error_at"] else ""
        line += f"; last error{when}: {info.last_error_message}"
        ok = False
    report.add(Finding("webhook", ok, line, facts=facts))


def _pending(count: int) -> str:
    return f"{count} update{'' if count == 1 else 's'} pending"
