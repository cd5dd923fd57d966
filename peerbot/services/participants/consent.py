"""Consent decisions: recorded with the hash of the exact text shown, revocable at any time."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, func, select

from peerbot.services.common.context import ServiceContext
from peerbot.storage.enums import ConsentDecision, ConsentKind
from peerbot.storage.models import Consent

PARTICIPANT_CONSENTS = (
    ConsentKind.PARTICIPATION,
    ConsentKind.SHARE_WITH_SUPPORTER,
    ConsentKind.EVALUATION,
    ConsentKind.SHARE_TELEGRAM_NAME,  # asked of both sides at an introduction
)
#: Decisions used the moment they are made (a name given cannot be taken back), and asked
#: again each time: listed in /consent, but with nothing to withdraw.
ASKED_EACH_TIME = frozenset({ConsentKind.SHARE_TELEGRAM_NAME})


GRANTED = ConsentDecision.GRANTED


class ConsentState(StrEnum):
    GRANTED = "granted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    NOT_ASKED = "not_asked"


@dataclass(frozen=True)
class TextVersion:
    """A consent text's identity: its full hash and a short version label."""

    text_hash: str
    version: str


def text_version(text: str) -> TextVersion:
    """Hash the text exactly as shown, so a changed wording is a new version."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return TextVersion(text_hash=digest, version=digest[:16])


async def record(
    ctx: ServiceContext,
    *,
    person_id: int,
    kind: ConsentKind,
    granted: bool,
    text_shown: str,
    channel: str = "telegram",
) -> Consent:
    """Record one decision on the text the person saw."""
    shown = text_version(text_shown)
    consent = Consent(
        person_id=person_id,
        kind=kind,
        version=shown.version,
        text_hash=shown.text_hash,
        decision=ConsentDecision.GRANTED if granted else ConsentDecision.DECLINED,
        channel=channel,
        decided_at=ctx.now,
    )
    ctx.session.add(consent)
    await ctx.session.flush()
    return consent


async def latest(ctx: ServiceContext, person_id: int) -> dict[ConsentKind, Consent]:
    """The newest decision per kind."""
    rows = await ctx.session.scalars(
        select(Consent).where(Consent.person_id == person_id).order_by(Consent.id)
    )
    return {row.kind: row for row in rows}


def state_of(consent: Consent | None) -> ConsentState:
    if consent is None:
        return ConsentState.NOT_ASKED
    if consent.withdrawn_at is not None:
        return ConsentState.WITHDRAWN
    if consent.decision == ConsentDecision.GRANTED:
        return ConsentState.GRANTED
    return ConsentState.DECLINED


async def current_states(ctx: ServiceContext, person_id: int) -> dict[ConsentKind, ConsentState]:
    """Where each participant consent stands now."""
    newest = await latest(ctx, person_id)
    return {kind: state_of(newest.get(kind)) for kind in PARTICIPANT_CONSENTS}


async def is_granted(ctx: ServiceContext, person_id: int, kind: ConsentKind) -> bool:
    return state_of((await latest(ctx, person_id)).get(kind)) == ConsentState.GRANTED


def evaluation_consenting_ids() -> Select[int]:
    """A query of the people whose newest evaluation decision is granted and not withdrawn.

    Use it as a subquery (``column.in_(...)``) so figures for a funder count only them.
    """
    newest = (
        select(func.max(Consent.id).label("id"))
        .where(Consent.kind == ConsentKind.EVALUATION)
        .group_by(Consent.person_id)
        .subquery()
    )
    return (
        select(Consent.person_id)
        .join(newest, Consent.id == newest.c.id)
        .where(Consent.decision == ConsentDecision.GRANTED, Consent.withdrawn_at.is_(None))
    )


async def evaluation_consenting(ctx: ServiceContext, person_ids: Collection[int]) -> set[int]:
    """Of ``person_ids``, those whose newest evaluation decision is granted and not withdrawn."""
    rows = await ctx.session.scalars(
        evaluation_consenting_ids().where(Consent.person_id.in_(list(person_ids)))
    )
    return set(rows)


async def withdraw(ctx: ServiceContext, *, person_id: int, kind: ConsentKind) -> bool:
    """Withdraw a granted consent; False if there was nothing granted to withdraw."""
    current = (await latest(ctx, person_id)).get(kind)
    if state_of(current) != ConsentState.GRANTED or current is None:
        return False
    current.withdrawn_at = ctx.now
    await ctx.session.flush()
    return True


async def record_decisions(
    ctx: ServiceContext,
    *,
    person_id: int,
    decisions: Mapping[str, Sequence[str]],
    locale: str,
) -> None:
    """Record the decisions a flow collected ({kind: [decision, prompt key]}) with the
    text the person saw for each."""
    for kind, (decision, prompt_key) in decisions.items():
        recorded = await record(
            ctx,
            person_id=person_id,
            kind=ConsentKind(kind),
            granted=decision == "granted",
            text_shown=ctx.program.texts.get(prompt_key, locale),
        )
        if recorded.kind == ConsentKind.PARTICIPATION and recorded.decision == GRANTED:
            # what the contact text read before this yes promises to send (see promised())
            recorded.promises = list(ctx.program.policy.followup.consent_promises)


async def promised(ctx: ServiceContext, person_id: int, prompt: str) -> bool:
    """True when the participation consent standing now was given on a text promising this
    follow-up prompt ("checkin", "satisfaction", "review")."""
    standing = (await latest(ctx, person_id)).get(ConsentKind.PARTICIPATION)
    if state_of(standing) != ConsentState.GRANTED or standing is None:
        return False
    return prompt in (standing.promises or ())
