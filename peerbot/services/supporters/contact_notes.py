"""A supporter's contact notes (/note): a short debrief after talking to a participant.

Concerns raise red flags while the questions are answered (rules in the flow); the note is
kept for the coordinators, its free text encrypted, and they get a card without that text.
A note can also say the supporter tried and could not reach the participant (see unreached).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from peerbot.services.common.context import ServiceContext, Who
from peerbot.services.conversations import flows
from peerbot.services.conversations.actions import NoteFor
from peerbot.services.conversations.shown import Menu, MenuButton, Notice, Reply
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_words, relationships
from peerbot.services.supporters import unreached
from peerbot.storage.models import ContactNote, Match, SupportRequest
from peerbot.storage.outbox import Priority

NOTE_FLOW = "contact_note"
DAYS_AGO = {"today": 0, "yesterday": 1, "this_week": 3, "earlier": 7}


async def start(ctx: ServiceContext, who: Who) -> Reply:
    """/note: the questions for the supporter's one participant, or a choice of several."""
    reply = Reply(who.locale)
    matches = [
        m
        for m in await relationships.active_matches(ctx, who.person)
        if who.person is not None and m.supporter_id == who.person.id
    ]
    if not matches:
        return reply.add(Notice("note.no_match"))
    if len(matches) == 1:
        return await _begin(ctx, who, matches[0], reply)
    buttons = []
    for match in matches:
        request = await ctx.session.get(SupportRequest, match.support_request_id)
        label = request.code if request else str(match.id)
        buttons.append((MenuButton(NoteFor(match.id), label_text=label),))
    return reply.add(Menu("note.which", tuple(buttons)))


async def chosen(ctx: ServiceContext, who: Who, action: NoteFor) -> Reply:
    reply = Reply(who.locale)
    match = await ctx.session.get(Match, action.match_id)
    if match is None or who.person is None or match.supporter_id != who.person.id:
        return reply.add(Notice("engine.stale_button"))
    return await _begin(ctx, who, match, reply)


async def recorded(
    ctx: ServiceContext, who: Who, turn: flows.FlowTurn, answers: dict[str, Any]
) -> list[Notice]:
    """The debrief is kept; coordinators see it on a card, without the free text."""
    match = await ctx.find(Match, turn.meta.get("match"))
    if match is None or who.person is None:
        return [Notice("note.saved")]
    reached = answers.get("reached") != "no"
    when = str(answers.get("when" if reached else "tried_when"))
    concerns = [c for c in answers.get("concerns") or () if c != "none"]
    topics = list(answers.get("topics") or ())
    details = answers.get("details")
    minutes = int(str(answers.get("duration"))) if str(answers.get("duration")).isdigit() else None
    note = ContactNote(
        match_id=match.id,
        author_id=who.person.id,
        contact_at=ctx.now - timedelta(days=DAYS_AGO.get(when, 0)),
        reached=reached,
        minutes=minutes,
        format=str(answers.get("format")) if answers.get("format") else None,
        topics=topics,
        concerns=concerns,
        note_enc=ctx.cipher.encrypt(details) if isinstance(details, str) and details else None,
        created_at=ctx.now,
    )
    ctx.session.add(note)
    await ctx.session.flush()
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    code = request.code if request else "—"
    if not reached:
        thanks = await unreached.noted(ctx, note, case=who.person.pseudonym, code=code, when=when)
        return [Notice(thanks)]
    locale = coordinators.coordinator_locale(ctx)
    await coordinators.post_card(
        ctx,
        "card.note",
        priority=Priority.COORDINATION,
        dedupe_key=f"note:{note.id}",
        case=who.person.pseudonym,
        code=code,
        when=coordinators.text(ctx, f"note.when.{when}"),
        format=match_words.labels(ctx, "formats", [note.format or ""], locale),
        minutes=minutes or "—",
        topics=match_words.labels(ctx, "topics", topics, locale),
        concerns=", ".join(coordinators.text(ctx, f"note.concerns.{c}") for c in concerns)
        or coordinators.text(ctx, "note.concerns.none"),
        details=coordinators.text(ctx, "card.note_has_details") if note.note_enc else "",
    )
    return [Notice("note.saved")]


async def _begin(ctx: ServiceContext, who: Who, match: Match, reply: Reply) -> Reply:
    request = await ctx.session.get(SupportRequest, match.support_request_id)
    meta = {"match": match.id, "about": request.person_id if request else None}
    turn = await flows.begin(ctx, who, NOTE_FLOW, meta)
    return reply.add(*turn.transition.outputs)
