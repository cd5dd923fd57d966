"""One-time invitations that make a person a peer supporter; only a hash of each code is kept.

A link is claimed when it is opened (so a second person cannot start with it), released if
the person declines or cancels before finishing, and marked used once they have joined.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.storage.enums import Role
from peerbot.storage.models import Invite, Person

START_PREFIX = "join-"  # /start payloads beginning with this carry an invite code
DEFAULT_VALID_FOR = timedelta(days=7)
CODE_BYTES = 24  # 32 URL-safe characters; a /start payload may hold 64


class Refusal(StrEnum):
    """Why an invite code cannot be used."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class NewInvite:
    code: str
    expires_at: datetime


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot with the invite."""
    return f"https://t.me/{bot_username}?start={START_PREFIX}{code}"


def code_in(payload: str | None) -> str | None:
    """The invite code in a /start payload, or None when the payload is something else."""
    if payload and payload.startswith(START_PREFIX):
        return payload.removeprefix(START_PREFIX)
    return None


async def create(
    ctx: ServiceContext,
    *,
    valid_for: timedelta = DEFAULT_VALID_FOR,
    note: str | None = None,
    created_by_id: int | None = None,
) -> NewInvite:
    """Store a new single-use supporter invite and return its code (shown once, never stored)."""
    code = secrets.token_urlsafe(CODE_BYTES)
    invite = Invite(
        code_hash=hash_code(code),
        role=Role.SUPPORTER,
        created_by_id=created_by_id,
        created_at=ctx.now,
        expires_at=ctx.now + valid_for,
        note_enc=ctx.cipher.encrypt(note) if note else None,
    )
    ctx.session.add(invite)
    await ctx.session.flush()
    return NewInvite(code, invite.expires_at)


async def claim(ctx: ServiceContext, code: str) -> Invite | Refusal:
    """Take the invite for the person opening it, or say why it cannot be taken.

    The conditional update makes two people opening one link at once end with one winner.
    """
    session, now = ctx.session, ctx.now
    invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
    if invite is None or invite.revoked_at is not None:
        return Refusal.UNKNOWN
    if invite.used_at is not None:
        return Refusal.USED
    if invite.expires_at <= now:
        return Refusal.EXPIRED
    taken = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult at runtime
        return Refusal.USED
    invite.used_at = now
    return invite


async def release(ctx: ServiceContext, invite_id: int) -> None:
    """Give a claimed invite back (the person stopped before joining)."""
    await ctx.session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_by_id.is_(None))
        .values(used_at=None)
    )


async def mark_joined(ctx: ServiceContext, invite_id: int, person_id: int) -> None:
    """Record who joined with a claimed invite."""
    await ctx.session.execute(
        update(Invite).where(Invite.id == invite_id).values(used_by_id=person_id)
    )


async def invite_for_coordinators(
    ctx: ServiceContext, coordinator: Person, bot_username: str | None
) -> Reply:
    """/invite in the coordinators' group: a new link, shown once, to pass on to one person."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    if not bot_username:
        return reply.add(Text(text=coordinators.text(ctx, "invite.no_username")))
    created = await create(ctx, created_by_id=coordinator.id)
    text = coordinators.text(
        ctx,
        "invite.created",
        link=link(bot_username, created.code),
        expires=created.expires_at.isoformat(timespec="minutes"),
    )
    return reply.add(Text(text=text, link_preview=False))
