"""Relay both ways: what a person writes outside a flow reaches their case thread (held until
they confirm who will read it, while no case is open), and a coordinator's reply in the
thread reaches the person, "from the program's coordinators".

Every relayed message is stored encrypted, audited (who, when, which case; never the words)
and delivered through the outbox. The person's words were screened before this update's work
(bot/safety.py screens every private message, captions included); a coordinator's are not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import delete, select

from peerbot.services.cases import cases, threads
from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.actions import CaseSend
from peerbot.services.conversations.shown import (
    CloseMenu,
    Menu,
    MenuButton,
    Notice,
    Reply,
    SharedFile,
    Text,
)
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import card
from peerbot.storage.enums import CaseDirection, CaseMessageKind, CaseStatus, PersonStatus, Role
from peerbot.storage.models import Case, CaseMessage, Person
from peerbot.storage.outbox import Priority


@dataclass(frozen=True)
class Written:
    """What someone sent to be relayed: words, or a photo or document with its caption."""

    kind: CaseMessageKind
    text: str | None = None
    file_id: str | None = None
    message_id: int | None = None  # its id in the chat it was written in

    @classmethod
    def words(cls, text: str, message_id: int | None = None) -> Written:
        return cls(CaseMessageKind.TEXT, text, None, message_id)


async def from_person(
    ctx: ServiceContext, who: Who, written: Written, reply: Reply | None = None
) -> Reply:
    """Words outside any flow: straight to the open case, else held and confirmation asked."""
    reply = reply or Reply(who.locale)
    person = who.person
    if person is None or (Role.COORDINATOR in who.roles and len(who.roles) == 1):
        # no record to keep them in (never consented, or erased), or a coordinator
        return reply.add(Notice("not_understood" if person else "case.start_first"))
    case = await cases.current(ctx, person.id)
    if case is not None and case.status == CaseStatus.OPEN:
        message = await _store(ctx, case, CaseDirection.TO_COORDINATORS, person, written)
        await _to_group(ctx, case, person, message, written)
        if _acknowledge_due(ctx, case):
            case.acknowledged_at = ctx.now
            reply.add(Notice("case.passed_on"))
        return reply
    case = await cases.hold(ctx, person)
    await _store(ctx, case, CaseDirection.TO_COORDINATORS, person, written, held=True)
    buttons = (
        (
            MenuButton(CaseSend(case.id, True), label_key="case.send"),
            MenuButton(CaseSend(case.id, False), label_key="case.dont_send"),
        ),
    )
    return reply.add(Menu("case.confirm", buttons))


async def file_from_person(ctx: ServiceContext, who: Who, written: Written) -> Reply | None:
    """A photo or document: relayed like words when no flow is in progress; None (the caller
    asks for words instead) inside a flow, from someone without a record, or when its caption
    raised a red flag (the card and the crisis resources answer that)."""
    flagged = ctx.screened is not None and ctx.screened.flagged
    if who.person is None or flagged or await flows.active(ctx, who) is not None:
        return None
    return await from_person(ctx, who, written)


async def answer(ctx: ServiceContext, who: Who, action: CaseSend) -> Reply:
    """The person's Send it / Don't send about the words held in their case."""
    reply = Reply(who.locale)
    person = who.person
    case = await ctx.session.get(Case, action.case_id)
    held = await _held(ctx, case) if case is not None else []
    if person is None or case is None or case.person_id != person.id or not held:
        return reply.add(CloseMenu(), Notice("engine.stale_button"))
    reply.add(CloseMenu())
    if not action.send:
        await _drop(ctx, case, held)
        return reply.add(Notice("case.not_sent"))
    case = await cases.confirmed(ctx, case)
    for message in held:
        message.case_id = case.id
        message.relayed_at = ctx.now
        await _to_group(ctx, case, person, message, _written_of(ctx, message))
        await _audited(ctx, "case.relayed", case, message)
    case.acknowledged_at = ctx.now
    return reply.add(Notice("case.sent"))


async def cancel_held(ctx: ServiceContext, who: Who) -> bool:
    """/cancel outside a flow: drop words waiting for confirmation; True if there were any."""
    if who.person is None:
        return False
    case = await cases.current(ctx, who.person.id)
    held = await _held(ctx, case) if case is not None else []
    if case is None or not held:
        return False
    await _drop(ctx, case, held)
    return True


async def from_coordinator(
    ctx: ServiceContext,
    coordinator: Person,
    written: Written,
    at: threads.At,
) -> Reply | None:
    """A verified coordinator's message in a case's topic, or reply in the group: to the
    person of that case.

    None when it belongs to no case (not ours to handle)."""
    case = await threads.case_of(ctx, at)
    if case is None:
        return None
    reply = Reply(coordinators.coordinator_locale(ctx))
    person = await ctx.session.get(Person, case.person_id)
    if person is None or person.telegram_user_id is None or person.status == PersonStatus.ERASED:
        return reply.add(Notice("case.person_gone"))
    code = {"case": person.pseudonym}
    if case.status != CaseStatus.OPEN:
        return reply.add(Notice("case.not_open", code))
    if person.status == PersonStatus.STOPPED:
        return reply.add(Notice("case.person_stopped", code))
    message = await _store(ctx, case, CaseDirection.TO_PERSON, coordinator, written)
    message.group_message_id = written.message_id
    header = _from_coordinators(ctx, coordinator, person.language)
    await ctx.outbox.post(
        person.telegram_user_id,
        _headed(written, header, ctx.settings.coordinator_chat_id),
        priority=Priority.NOTICE,
        dedupe_key=threads.sent_key(case, message),
        locale=person.language,
    )
    return None


async def not_delivered(ctx: ServiceContext, dedupe_key: str, *, blocked: bool) -> bool:
    """A coordinator's message Telegram refused for good: say so in the case's thread.

    True when the key was such a message."""
    parts = dedupe_key.split(":")
    if len(parts) != 4 or parts[0] != "case" or parts[2] != "to":
        return False
    case = await ctx.session.get(Case, int(parts[1]))
    message = await ctx.session.get(CaseMessage, int(parts[3]))
    if case is None or message is None:
        return False
    message.failed_at = ctx.now
    person = await ctx.session.get(Person, case.person_id)
    key = "case.not_delivered" if blocked else "case.not_delivered_other"
    note = coordinators.text(ctx, key, case=person.pseudonym if person else "—")
    answered = message.group_message_id
    await threads.post(
        ctx,
        case,
        lambda anchor: Text(text=note, reply_to=answered or anchor),
        threads.note_key(case, f"undelivered:{message.id}"),
    )
    await cases.audited(
        ctx, "case.not_delivered", case, case_message_id=message.id, blocked=blocked
    )
    return True


async def _to_group(
    ctx: ServiceContext, case: Case, person: Person, message: CaseMessage, written: Written
) -> None:
    """Relay the person's message to the case's thread, headed by the case's pseudonym."""
    role = await card.subject_role(ctx, person)
    await threads.ensure_card(ctx, case, person, role.value)
    header = coordinators.text(
        ctx,
        "case.relayed",
        case=person.pseudonym,
        role=coordinators.text(ctx, f"role.{role.value}"),
    )
    view = _headed(written, header, person.telegram_user_id)
    key = threads.relayed_key(case, message)
    await threads.post(ctx, case, lambda anchor: replace(view, reply_to=anchor), key)


