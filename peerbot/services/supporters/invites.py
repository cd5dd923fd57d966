"""One-time invitations that make a person a peer supporter; only a hash of each code is kept.

A link is claimed when it is opened (so a second person cannot start with it), released if
the person declines or cancels before finishing, and marked used once they have joined.
Coordinators see the open ones in /invites (by a short code, never the link, which is not
kept) and may revoke any; a revoked link, opened later, is told kindly it no longer works.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.engine import CursorResult

from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.actions import InviteRevoke
from peerbot.services.conversations.shown import EditPressed, MenuButton, Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.storage import audit
from peerbot.storage.enums import Role
from peerbot.storage.models import Invite, Person

START_PREFIX = "join-"  # /start payloads beginning with this carry an invite code
DEFAULT_VALID_FOR = timedelta(days=7)
CODE_BYTES = 24  # 32 URL-safe characters; a /start payload may hold 64
MAX_LISTED = 30  # one button each; a listing stays readable


class Refusal(StrEnum):
    """Why an invite code cannot be used."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


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
    if invite is None:
        return Refusal.UNKNOWN
    if invite.revoked_at is not None:
        return Refusal.REVOKED
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


def short_code(invite: Invite) -> str:
    """How coordinators tell invites apart: from the hash, so it cannot rebuild the link."""
    return f"I-{invite.code_hash[:6].upper()}"


async def open_for_coordinators(ctx: ServiceContext, coordinator: Person) -> Reply:
    """/invites: the open invites (unclaimed, unexpired, unrevoked), a Revoke button each."""
    await audit.record(ctx.session, "invites.listed", now=ctx.now, actor_id=coordinator.id)
    return Reply(coordinators.coordinator_locale(ctx)).add(await _listing(ctx))


async def revoke(ctx: ServiceContext, coordinator: Person, action: InviteRevoke) -> Reply:
    """Revoke one open invite; a second press, or one on an invite used or expired meanwhile,
    changes nothing and says so. The listing is shown again either way."""
    result = await ctx.session.execute(
        update(Invite)
        .where(Invite.id == action.invite_id, *_still_open(ctx.now))
        .values(revoked_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    invite = await ctx.session.get(Invite, action.invite_id)
    code = short_code(invite) if invite is not None else "—"
    if cast(CursorResult[Any], result).rowcount == 1:
        await audit.record(
            ctx.session,
            "invite.revoked",
            now=ctx.now,
            actor_id=coordinator.id,
            invite_id=action.invite_id,
        )
        done = coordinators.text(
            ctx, "invites.revoked", code=code, name=coordinators.name_of(ctx, coordinator)
        )
    else:
        done = coordinators.text(ctx, "invites.not_open", code=code)
    listing = await _listing(ctx)
    view = Text(text=f"{done}\n\n{listing.text}", buttons=listing.buttons)
    return Reply(coordinators.coordinator_locale(ctx)).add(EditPressed(view))


def _still_open(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Unclaimed, unrevoked and unexpired: what /invites lists and Revoke may close."""
    return (Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now)


async def _listing(ctx: ServiceContext) -> Text:
    found = (
        await ctx.session.scalars(
            select(Invite)
            .where(*_still_open(ctx.now))
            .order_by(Invite.created_at, Invite.id)
            .limit(MAX_LISTED)
        )
    ).all()
    if not found:
        return Text(text=coordinators.text(ctx, "invites.none"))
    lines = [coordinators.text(ctx, "invites.heading", count=len(found))]
    rows = []
    for invite in found:
        code = short_code(invite)
        creator = (
            await ctx.session.get(Person, invite.created_by_id) if invite.created_by_id else None
        )
        lines.append(
            coordinators.text(
                ctx,
                "invites.line",
                code=code,
                created=invite.created_at.date().isoformat(),
                by=coordinators.name_of(ctx, creator)
                if creator
                else coordinators.text(ctx, "invites.by_command_line"),
                expires=invite.expires_at.date().isoformat(),
            )
        )
        label = coordinators.text(ctx, "invites.revoke", code=code)
        rows.append((MenuButton(InviteRevoke(invite.id), label_text=label),))
    return Text(text="\n".join(lines), buttons=tuple(rows))
