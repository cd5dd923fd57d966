"""/end and /change made safe: which support (when there are several), a confirmation
before acting, and an undo of /end for a day, so one mistyped command ends no one's support.

An undo puts the match back as it was: accepted, its request matched again, the unsent
"have you connected?" follow-ups rescheduled, the coordinators told with a card and the other
person told (they were told of the ending by the same rule). The feedback survey stops: one
not yet sent is cancelled and one in progress is closed unfinished (its answers are stored only
when it is finished); a survey already finished is kept, as feedback on the support so far.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.actions import EndUndo, MatchChoice
from peerbot.services.conversations.shown import (
    CloseMenu,
    Menu,
    MenuButton,
    Notice,
    Outgoing,
    Reply,
)
from peerbot.services.coordination import coordinators
from peerbot.services.matching import relationships
from peerbot.storage import audit
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    ConversationStatus,
    MatchStatus,
    SupportRequestStatus,
)
from peerbot.storage.models import Checkin, Match, Person, SupportRequest

UNDO_WINDOW = timedelta(hours=24)
COMMANDS = ("end", "change")
OPEN_REQUESTS = (
    SupportRequestStatus.NEW,
    SupportRequestStatus.MATCHING,
    SupportRequestStatus.PROPOSED,
    SupportRequestStatus.MATCHED,
)
ACTS = {"end_yes": relationships.end, "change_yes": relationships.change}


async def end(ctx: ServiceContext, who: Who) -> Reply:
    """/end: which support (if several), then "are you sure?"."""
    return await _ask(ctx, who, "end")


async def change(ctx: ServiceContext, who: Who) -> Reply:
    """/change: which support (if several), then "are you sure?"."""
    return await _ask(ctx, who, "change")


async def chosen(ctx: ServiceContext, who: Who, action: MatchChoice) -> Reply:
    """A press on "which one" or on the confirmation; rights and state are checked again."""
    reply = Reply(who.locale).add(CloseMenu())
    match = await _own_active(ctx, who, action.match_id)
    if match is None or who.person is None:
        return reply.add(Notice("choice.stale"))
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    if request is None:
        return reply.add(Notice("choice.stale"))
    if action.choice in COMMANDS:
        return reply.add(await _confirmation(ctx, who.person, match, action.choice))
    act = ACTS.get(action.choice)
    if act is None:
        return reply.add(Notice("choice.kept"))
    await audit.record(
        ctx.session,
        f"match.{action.choice.removesuffix('_yes')}_confirmed",
        now=ctx.now,
        actor_id=who.person.id,
        match=match.id,
    )
    done = await act(ctx, who, match, request)
    reply.items.extend(done.items)
    reply.elsewhere.extend(done.elsewhere)
    return reply


async def undo(ctx: ServiceContext, who: Who, action: EndUndo) -> Reply:
    """Undo an /end within a day: the support continues as before."""
    reply = Reply(who.locale).add(CloseMenu())
    match = await ctx.session.get(Match, action.match_id)
    person = who.person
    if match is None or person is None:
        return reply.add(Notice("undo.too_late"))
    if match.status == MatchStatus.ACCEPTED:
        return reply.add(Notice("undo.already"))
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    role = relationships.role_of(person, match)
    if request is None or not _undoable(ctx, match, request, person, role):
        return reply.add(Notice("undo.too_late"))
    if await _asked_again(ctx, request):
        return reply.add(Notice("undo.asked_again"))
    match.status = MatchStatus.ACCEPTED
    match.ended_at = match.end_reason = match.ended_by_id = None
    request.status = SupportRequestStatus.MATCHED
    request.closed_at = request.closed_reason = None
    await _restore_followups(ctx, match)
    await _stop_survey_in_progress(ctx, who)
    await audit.record(
        ctx.session, "match.end_undone", now=ctx.now, actor_id=person.id, match=match.id
    )
    await coordinators.post_match_card(
        ctx,
        "card.match_restored",
        match,
        request,
        occasion=ctx.now.isoformat(),
        role=coordinators.text(ctx, f"role.{role}"),
    )
    other = await relationships.other_side(ctx, person, match, request)
    if other is not None and other.telegram_user_id is not None:
        told = Reply(other.language).add(Notice(f"undo.told_{_other_role(role)}"))
        key = f"match:{match.id}:restored:{ctx.now.isoformat()}"
        reply.elsewhere.append(Outgoing(other.telegram_user_id, told, key))
    return reply.add(Notice("undo.done"))


async def _ask(ctx: ServiceContext, who: Who, command: str) -> Reply:
    reply = Reply(who.locale)
    matches = await relationships.active_matches(ctx, who.person)
    if not matches or who.person is None:
        return reply.add(Notice("end.nothing"))
    if len(matches) == 1:
        return reply.add(await _confirmation(ctx, who.person, matches[0], command))
    buttons = []
    for match in matches:
        label = await _other_name(ctx, who.person, match)
        buttons.append((MenuButton(MatchChoice(match.id, command), label_text=label),))
    return reply.add(Menu(f"{command}.which", tuple(buttons)))


async def _confirmation(ctx: ServiceContext, person: Person, match: Match, command: str) -> Menu:
    buttons = (
        (
            MenuButton(MatchChoice(match.id, f"{command}_yes"), f"{command}.yes"),
            MenuButton(MatchChoice(match.id, "keep"), f"{command}.no"),
        ),
    )
    name = await _other_name(ctx, person, match)
    return Menu(f"{command}.confirm", buttons, {"name": name})


async def _own_active(ctx: ServiceContext, who: Who, match_id: int) -> Match | None:
    """The match, if it is still one of this person's supports in progress."""
    return next(
        (m for m in await relationships.active_matches(ctx, who.person) if m.id == match_id),
        None,
    )


