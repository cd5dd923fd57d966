"""Attempts to reach a participant that failed (a /note saying "tried, could not").

One failed attempt is part of the role; a second in a row, with no real contact noted in
between, tells the coordinators so they can step in. Once per streak: a third attempt does
not post again, and a note of a real contact starts a new streak.
"""

from __future__ import annotations

from sqlalchemy import select

from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators
from peerbot.storage.models import ContactNote
from peerbot.storage.outbox import Priority

TELL_AFTER = 2


async def noted(ctx: ServiceContext, note: ContactNote, *, case: str, code: str, when: str) -> str:
    """The coordinators are told at the second failed attempt in a row; the key of the
    supporter's thanks says what happened."""
    in_a_row = await _failed_in_a_row(ctx, note.match_id)
    if in_a_row < TELL_AFTER:
        return "note.saved_unreached"
    if in_a_row > TELL_AFTER:
        return "note.unreached_known"
    await coordinators.post_card(
        ctx,
        "card.note_unreached_twice",
        priority=Priority.COORDINATION,
        dedupe_key=f"note:{note.id}:unreached",
        case=case,
        code=code,
        when=coordinators.text(ctx, f"note.when.{when}"),
    )
    return "note.unreached_told"


async def _failed_in_a_row(ctx: ServiceContext, match_id: int) -> int:
    """The newest notes of the match that did not reach the participant, up to one past
    the threshold (enough to tell the second from a later one)."""
    newest_first = await ctx.session.scalars(
        select(ContactNote.reached)
        .where(ContactNote.match_id == match_id)
        .order_by(ContactNote.id.desc())
        .limit(TELL_AFTER + 1)
    )
    count = 0
    for reached in newest_first:
        if reached:
            break
        count += 1
    return count
