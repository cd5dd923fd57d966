"""Requests held for a coordinator: outside the program's eligibility (program.yaml), or with
the intake's safety question answered "yes". A held request is not proposed or offered until
a coordinator chooses Propose anyway, Refer or Decline on its card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from peerbot.dialogs.eligibility import REASONS, hold_reasons
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations.shown import MenuButton, Text
from peerbot.services.coordination import coordinators
from peerbot.services.matching import match_words
from peerbot.services.matching.request_buttons import (
    DECLINE,
    PROPOSE,
    REFER,
    RequestDecision,
)
from peerbot.storage.enums import SupportRequestStatus
from peerbot.storage.models import Answer, SupportRequest
from peerbot.storage.outbox import Priority

HELD_RECEIVED = "requests.held_received"
INTAKE = "intake"
# The intake's answers a request card shows (closed choices only: never free text).
CARD_ANSWERS = ("languages", "age_band", "country")


def reasons_for(ctx: ServiceContext, answers: Mapping[str, object]) -> tuple[str, ...]:
    """Why an intake with these answers waits for a coordinator (empty: it does not)."""
    return hold_reasons(ctx.program.policy.eligibility, answers)


def hold(request: SupportRequest, reasons: Sequence[str]) -> None:
    """Keep the request from matching until a coordinator decides."""
    request.status = SupportRequestStatus.HELD
    request.hold_reasons = [reason for reason in REASONS if reason in reasons]


async def post_card(ctx: ServiceContext, request: SupportRequest) -> None:
    """The held card: why (never their words), the triage facts, and the three choices."""
    await coordinators.post(
        ctx,
        Text(text=await held_text(ctx, request), buttons=choices(ctx, request)),
        priority=Priority.COORDINATION,
        dedupe_key=f"request:{request.id}:held",
    )


def choices(ctx: ServiceContext, request: SupportRequest) -> tuple[tuple[MenuButton, ...], ...]:
    return coordinators.buttons(
        ctx,
        [
            [("requests.button.propose", RequestDecision(PROPOSE, request.id))],
            [
                ("requests.button.refer", RequestDecision(REFER, request.id)),
                ("requests.button.decline", RequestDecision(DECLINE, request.id)),
            ],
        ],
    )


async def held_text(ctx: ServiceContext, request: SupportRequest) -> str:
    """Why the request is held, that nothing happens until a coordinator chooses, its facts."""
    choose = coordinators.text(ctx, "requests.card.held_choose")
    return f"{held_reasons_line(ctx, request)}\n{choose}\n\n{await facts_text(ctx, request)}"


async def card_text(ctx: ServiceContext, request: SupportRequest) -> str:
    """The request's card as it stands: why it was held (if it was), then its facts."""
    facts = await facts_text(ctx, request)
    return f"{held_reasons_line(ctx, request)}\n\n{facts}" if request.hold_reasons else facts


def held_reasons_line(ctx: ServiceContext, request: SupportRequest) -> str:
    """Why the request is (or was) held, in the coordinators' words; never the person's."""
    why = ", ".join(
        coordinators.text(
            ctx, f"requests.reason.{reason}", minimum=ctx.program.policy.eligibility.minimum_age
        )
        for reason in request.hold_reasons
    )
    return coordinators.text(ctx, "requests.card.held", code=request.code, reasons=why)


async def facts_text(ctx: ServiceContext, request: SupportRequest) -> str:
    """The request as triage needs it: topics, languages, age band, country and urgency."""
    answers = await _answers(ctx, request.id)
    locale = coordinators.coordinator_locale(ctx)
    languages = answers.get("languages")
    country = answers.get("country")
    return coordinators.text(
        ctx,
        "requests.card.facts",
        code=request.code,
        topics=match_words.labels(ctx, "topics", request.topics, locale),
        languages=match_words.labels(
            ctx, "languages", languages if isinstance(languages, list) else [], locale
        ),
        age=_label(ctx, "intake.age_band.{}", answers.get("age_band")),
        country=_label(ctx, "intake.country.{}", str(country).lower() if country else None),
        urgency=coordinators.text(ctx, f"urgency.{request.urgency.value}"),
    )


def _label(ctx: ServiceContext, template: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        return "—"
    key = template.format(value)
    return coordinators.text(ctx, key) if ctx.program.texts.has(key) else value


async def _answers(ctx: ServiceContext, request_id: int) -> dict[str, object]:
    rows = await ctx.session.execute(
        select(Answer.question, Answer.value).where(
            Answer.support_request_id == request_id,
            Answer.flow == INTAKE,
            Answer.question.in_(CARD_ANSWERS),
        )
    )
    return {question: value for question, value in rows.all()}