async def _other_name(ctx: ServiceContext, person: Person, match: Match) -> str:
    """The other person as this one knows them: the name they go by, else their pseudonym."""
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    if request is None:
        return "—"
    other = await relationships.other_side(ctx, person, match, request)
    if other is None:
        return "—"
    name = ctx.cipher.decrypt(other.display_name_enc) if other.display_name_enc else None
    return name or other.pseudonym


def _undoable(
    ctx: ServiceContext, match: Match, request: SupportRequest, person: Person, role: str
) -> bool:
    """Only the person who ended it, by /end, within the day, and nothing has moved since."""
    reason = f"ended_by_{role}"
    return (
        match.status == MatchStatus.ENDED
        and match.ended_by_id == person.id
        and match.end_reason == reason
        and match.ended_at is not None
        and ctx.now - match.ended_at <= UNDO_WINDOW
        and request.status == SupportRequestStatus.CLOSED
        and request.closed_reason == reason
    )


async def _asked_again(ctx: ServiceContext, request: SupportRequest) -> bool:
    """The participant has a newer request open: restoring would give them two supports."""
    newer = await ctx.session.scalar(
        select(SupportRequest.id).where(
            SupportRequest.person_id == request.person_id,
            SupportRequest.id != request.id,
            SupportRequest.status.in_(OPEN_REQUESTS),
        )
    )
    return newer is not None


async def _restore_followups(ctx: ServiceContext, match: Match) -> None:
    """The unsent "have you connected?" prompts the ending cancelled come back; a feedback
    survey not yet sent is cancelled (one started or answered is kept)."""
    rows = await ctx.session.scalars(
        select(Checkin).where(
            Checkin.match_id == match.id,
            Checkin.sent_at.is_(None),
            Checkin.kind.in_((*relationships.WHILE_MATCHED, CheckinKind.FEEDBACK)),
        )
    )
    for checkin in rows:
        if checkin.kind == CheckinKind.FEEDBACK and checkin.status == CheckinStatus.SCHEDULED:
            checkin.status = CheckinStatus.CANCELLED
        elif (
            checkin.kind in relationships.WHILE_MATCHED
            and checkin.status == CheckinStatus.CANCELLED
        ):
            checkin.status = CheckinStatus.SCHEDULED
            checkin.due_at = max(checkin.due_at, ctx.now)


async def _stop_survey_in_progress(ctx: ServiceContext, who: Who) -> None:
    """The survey /end began in this chat stops, so the next words are not taken as a
    comment on a support that goes on."""
    conversation = await flows.active(ctx, who)
    if conversation is not None and conversation.flow == relationships.FEEDBACK_FLOW:
        conversation.status = ConversationStatus.CANCELLED


def _other_role(role: str) -> str:
    return "participant" if role == "supporter" else "supporter"