def _headed(written: Written, header: str, from_chat_id: int | None) -> threads.Placed:
    """The message under a header saying who it is from: a photo, document or voice note as
    a copy of the one sent (copyMessage) with the header over its caption."""
    body = f"{header}\n\n{written.text}" if written.text else header
    if written.file_id is None or written.message_id is None or from_chat_id is None:
        return Text(text=body)
    return SharedFile(from_chat_id, written.message_id, body)


def _from_coordinators(ctx: ServiceContext, coordinator: Person, locale: str) -> str:
    """Who the person reads the message from: the coordinators, named if the program says."""
    texts = ctx.program.texts
    if ctx.program.policy.cases.coordinator_first_name:
        name = ctx.cipher.decrypt(coordinator.display_name_enc)
        if name:
            return texts.get("case.from_coordinator_named", locale, name=name.split()[0])
    return texts.get("case.from_coordinators", locale)


async def _store(
    ctx: ServiceContext,
    case: Case,
    direction: CaseDirection,
    author: Person,
    written: Written,
    *,
    held: bool = False,
) -> CaseMessage:
    """Keep the message encrypted, and audit that it passed (never what it said)."""
    message = CaseMessage(
        case_id=case.id,
        direction=direction,
        author_id=author.id,
        kind=written.kind,
        body_enc=ctx.cipher.encrypt(written.text) if written.text else None,
        file_id_enc=ctx.cipher.encrypt(written.file_id) if written.file_id else None,
        at=ctx.now,
        relayed_at=None if held else ctx.now,
        private_message_id=written.message_id
        if direction == CaseDirection.TO_COORDINATORS
        else None,
    )
    ctx.session.add(message)
    await ctx.session.flush()
    await _audited(ctx, "case.held" if held else "case.relayed", case, message)
    return message


async def _audited(ctx: ServiceContext, action: str, case: Case, message: CaseMessage) -> None:
    """Who, when, which case and which way: never what it said."""
    await cases.audited(
        ctx,
        action,
        case,
        message.author_id,
        case_message_id=message.id,
        direction=message.direction.value,
        kind=message.kind.value,
    )


async def _held(ctx: ServiceContext, case: Case) -> list[CaseMessage]:
    rows = await ctx.session.scalars(
        select(CaseMessage)
        .where(CaseMessage.case_id == case.id, CaseMessage.relayed_at.is_(None))
        .where(CaseMessage.direction == CaseDirection.TO_COORDINATORS)
        .order_by(CaseMessage.id)
    )
    return list(rows)


async def _drop(ctx: ServiceContext, case: Case, held: list[CaseMessage]) -> None:
    """Words the person chose not to send are not kept; nor is a case that never opened."""
    await ctx.session.execute(
        delete(CaseMessage).where(CaseMessage.id.in_([message.id for message in held]))
    )
    await cases.audited(ctx, "case.not_sent", case, case.person_id, count=len(held))
    if case.status == CaseStatus.PENDING:
        await ctx.session.delete(case)
        await ctx.session.flush()


def _written_of(ctx: ServiceContext, message: CaseMessage) -> Written:
    return Written(
        message.kind,
        ctx.cipher.decrypt(message.body_enc),
        ctx.cipher.decrypt(message.file_id_enc),
        message.private_message_id,
    )


def _acknowledge_due(ctx: ServiceContext, case: Case) -> bool:
    """ "Passed to the coordinators" at most once per the program's interval."""
    every = timedelta(minutes=ctx.program.policy.cases.acknowledge_every_minutes)
    return case.acknowledged_at is None or ctx.now - case.acknowledged_at >= every
