"""A confirmed intake becomes a support request, its answers, and a card for coordinators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update

from peerbot.dialogs.conditions import Answer as AnswerValue
from peerbot.dialogs.flow_schema import Flow, TextStep
from peerbot.services.common.context import ServiceContext
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import crisis
from peerbot.services.matching import holds, still_looking
from peerbot.storage.codes import new_request_code
from peerbot.storage.enums import SupportRequestStatus, Urgency
from peerbot.storage.models import Answer, Escalation, Person, SupportRequest
from peerbot.storage.outbox import Priority

URGENCY_BY_SAFETY = {"yes": Urgency.URGENT, "prefer_not_to_say": Urgency.SOON}


async def record_request(
    ctx: ServiceContext,
    person: Person,
    flow: Flow,
    answers: Mapping[str, AnswerValue],
    *,
    conversation_id: int,
    escalation_ids: Sequence[int] = (),
) -> SupportRequest:
    """Store the request (status new, or held for a coordinator when it is outside the
    program's eligibility or urgent), every answer, and queue the coordinators' card."""
    safety = answers.get("safety")
    request = SupportRequest(
        person_id=person.id,
        code=new_request_code(),
        status=SupportRequestStatus.NEW,
        referral_source=person.referral_source,
        topics=_as_list(answers.get("topics")),
        language=person.language,
        support_format=_as_list(answers.get("format")) + _as_list(answers.get("channels")),
        urgency=URGENCY_BY_SAFETY.get(str(safety), Urgency.ROUTINE),
        summary_enc=ctx.cipher.encrypt(_text(answers.get("anything_else"))),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(request)
    await ctx.session.flush()
    _store_answers(ctx, person, flow, answers, request.id, conversation_id)
    held_for = holds.reasons_for(ctx, answers)
    if held_for:
        holds.hold(request, held_for)
    else:
        still_looking.start(ctx, request)
    _adopt_time_zone(person, answers.get("timezone"))
    crisis.adopt_country(person, answers.get("country"))
    if escalation_ids:
        await ctx.session.execute(
            update(Escalation)
            .where(Escalation.id.in_(escalation_ids))
            .values(support_request_id=request.id)
        )
    if held_for:
        await holds.post_card(ctx, request)
    else:
        await _post_card(ctx, flow, request, answers)
    return request


def _store_answers(
    ctx: ServiceContext,
    person: Person,
    flow: Flow,
    answers: Mapping[str, AnswerValue],
    request_id: int,
    conversation_id: int,
) -> None:
    sensitive = {s.id for s in flow.steps if isinstance(s, TextStep) and s.sensitive}
    for question, value in answers.items():
        secret = question in sensitive
        ctx.session.add(
            Answer(
                person_id=person.id,
                conversation_id=conversation_id,
                support_request_id=request_id,
                flow=flow.flow,
                question=question,
                value=None if secret else _json(value),
                value_enc=ctx.cipher.encrypt(_text(value)) if secret else None,
                answered_at=ctx.now,
            )
        )


def _adopt_time_zone(person: Person, zone: AnswerValue | None) -> None:
    if isinstance(zone, str):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return
        person.time_zone = zone


async def _post_card(
    ctx: ServiceContext, flow: Flow, request: SupportRequest, answers: Mapping[str, AnswerValue]
) -> None:
    """Triage facts only: no name, no Telegram handle, no free text."""

    def labels(step_id: str) -> str:
        step = flow.find(step_id)
        chosen = _as_list(answers.get(step_id))
        options = {o.value: o.text for o in getattr(step, "options", ())}
        return ", ".join(coordinators.text(ctx, options[v]) for v in chosen if v in options) or "—"

    await coordinators.post_card(
        ctx,
        "card.new_request",
        priority=Priority.COORDINATION,
        dedupe_key=f"request:{request.id}:new",
        code=request.code,
        topics=labels("topics"),
        support=labels("support_kind"),
        format=", ".join(x for x in (labels("format"), labels("channels")) if x != "—") or "—",
        languages=labels("languages"),
        urgency=coordinators.text(ctx, f"urgency.{request.urgency.value}"),
        referral=request.referral_source or coordinators.text(ctx, "referral.none"),
    )


def _as_list(value: AnswerValue | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _text(value: AnswerValue | None) -> str | None:
    return None if value is None else str(value)


def _json(value: AnswerValue | None) -> object:
    return list(value) if isinstance(value, tuple) else value
